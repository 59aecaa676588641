import Foundation
import Testing
import RectGradCore
import RectGradFormats

/// Safetensors bytes from a header JSON text and raw data (the length prefix computed here).
func safetensorsBytes(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> Data {
    let text = Array(header.utf8)
    let length = declaredLength ?? UInt64(text.count)
    return Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + text + data)
}

/// The reason a decode fails with (or `nil` when it succeeds).
///
/// The same bytes are also written to a file and read back with `read(contentsOf:)`, which streams
/// the tensors from the file: it must fail with the same reason, or succeed with the same tensors.
func failure(_ data: Data) -> WeightsError.Reason? {
    let inMemory: Result<SafetensorsFile, WeightsError.Reason>
    do { inMemory = .success(try SafetensorsFile.decode(data, source: "w.safetensors")) } catch { inMemory = .failure(error.reason) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-st-\(UInt64.random(in: 0...UInt64.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    do {
        try data.write(to: url)
        let fromFile: Result<SafetensorsFile, WeightsError.Reason>
        do { fromFile = .success(try SafetensorsFile.read(contentsOf: url)) } catch { fromFile = .failure(error.reason) }
        #expect(fromFile == inMemory, "reading the bytes from a file disagrees with decoding them in memory")
    } catch {
        Issue.record("could not write \(url.path): \(error)")
    }
    if case .failure(let reason) = inMemory { return reason }
    return nil
}

private let twoTensors = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}"#
private let twoTensorData = littleEndian([1, 2, 3] as [Float])

@Test func roundTripsTensorsAndMetadata() throws {
    let file = SafetensorsFile(
        tensors: [
            NamedParameter(name: "conv.weight", value: Tensor.randomNormal([4, 3, 3, 3], seed: 1)),
            NamedParameter(name: "conv.bias", value: Tensor.randomNormal([4], seed: 2)),
            NamedParameter(name: "scalar \"quoted\"", value: Tensor(scalar: 5)),
            NamedParameter(name: "empty", value: Tensor.zeros([0, 3])),
        ],
        metadata: ["format": "pt"]
    )
    let data = file.encoded()
    // The header length is a multiple of 8, as the format recommends.
    let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect(headerLength % 8 == 0)
    let decoded = try SafetensorsFile.decode(data)
    #expect(decoded.metadata == ["format": "pt"])
    #expect(decoded.dictionary == file.dictionary)
    #expect(decoded["conv.bias"] == file["conv.bias"])
}

@Test func convertsHalfBFloatAndDoubleToFloat() throws {
    // F16: 1, −2, 0.5, 65504, the smallest subnormal 2⁻²⁴, −0; BF16: 1, −3.5; F64: 0.1.
    let halves: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x8000]
    let bfloats: [UInt16] = [0x3F80, 0xC060]
    let bytes = (halves + bfloats).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + littleEndian([0.1] as [Double])
    let header = #"{"h":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]},"d":{"dtype":"F64","shape":[1],"data_offsets":[16,24]}}"#
    let file = try SafetensorsFile.decode(safetensorsBytes(header: header, data: bytes))
    #expect(file["h"] == (try Tensor(shape: [2, 3], scalars: [1, -2, 0.5, 65504, 0x1p-24, -0.0])))
    #expect(file["b"] == (try Tensor(shape: [2], scalars: [1, -3.5])))
    #expect(file["d"] == (try Tensor(shape: [1], scalars: [Float(0.1)])))
}

@Test func skipsBatchNormCountersButRefusesOtherIntegerTensors() throws {
    let counter = #"{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"bn.weight":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
    let file = try SafetensorsFile.decode(safetensorsBytes(header: counter, data: Array(repeating: 0, count: 8) + littleEndian([1] as [Float])))
    #expect(file.skippedNames == ["bn.num_batches_tracked"])
    #expect(file.tensors.map(\.name) == ["bn.weight"])
    let integer = #"{"fc.weight":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#
    #expect(failure(safetensorsBytes(header: integer, data: Array(repeating: 0, count: 8))) == .unsupportedDType(tensor: "fc.weight", dtype: "I32"))
    let unknown = #"{"fc.weight":{"dtype":"F99","shape":[2],"data_offsets":[0,8]}}"#
    #expect(failure(safetensorsBytes(header: unknown, data: Array(repeating: 0, count: 8))) == .unsupportedDType(tensor: "fc.weight", dtype: "F99"))
}

@Test func refusesTruncatedFiles() {
    #expect(failure(Data()) == .truncatedHeaderLength(fileSize: 0))
    #expect(failure(Data([1, 0, 0])) == .truncatedHeaderLength(fileSize: 3))
    let whole = safetensorsBytes(header: twoTensors, data: twoTensorData)
    #expect(failure(whole) == nil)
    // Cut inside the data: the last tensor's range leaves the file.
    #expect(failure(whole.dropLast(2)) == .offsetsOutOfRange(tensor: "b", end: 12, dataSize: 10))
    // Cut inside the header.
    let cut = whole.prefix(20)
    #expect(failure(Data(cut)) == .headerLengthOutOfRange(declared: UInt64(twoTensors.utf8.count), available: 12))
}

@Test func refusesHeaderLengthsPastTheFile() {
    #expect(failure(safetensorsBytes(header: twoTensors, data: twoTensorData, declaredLength: 1 << 40))
        == .headerLengthOutOfRange(declared: 1 << 40, available: twoTensors.utf8.count + 12))
    #expect(failure(safetensorsBytes(header: twoTensors, data: twoTensorData, declaredLength: .max))
        == .headerLengthOutOfRange(declared: .max, available: twoTensors.utf8.count + 12))
}

