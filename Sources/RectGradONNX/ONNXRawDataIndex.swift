import Foundation

/// Where the `raw_data` of each initializer of a model's main graph lies in the model's
/// serialized bytes, and the model's bytes without those fields.
///
/// The Protocol Buffers decoder copies every `bytes` field it reads, so a model decoded whole
/// holds its weights twice before a single constant exists (for vgg16, 553 MB copied into fresh
/// memory on one thread). Decoding the bytes without the initializers' `raw_data` and reading
/// each initializer's elements straight from the (memory-mapped) file instead gives the same
/// constants with one copy, which the import's workers share.
///
/// Only the fields on the path `ModelProto.graph` (7) → `GraphProto.initializer` (5) →
/// `TensorProto.raw_data` (9) are looked at; every other byte is kept as it is, so the decoder
/// still checks everything else. Protocol Buffers semantics are kept: a singular message field
/// that appears more than once is merged (the initializers of every occurrence, in order), and
/// of several `raw_data` fields in one tensor the last counts. Bytes that are not well-formed
/// on that path give no index (``scan(_:)`` returns `nil`), and the whole model is then decoded
/// as usual, which reports the problem.
package struct ONNXRawDataIndex {
    /// The model's bytes with the `raw_data` fields of the main graph's initializers left out.
    package var strippedModel: Data
    /// For each initializer of the main graph, in order: the byte range of its `raw_data` in
    /// the scanned bytes (offsets from their start), or `nil` for an initializer without one.
    package var initializerRawData: [Range<Int>?]

    private static let graphField: UInt64 = 7
    private static let initializerField: UInt64 = 5
    private static let rawDataField: UInt64 = 9

    /// Scans a serialized `ModelProto`; `nil` when the path to the initializers is not
    /// well-formed wire format.
    package static func scan(_ bytes: UnsafeRawBufferPointer) -> ONNXRawDataIndex? {
        var stripped: [UInt8] = []
        var ranges: [Range<Int>?] = []
        var reader = WireReader(bytes: bytes, range: 0..<bytes.count)
        while !reader.isAtEnd {
            guard let field = reader.nextField() else { return nil }
            guard field.number == graphField, field.wireType == .lengthDelimited else {
                stripped.append(contentsOf: bytes[field.whole])
                continue
            }
            guard let graph = strippedGraph(bytes, field.payload, ranges: &ranges) else { return nil }
            stripped.append(contentsOf: bytes[field.key])
            appendVarint(UInt64(graph.count), to: &stripped)
            stripped.append(contentsOf: graph)
        }
        return ONNXRawDataIndex(strippedModel: Data(stripped), initializerRawData: ranges)
    }

    /// A `GraphProto`'s bytes with its initializers' `raw_data` left out; their ranges are
    /// appended to `ranges`.
    private static func strippedGraph(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, ranges: inout [Range<Int>?]) -> [UInt8]? {
        var graph: [UInt8] = []
        var reader = WireReader(bytes: bytes, range: range)
        while !reader.isAtEnd {
            guard let field = reader.nextField() else { return nil }
            guard field.number == initializerField, field.wireType == .lengthDelimited else {
                graph.append(contentsOf: bytes[field.whole])
                continue
            }
            // The tensor without its raw data; the last `raw_data` field counts.
            var tensor: [UInt8] = []
            var rawData: Range<Int>?
            var tensorReader = WireReader(bytes: bytes, range: field.payload)
            while !tensorReader.isAtEnd {
                guard let tensorField = tensorReader.nextField() else { return nil }
                if tensorField.number == rawDataField, tensorField.wireType == .lengthDelimited {
                    rawData = tensorField.payload
                } else {
                    tensor.append(contentsOf: bytes[tensorField.whole])
                }
            }
            ranges.append(rawData)
            graph.append(contentsOf: bytes[field.key])
            appendVarint(UInt64(tensor.count), to: &graph)
            graph.append(contentsOf: tensor)
        }
        return graph
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}

/// Reads the fields of one message from serialized bytes, checking every length against the
/// message's end.
private struct WireReader {
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    /// One field: its number and wire type, the bytes of its key, of its payload (for a
    /// length-delimited field, without the length), and of the whole field.
    struct Field {
        var number: UInt64
        var wireType: WireType
        var key: Range<Int>
        var payload: Range<Int>
        var whole: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    init(bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// The next field, or `nil` for a malformed one (a bad key, a group, a length past the end).
    mutating func nextField() -> Field? {
        let start = position
        guard let key = readVarint(), let wireType = WireType(rawValue: key & 7), key >> 3 != 0 else { return nil }
        let keyEnd = position
        let payloadStart: Int
        let payloadLength: Int
        switch wireType {
        case .varint:
            guard readVarint() != nil else { return nil }
            return Field(number: key >> 3, wireType: wireType, key: start..<keyEnd, payload: keyEnd..<position, whole: start..<position)
        case .fixed64: (payloadStart, payloadLength) = (position, 8)
        case .fixed32: (payloadStart, payloadLength) = (position, 4)
        case .lengthDelimited:
            guard let length = readVarint(), length <= UInt64(end - position) else { return nil }
            (payloadStart, payloadLength) = (position, Int(length))
        }
        guard payloadLength <= end - payloadStart else { return nil }
        position = payloadStart + payloadLength
        return Field(number: key >> 3, wireType: wireType, key: start..<keyEnd, payload: payloadStart..<position, whole: start..<position)
    }

    /// A base-128 varint of at most ten bytes, or `nil` past the end or for a longer one.
    private mutating func readVarint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
