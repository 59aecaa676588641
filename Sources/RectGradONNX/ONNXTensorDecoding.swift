import Foundation
import RectGradCore

/// Reads `TensorProto` values (initializers and `Constant` attributes) into ``ONNXConstant``s.
struct ONNXTensorDecoder {
    /// The folder of the model file; external data must lie inside it. `nil` when the model was
    /// given as bytes: external data is then refused.
    var modelDirectory: URL?
    /// Size limits.
    var limits: ONNXLimits
    /// The threads that copy a large tensor's elements, in parts.
    var workers: Workers = .serial

    /// ONNX `TensorProto.DataType` codes this importer reads.
    enum DataType: Int32 {
        case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7
        case bool = 9, float16 = 10, double = 11, uint32 = 12, uint64 = 13, bfloat16 = 16

        /// Bytes per element in `raw_data`.
        var byteWidth: Int {
            switch self {
            case .uint8, .int8, .bool: return 1
            case .uint16, .int16, .float16, .bfloat16: return 2
            case .float, .int32, .uint32: return 4
            case .int64, .double, .uint64: return 8
            }
        }

        var isFloatingPoint: Bool { self == .float || self == .float16 || self == .double || self == .bfloat16 }
    }

    /// Decodes `proto`; `name` is used in errors when the proto has no name of its own.
    /// `rawData`, when given, is the tensor's `raw_data` read from the model's bytes in place of
    /// the proto's own (which was then left out when decoding, ``ONNXRawDataIndex``).
    func decode(_ proto: Onnx_TensorProto, name fallbackName: String, rawData: Data? = nil) throws(ONNXError) -> ONNXConstant {
        let name = proto.name.isEmpty ? fallbackName : proto.name
        guard let type = DataType(rawValue: proto.dataType) else {
            throw .invalidTensor(name: name, reason: "data type \(proto.dataType) is not supported (float, float16, bfloat16, double and integer types are)")
        }
        if proto.hasSegment { throw .invalidTensor(name: name, reason: "segmented tensors are not supported") }
        let count = try limits.elementCount(of: proto.dims, tensor: name)
        let shape = proto.dims.map { Int($0) }

        let raw: Data?
        if proto.dataLocation == .external {
            raw = try externalBytes(proto, name: name)
        } else if let rawData {
            raw = rawData
        } else if proto.hasRawData {
            raw = proto.rawData
        } else {
            raw = nil
        }
        if let raw {
            let (expected, overflow) = count.multipliedReportingOverflow(by: type.byteWidth)
            guard !overflow, raw.count == expected else {
                throw .invalidTensor(name: name, reason: "raw data holds \(raw.count) bytes, dims \(shape) of \(type) need \(count * type.byteWidth)")
            }
            return Self.fromRaw(raw, type: type, shape: shape, count: count, workers: workers)
        }
        return try fromTypedFields(proto, type: type, shape: shape, count: count, name: name)
    }