@Test func refusesInvalidJSON() {
    let duplicate = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#
    let cases = [#"{"a":{"dtype":"F32","#, "[1, 2]", "not json", "", duplicate, #"{"a":{}} x"#, #"{"a":"\q"}"#, String(repeating: "[", count: 100)]
    for header in cases {
        guard case .invalidHeader = failure(safetensorsBytes(header: header, data: [])) else {
            Issue.record("expected invalidHeader for \(header)")
            continue
        }
    }
    #expect(failure(safetensorsBytes(header: #"{"a":[1]}"#, data: [])) == .invalidEntry(tensor: "a", reason: "the entry is not an object"))
    #expect(failure(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)))
        == .invalidEntry(tensor: "a", reason: "'shape' is not an array of integers"))
    #expect(failure(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[2]}}"#, data: []))
        == .invalidEntry(tensor: "a", reason: "'data_offsets' is not an array of integers"))
    #expect(failure(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)))
        == .invalidEntry(tensor: "a", reason: "negative extent in shape [-2]"))
    #expect(failure(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: Array(repeating: 0, count: 8)))
        == .invalidEntry(tensor: "a", reason: "data_offsets [8, 0] are not an ascending pair"))
    #expect(failure(safetensorsBytes(header: #"{"__metadata__":{"k":1}}"#, data: [])) == .invalidHeader("__metadata__ value for 'k' is not a string"))
    // Invalid UTF-8 in the header.
    #expect(failure(Data([2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE])) == .invalidHeader("the header is not UTF-8"))
}

@Test func refusesShapesThatDisagreeWithTheByteRange() {
    let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
    #expect(failure(safetensorsBytes(header: header, data: Array(repeating: 0, count: 8))) == .byteCountMismatch(tensor: "a", expected: 12, actual: 8))
    let huge = #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#
    #expect(failure(safetensorsBytes(header: huge, data: Array(repeating: 0, count: 8))) == .invalidEntry(tensor: "a", reason: "shape [4294967296, 4294967296] is too large"))
}

@Test func refusesOverlappingAndUnreferencedBytes() {
    let overlapping = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
    #expect(failure(safetensorsBytes(header: overlapping, data: Array(repeating: 0, count: 12))) == .overlappingTensors("a", "b"))
    let same = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    #expect(failure(safetensorsBytes(header: same, data: Array(repeating: 0, count: 8))) == .overlappingTensors("a", "b"))
    let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
    #expect(failure(safetensorsBytes(header: gap, data: Array(repeating: 0, count: 12))) == .unreferencedBytes(offset: 4, count: 4))
    #expect(failure(safetensorsBytes(header: twoTensors, data: twoTensorData + [0, 0])) == .unreferencedBytes(offset: 12, count: 2))
}

@Test func readsTensorsLargerThanOneChunkFromFiles() throws {
    // 3,000,000 F32 values (12 MB, more than the 8 MiB read chunk) and an F16 tensor after them:
    // read from a file, every value arrives where decoding the same bytes in memory puts it.
    let count = 3_000_000
    let large = (0..<count).map { Float($0 % 1009) * 0.25 - 100 }
    let halves: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7BFF]  // 1, −2, the smallest subnormal, 65504
    let header = #"{"big":{"dtype":"F32","shape":[3000,1000],"data_offsets":[0,12000000]},"h":{"dtype":"F16","shape":[4],"data_offsets":[12000000,12000008]}}"#
    let bytes = safetensorsBytes(header: header, data: littleEndian(large) + halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
    #expect(failure(bytes) == nil)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-st-large-\(UInt64.random(in: 0...UInt64.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try bytes.write(to: url)
    let file = try SafetensorsFile.read(contentsOf: url)
    #expect(file["big"]?.scalars == large)
    #expect(file["h"]?.scalars == [1, -2, 0x1p-24, 65504])
}

