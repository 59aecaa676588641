import Foundation
import Testing
import RectGradFormats

/// A header of `count` empty F32 entries (`"t0"`, `"t1"`, …), each `[0]`-shaped at offset 0.
private func emptyEntries(_ count: Int) -> String {
    "{" + (0..<count).map { #""t\#($0)":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"# }.joined(separator: ",") + "}"
}

@Test func refusesHeadersWithTooManyEntries() {
    let limit = SafetensorsFile.maximumEntryCount
    #expect(limit == 100_000)
    // One entry past the limit (a 6 MB header): refused while reading, before the layout is built.
    #expect(failure(safetensorsBytes(header: emptyEntries(limit + 1), data: [])) == .tooManyEntries(limit: limit))
    // At the limit the header is accepted (`__metadata__` does not count).
    let atLimit = "{\"__metadata__\":{\"k\":\"v\"}," + emptyEntries(limit).dropFirst()
    let file = try? SafetensorsFile.decode(safetensorsBytes(header: atLimit, data: []))
    #expect(file?.tensors.count == limit)
}

@Test func refusesHeaderLengthsPastTheFormatLimit() {
    // 100,000,001 declared bytes: refused from the 8-byte prefix, without reading them, even when
    // the file is that long.
    let declared = SafetensorsFile.maximumHeaderLength + 1
    #expect(failure(safetensorsBytes(header: "{}", data: [], declaredLength: declared)) == .headerLengthOutOfRange(declared: declared, available: 2))
}

@Test func refusesZeroSizedShapesWhoseExtentsOverflow() {
    // No bytes, but a stride of this shape would overflow: refused like any too-large shape.
    let header = #"{"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#
    #expect(failure(safetensorsBytes(header: header, data: [])) == .invalidEntry(tensor: "a", reason: "shape [0, 4294967296, 4294967296] is too large"))
}

@Test func refusesHugeDataOffsets() {
    // Offsets near Int.max: the byte count matches the shape, the range lies past the data.
    let end = Int.max, begin = Int.max - 4
    let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[\#(begin),\#(end)]}}"#
    #expect(failure(safetensorsBytes(header: header, data: [])) == .offsetsOutOfRange(tensor: "a", end: end, dataSize: 0))
}

@Test func refusesHeadersWithTooManyJSONValues() {
    // One entry whose shape array holds 2,000,001 numbers (4 MB): refused by
    // the parser's value budget while reading, whatever the entry count.
    let shape = String(repeating: "1,", count: 2_000_000) + "1"
    let header = #"{"a":{"dtype":"F32","shape":[\#(shape)],"data_offsets":[0,4]}}"#
    guard case .invalidHeader(let message)? = failure(safetensorsBytes(header: header, data: [0, 0, 0, 0])) else {
        Issue.record("a header of more than 2,000,000 JSON values must be refused")
        return
    }
    #expect(message.contains("more than 2000000 values"))
}