    /// Elements stored in the typed repeated fields (`float_data`, `int32_data`, …).
    private func fromTypedFields(_ proto: Onnx_TensorProto, type: DataType, shape: [Int], count: Int, name: String) throws(ONNXError) -> ONNXConstant {
        func check(_ actual: Int, field: String) throws(ONNXError) {
            guard actual == count else {
                throw .invalidTensor(name: name, reason: "\(field) holds \(actual) values, dims \(shape) need \(count)")
            }
        }
        switch type {
        case .float:
            try check(proto.floatData.count, field: "float_data")
            return ONNXConstant(shape: shape, floats: proto.floatData)
        case .double:
            try check(proto.doubleData.count, field: "double_data")
            return ONNXConstant(shape: shape, floats: proto.doubleData.map { Float($0) })
        case .float16:
            try check(proto.int32Data.count, field: "int32_data")
            return ONNXConstant(shape: shape, floats: proto.int32Data.map { Self.halfToFloat(UInt16(truncatingIfNeeded: $0)) })
        case .bfloat16:
            try check(proto.int32Data.count, field: "int32_data")
            return ONNXConstant(shape: shape, floats: proto.int32Data.map { Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16) })
        case .int64:
            try check(proto.int64Data.count, field: "int64_data")
            return ONNXConstant(shape: shape, integers: proto.int64Data)
        case .uint32, .uint64:
            try check(proto.uint64Data.count, field: "uint64_data")
            return ONNXConstant(shape: shape, integers: proto.uint64Data.map { Int64(truncatingIfNeeded: $0) })
        case .int32, .int16, .int8, .uint16, .uint8, .bool:
            try check(proto.int32Data.count, field: "int32_data")
            return ONNXConstant(shape: shape, integers: proto.int32Data.map { Int64($0) })
        }
    }

    /// Elements stored little-endian in `raw_data` (whose size was checked); a large float
    /// tensor is copied in parts on `workers`.
    static func fromRaw(_ raw: Data, type: DataType, shape: [Int], count: Int, workers: Workers = .serial) -> ONNXConstant {
        raw.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> ONNXConstant in
            func word<Word: FixedWidthInteger>(_ i: Int, _: Word.Type) -> Word {
                Word(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<Word>.size, as: Word.self))
            }
            switch type {
            case .float:
                #if _endian(little)
                // The file's byte order is the machine's: one copy instead of a conversion per element.
                // Storage whose pages are mapped in one call per part (`LargeFloatStorage`), then
                // one copy; the parts are shared among the workers.
                let size = MemoryLayout<Float>.size
                let floats = LargeFloatStorage.makeArray(count: count, workers: workers) { range, part in
                    UnsafeMutableRawBufferPointer(part).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[(range.lowerBound * size)..<(range.upperBound * size)]))
                }
                return ONNXConstant(shape: shape, floats: floats)
                #else
                return ONNXConstant(shape: shape, floats: (0..<count).map { Float(bitPattern: word($0, UInt32.self)) })
                #endif
            case .double: return ONNXConstant(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: word($0, UInt64.self))) })
            case .float16: return ONNXConstant(shape: shape, floats: (0..<count).map { halfToFloat(word($0, UInt16.self)) })
            case .bfloat16: return ONNXConstant(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(word($0, UInt16.self)) << 16) })
            case .int64, .uint64: return ONNXConstant(shape: shape, integers: (0..<count).map { Int64(bitPattern: word($0, UInt64.self)) })
            case .int32: return ONNXConstant(shape: shape, integers: (0..<count).map { Int64(Int32(bitPattern: word($0, UInt32.self))) })
            case .uint32: return ONNXConstant(shape: shape, integers: (0..<count).map { Int64(word($0, UInt32.self)) })
            case .int16: return ONNXConstant(shape: shape, integers: (0..<count).map { Int64(Int16(bitPattern: word($0, UInt16.self))) })
            case .uint16: return ONNXConstant(shape: shape, integers: (0..<count).map { Int64(word($0, UInt16.self)) })
            case .int8: return ONNXConstant(shape: shape, integers: (0..<count).map { Int64(Int8(bitPattern: word($0, UInt8.self))) })
            case .uint8, .bool: return ONNXConstant(shape: shape, integers: (0..<count).map { Int64(word($0, UInt8.self)) })
            }
        }
    }

    /// IEEE 754 half precision to single precision (subnormals, infinities and NaN included).
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }

    /// The bytes of a tensor stored in an external file next to the model.
    private func externalBytes(_ proto: Onnx_TensorProto, name: String) throws(ONNXError) -> Data {
        guard let modelDirectory else {
            throw .invalidTensor(name: name, reason: "external data needs the model's folder; import the model from its file")
        }
        var location: String?
        var offset = 0
        var length: Int?
        for entry in proto.externalData {
            switch entry.key {
            case "location": location = entry.value
            case "offset":
                guard let value = Int(entry.value), value >= 0 else { throw .invalidTensor(name: name, reason: "external data offset '\(entry.value)' is invalid") }
                offset = value
            case "length":
                guard let value = Int(entry.value), value >= 0 else { throw .invalidTensor(name: name, reason: "external data length '\(entry.value)' is invalid") }
                length = value
            default: break
            }
        }
        guard let location, !location.isEmpty else { throw .invalidTensor(name: name, reason: "external data has no location") }
        let file = try Self.confined(location, to: modelDirectory, tensor: name)
        guard let handle = try? FileHandle(forReadingFrom: file) else {
            throw .invalidTensor(name: name, reason: "cannot open external data file '\(location)'")
        }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), let fileSize = Int(exactly: size) else {
            throw .invalidTensor(name: name, reason: "cannot read the size of external data file '\(location)'")
        }
        let available = fileSize - min(offset, fileSize)
        let wanted = length ?? available
        let (end, overflow) = offset.addingReportingOverflow(wanted)
        guard !overflow, end <= fileSize else {
            throw .invalidTensor(name: name, reason: "external data range \(offset)..<\(offset)+\(wanted) lies beyond the end of '\(location)' (\(fileSize) bytes)")
        }
        guard wanted <= limits.maximumFileBytes else {
            throw .invalidTensor(name: name, reason: "external data of \(wanted) bytes exceeds the limit of \(limits.maximumFileBytes)")
        }
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: wanted) ?? Data()
            guard data.count == wanted else { throw ONNXError.invalidTensor(name: name, reason: "external data file '\(location)' ended early") }
            return data
        } catch let error as ONNXError {
            throw error
        } catch {
            throw .invalidTensor(name: name, reason: "cannot read external data file '\(location)': \(error)")
        }
    }

    /// `location` resolved inside `directory`; absolute paths, `..` and symbolic links leading
    /// out of the folder are refused.
    static func confined(_ location: String, to directory: URL, tensor: String) throws(ONNXError) -> URL {
        let components = location.split(separator: "/", omittingEmptySubsequences: true)
        guard !location.hasPrefix("/"), !location.contains("\\"), !components.contains(where: { $0 == ".." }) else {
            throw .invalidTensor(name: tensor, reason: "external data location '\(location)' leaves the model's folder")
        }
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        let file = root.appendingPathComponent(location).standardizedFileURL.resolvingSymlinksInPath()
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        guard file.path.hasPrefix(rootPath) else {
            throw .invalidTensor(name: tensor, reason: "external data location '\(location)' resolves outside the model's folder")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw .invalidTensor(name: tensor, reason: "external data file '\(location)' does not exist next to the model")
        }
        return file
    }
}