@Test func namesFilesThatCannotBeRead() {
    let missing = URL(fileURLWithPath: "/nonexistent-rectgrad/w.safetensors")
    #expect {
        try SafetensorsFile.read(contentsOf: missing)
    } throws: { error in
        guard let error = error as? WeightsError, case .unreadable = error.reason else { return false }
        return error.file == missing.path
    }
    let directory = FileManager.default.temporaryDirectory
    #expect {
        try SafetensorsFile.read(contentsOf: directory)
    } throws: { error in
        guard let error = error as? WeightsError, case .unreadable("it is a folder, not a file") = error.reason else { return false }
        return true
    }
}

/// The data section of an encoded file as 16-bit little-endian words.
private func halfWords(_ data: Data) -> [UInt16] {
    let bytes = [UInt8](data)
    let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
    let payload = Array(bytes[(8 + headerLength)...])
    return stride(from: 0, to: payload.count, by: 2).map { UInt16(payload[$0]) | UInt16(payload[$0 + 1]) << 8 }
}

@Test func writesHalfPrecisionRoundingToNearestEven() throws {
    // Expected bit patterns from NumPy's float32 → float16 conversion (round to nearest, ties to
    // even): 1, −2, 65504 (largest half), 1/3, 2^-24 (smallest subnormal), 2^-25 (a tie → 0),
    // 3·2^-25 (a tie → 2 units), 2^-14 (smallest normal), 2^-14 − 2^-25 (rounds up into the
    // normals), 0.1, 1 + 2^-11 (a tie → 1), 1 + 3·2^-11 (a tie → up), 65519 (just below the
    // overflow midpoint), 6e-8, −0.
    let values: [Float] = [1, -2, 65504, 1.0 / 3, 0x1p-24, 0x1p-25, 3 * 0x1p-25, 0x1p-14, 0x1p-14 - 0x1p-25, 0.1, 1 + 0x1p-11, 1 + 3 * 0x1p-11, 65519, 6e-8, -0.0]
    let expected: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x3555, 0x0001, 0x0000, 0x0002, 0x0400, 0x0400, 0x2E66, 0x3C00, 0x3C02, 0x7BFF, 0x0001, 0x8000]
    let file = SafetensorsFile(tensors: [NamedParameter(name: "w", value: try Tensor(shape: [values.count], scalars: values))])
    let data = try file.encoded(as: .f16)
    #expect(halfWords(data) == expected)
    // Read back: each value is the half it was rounded to.
    let read = try SafetensorsFile.decode(data)
    #expect(read["w"]?.scalars.prefix(4) == [1, -2, 65504, 0.333251953125])
    #expect(data.count < file.encoded().count)

    // 65520 rounds to infinity in F16: refused, naming the tensor.
    let overflow = SafetensorsFile(tensors: [NamedParameter(name: "fc.weight", value: try Tensor(shape: [2], scalars: [1, 65520]))])
    #expect(throws: WeightsError.Reason.notRepresentable(tensor: "fc.weight", dtype: "F16", value: 65520)) { try overflow.encoded(as: .f16) }
}

@Test func writesBFloat16RoundingToNearestEven() throws {
    // Expected from PyTorch's float32 → bfloat16 conversion: 1, 1 + 2^-8 (a tie → 1),
    // 1 + 3·2^-8 (a tie → up), −3.140625, 0.1, the largest bfloat16, 1e-40 (a float32 subnormal).
    let values: [Float] = [1, 1 + 0x1p-8, 1 + 3 * 0x1p-8, -3.140625, 0.1, 3.3895313892515355e38, 1e-40]
    let expected: [UInt16] = [0x3F80, 0x3F80, 0x3F82, 0xC049, 0x3DCD, 0x7F7F, 0x0001]
    let file = SafetensorsFile(tensors: [NamedParameter(name: "w", value: try Tensor(shape: [values.count], scalars: values))])
    #expect(halfWords(try file.encoded(as: .bf16)) == expected)
    let overflow = SafetensorsFile(tensors: [NamedParameter(name: "w", value: try Tensor(shape: [1], scalars: [.greatestFiniteMagnitude]))])
    #expect(throws: WeightsError.Reason.notRepresentable(tensor: "w", dtype: "BF16", value: .greatestFiniteMagnitude)) { try overflow.encoded(as: .bf16) }
}

@Test func readsF32StraightFromFilesAtAnyOffsetBitForBit() throws {
    // F32 tensors are read from a file straight into their storage: at a data start that is not a
    // multiple of 4 (a 55-byte header), with bit patterns a conversion could alter (−0, a NaN with
    // a payload, a subnormal, infinity), the values are the bytes, as decoding them in memory gives.
    let bits: [UInt32] = [0x8000_0000, 0x7FC0_1234, 0x0000_0001, 0x7F80_0000, 0x3F80_0000]
    let header = #"{"w":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}"#
    #expect(header.utf8.count % 4 != 0)
    let bytes = safetensorsBytes(header: header, data: bits.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) } })
    // (Compared by bit pattern: the NaN makes the tensors unequal under `==`.)
    #expect(try SafetensorsFile.decode(bytes)["w"]?.scalars.map(\.bitPattern) == bits)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-st-bits-\(UInt64.random(in: 0...UInt64.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try bytes.write(to: url)
    let file = try SafetensorsFile.read(contentsOf: url)
    #expect(file["w"]?.scalars.map(\.bitPattern) == bits)
    // One byte short: the tensor's range leaves the file, before anything is read.
    #expect(failure(bytes.dropLast()) == .offsetsOutOfRange(tensor: "w", end: 20, dataSize: 19))
}

@Test func readsLargeF32TensorsBitForBit() throws {
    // A tensor large enough for huge-page storage (9 MB: an aligned 2 MiB interior) and for two
    // 8 MiB reads, at a data start that is not a multiple of 4, after a small tensor: every bit
    // pattern as written, the same as decoding the bytes in memory.
    let count = 2_250_001
    var state: UInt32 = 12345
    let bits: [UInt32] = (0..<(count + 3)).map { _ in state = state &* 1_664_525 &+ 1_013_904_223; return state }
    let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"big":{"dtype":"F32","shape":[\#(count)],"data_offsets":[12,\#(12 + 4 * count)]}}"#
    #expect(header.utf8.count % 4 != 0)
    var data = [UInt8]()
    data.reserveCapacity(4 * bits.count)
    for word in bits { for k in 0..<4 { data.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(k)))) } }
    let bytes = safetensorsBytes(header: header, data: data)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-st-large-\(UInt64.random(in: 0...UInt64.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try bytes.write(to: url)
    let file = try SafetensorsFile.read(contentsOf: url)
    #expect(file["a"]?.scalars.map(\.bitPattern) == Array(bits[0..<3]))
    #expect(file["big"]?.scalars.map(\.bitPattern) == Array(bits[3...]))
    #expect(try SafetensorsFile.decode(bytes)["big"]?.scalars.map(\.bitPattern) == Array(bits[3...]))
}

@Test func readsLargeTensorsInPartsOnSeveralWorkersBitForBit() throws {
    // An F32 tensor of 3,500,003 values (three parts of at least 2²⁰ on three workers, the last
    // part's end not on a page) at a data start that is not a multiple of 4, and an F16 tensor of
    // 2,100,001 values after it (two parts, each converted through the chunk buffer): the same bits
    // as reading on one thread and as decoding the bytes in memory.
    let count = 3_500_003, halfCount = 2_100_001
    var state: UInt32 = 977
    let bits: [UInt32] = (0..<count).map { _ in state = state &* 1_664_525 &+ 1_013_904_223; return state }
    let halves: [UInt16] = (0..<halfCount).map { UInt16(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) & 0x7BFF }
    let header = #"{"big":{"dtype":"F32","shape":[\#(count)],"data_offsets":[0,\#(4 * count)]},"half":{"dtype":"F16","shape":[\#(halfCount)],"data_offsets":[\#(4 * count),\#(4 * count + 2 * halfCount)]}}"#
    #expect(header.utf8.count % 4 != 0)
    var data = [UInt8]()
    data.reserveCapacity(4 * count + 2 * halfCount)
    for word in bits { for k in 0..<4 { data.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(k)))) } }
    for half in halves { data.append(UInt8(half & 0xFF)); data.append(UInt8(half >> 8)) }
    let bytes = safetensorsBytes(header: header, data: data)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-st-parts-\(UInt64.random(in: 0...UInt64.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try bytes.write(to: url)
    let serial = try SafetensorsFile.read(contentsOf: url)
    let parallel = try SafetensorsFile.read(contentsOf: url, workers: Workers(count: 3))
    #expect(parallel["big"]?.scalars.map(\.bitPattern) == bits)
    #expect(parallel["half"]?.scalars.map(\.bitPattern) == serial["half"]?.scalars.map(\.bitPattern))
    #expect(parallel["half"]?.scalars.map(\.bitPattern) == (try SafetensorsFile.decode(bytes))["half"]?.scalars.map(\.bitPattern))
    #expect(parallel["half"]?.scalars.prefix(3) == halves.prefix(3).map { SafetensorsTestsHalf.float($0) }[...])
}

/// An independent F16 → Float decoding for the test above (IEEE binary16, normal and subnormal).
enum SafetensorsTestsHalf {
    static func float(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F), fraction = Float(bits & 0x3FF)
        if exponent == 0 { return sign * fraction * 0x1p-24 }
        return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}
