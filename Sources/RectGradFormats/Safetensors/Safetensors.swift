import Foundation
import RectGradCore
import Synchronization

/// The tensors of a safetensors file (8-byte little-endian header length, a JSON header of
/// `name → {dtype, shape, data_offsets}`, then the raw little-endian data).
///
/// Reading is strict: the header length, the JSON, every dtype, every shape against its byte
/// range, and the byte ranges themselves (in range, not overlapping, covering the data without
/// gaps) are validated before any tensor is built. F32, F16, BF16 and F64 are loaded (converted to
/// Float32); integer tensors named `…num_batches_tracked` are skipped (PyTorch's batch-norm
/// counters), any other dtype is refused.
public struct SafetensorsFile: Sendable, Equatable {
    /// The tensors, in data order.
    public var tensors: [NamedParameter]
    /// The free-form `__metadata__` string map.
    public var metadata: [String: String]
    /// Names skipped while reading (`num_batches_tracked` counters).
    public var skippedNames: [String]

    /// Creates a file from named tensors.
    public init(tensors: [NamedParameter], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.skippedNames = []
    }

    /// The tensors by name.
    public var dictionary: [String: Tensor] {
        Dictionary(tensors.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.value }

    /// Reads and validates the file at `url`.
    ///
    /// The header is read and validated first; then each tensor's bytes are read straight into its
    /// Float32 storage in chunks, so the file is never in memory as a whole (loading VGG-16's
    /// 553 MB of weights needs the weights plus 8 MiB, not twice the weights). The storage comes
    /// from ``RectGradCore/LargeFloatStorage`` (on Linux its pages are mapped in one call before
    /// the reads fill them).
    ///
    /// With more than one worker a large tensor (4 MiB and more) is read in parts, one per
    /// worker, each worker mapping and filling its own part: most of a cold load is the system
    /// time of mapping fresh memory, and it is shared among the cores that way. The tensors are
    /// the same bytes for any worker count.
    /// - Parameters:
    ///   - url: the file.
    ///   - workers: the threads that read (default: the calling thread alone).
    /// - Throws: ``WeightsError`` naming the file and tensor.
    public static func read(contentsOf url: URL, workers: Workers = .serial) throws(WeightsError) -> SafetensorsFile {
        do throws(WeightsError.Reason) {
            let file = try SafetensorsFileReader(path: url.path)
            let layout = try SafetensorsLayout(totalSize: file.size) { (range) throws(WeightsError.Reason) in try file.bytes(range) }
            return try layout.assemble(workers: workers) { (entry, elements, destination) throws(WeightsError.Reason) in
                try file.convert(entry, dataStart: layout.dataStart, elements: elements, into: destination)
            }
        } catch {
            throw WeightsError(file: url.path, reason: error)
        }
    }

    /// Decodes and validates safetensors bytes; `source` names them in errors.
    /// - Throws: ``WeightsError``.
    public static func decode(_ data: Data, source: String = "<data>") throws(WeightsError) -> SafetensorsFile {
        let result = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<SafetensorsFile, WeightsError.Reason> in
            do throws(WeightsError.Reason) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let file): return file
        case .failure(let reason): throw WeightsError(file: source, reason: reason)
        }
    }

    /// Writes the tensors as F32 (the header padded with spaces to a multiple of 8 bytes).
    public func encoded() -> Data {
        // F32 represents every Float32, so encoding cannot fail.
        (try? encoded(as: .f32)) ?? Data()
    }

    /// Writes the tensors as `type` (the header padded with spaces to a multiple of 8 bytes).
    /// F16 and BF16 round to nearest, ties to even, as NumPy and PyTorch convert.
    /// - Throws: ``WeightsError/Reason/notRepresentable(tensor:dtype:value:)`` for a finite value
    ///   outside the type's range.
    public func encoded(as type: SafetensorsStorageType) throws(WeightsError.Reason) -> Data {
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let size = tensor.value.count * type.byteCount
            let shape = tensor.value.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(tensor.name)):{\"dtype\":\"\(type.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        let headerBytes = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        let padded = headerBytes + [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
        var data = Data(capacity: 8 + padded.count + offset)
        let length = UInt64(padded.count)
        data.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) })
        data.append(contentsOf: padded)
        for tensor in tensors {
            let bytes = tensor.value.withUnsafeBufferPointer { values in
                Result { () throws(WeightsError.Reason) -> [UInt8] in try type.littleEndianBytes(of: values, tensor: tensor.name) }
            }
            data.append(contentsOf: try bytes.get())
        }
        return data
    }

    /// Writes the file to `url` (atomically), its tensors as `type` (default F32).
    /// - Throws: ``WeightsError`` naming the file.
    public func write(to url: URL, as type: SafetensorsStorageType = .f32) throws(WeightsError) {
        let data: Data
        do { data = try encoded(as: type) } catch { throw WeightsError(file: url.path, reason: error) }
        do { try data.write(to: url, options: .atomic) } catch {
            throw WeightsError(file: url.path, reason: .unwritable(error.localizedDescription))
        }
    }

    // MARK: Decoding

    /// The largest header accepted, in bytes: 100,000,000, the limit of the format's reference
    /// implementation. Checked against the 8-byte length prefix before the header is read.
    public static let maximumHeaderLength: UInt64 = 100_000_000

    /// The most tensors (header entries, `__metadata__` aside) a file may describe: 100,000.
    ///
    /// Real checkpoints hold hundreds to a few thousand tensors per file. The header is read entry
    /// by entry and refused as soon as the count passes the limit, so a header padded with a
    /// million empty entries fails in a fraction of a second instead of being parsed whole.
    public static let maximumEntryCount = 100_000

    private static func decode(_ raw: UnsafeRawBufferPointer) throws(WeightsError.Reason) -> SafetensorsFile {
        let layout = try SafetensorsLayout(totalSize: raw.count) { range in Data(raw[range]) }
        return try layout.assemble(workers: .serial) { entry, elements, destination in
            let size = entry.dtype.byteCount
            let start = layout.dataStart + entry.begin + elements.lowerBound * size
            let bytes = UnsafeRawBufferPointer(rebasing: raw[start..<(start + elements.count * size)])
            entry.dtype.convert(bytes, into: destination)
        }
    }
}

/// The validated layout of a safetensors file: its header parsed and every entry checked (dtype,
/// shape against byte range, ranges in the file, not overlapping, covering the data without gaps)
/// before any tensor data is read.
struct SafetensorsLayout {
    /// One tensor's place in the data section.
    struct Entry { var name: String; var dtype: SafetensorsDType; var shape: [Int]; var begin: Int; var end: Int }

    /// The entries in data order.
    var entries: [Entry]
    var metadata: [String: String]
    /// The offset of the data section in the file (8 + the header length).
    var dataStart: Int

    /// Validates the layout of a file of `totalSize` bytes; `bytes` returns a byte range of it.
    init(totalSize: Int, bytes: (Range<Int>) throws(WeightsError.Reason) -> Data) throws(WeightsError.Reason) {
        guard totalSize >= 8 else { throw .truncatedHeaderLength(fileSize: totalSize) }
        let prefix = try bytes(0..<8)
        let declared = prefix.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) }
        guard declared <= UInt64(totalSize - 8), declared <= SafetensorsFile.maximumHeaderLength else {
            throw .headerLengthOutOfRange(declared: declared, available: totalSize - 8)
        }
        let headerLength = Int(declared)
        let header = try SafetensorsHeader.parse(try bytes(8..<(8 + headerLength)))
        let start = 8 + headerLength
        let dataSize = totalSize - start
        var validated: [Entry] = []
        validated.reserveCapacity(header.entries.count)
        for entry in header.entries {
            switch Self.validated(entry, dataSize: dataSize) {
            case .success(let checked): validated.append(checked)
            case .failure(let reason): throw reason
            }
        }
        validated.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: String?
        for entry in validated {
            if entry.begin < covered, let previous { throw .overlappingTensors(previous, entry.name) }
            if entry.begin > covered { throw .unreferencedBytes(offset: covered, count: entry.begin - covered) }
            if entry.end > entry.begin || previous == nil { previous = entry.name }
            covered = max(covered, entry.end)
        }
        if covered < dataSize { throw .unreferencedBytes(offset: covered, count: dataSize - covered) }
        entries = validated
        metadata = header.metadata
        dataStart = start
    }

    /// One header entry checked against the data section's size: a known dtype, a shape whose
    /// byte count is the entry's byte range, and a range inside the data.
    private static func validated(_ entry: SafetensorsHeader.Entry, dataSize: Int) -> Result<Entry, WeightsError.Reason> {
        guard let dtype = SafetensorsDType(rawValue: entry.dtype) else { return .failure(.unsupportedDType(tensor: entry.name, dtype: entry.dtype)) }
        guard entry.shape.allSatisfy({ $0 >= 0 }) else { return .failure(.invalidEntry(tensor: entry.name, reason: "negative extent in shape \(entry.shape)")) }
        guard entry.offsets.count == 2 else { return .failure(.invalidEntry(tensor: entry.name, reason: "data_offsets must hold two numbers")) }
        let begin = entry.offsets[0], end = entry.offsets[1]
        guard begin >= 0, end >= begin else { return .failure(.invalidEntry(tensor: entry.name, reason: "data_offsets [\(begin), \(end)] are not an ascending pair")) }
        guard let count = Checked.elementCount(entry.shape), let expected = Checked.multiply(count, dtype.byteCount) else {
            return .failure(.invalidEntry(tensor: entry.name, reason: "shape \(entry.shape) is too large"))
        }
        guard expected == end - begin else { return .failure(.byteCountMismatch(tensor: entry.name, expected: expected, actual: end - begin)) }
        guard end <= dataSize else { return .failure(.offsetsOutOfRange(tensor: entry.name, end: end, dataSize: dataSize)) }
        return .success(Entry(name: entry.name, dtype: dtype, shape: entry.shape, begin: begin, end: end))
    }

    /// Builds the tensors; `fill(entry, elements, destination)` writes the entry's elements
    /// `elements`, converted to Float32, into `destination` (which holds exactly those). With
    /// more than one worker, `fill` runs for disjoint parts of a large entry at once.
    func assemble(workers: Workers, _ fill: (Entry, Range<Int>, UnsafeMutableBufferPointer<Float>) throws(WeightsError.Reason) -> Void) throws(WeightsError.Reason) -> SafetensorsFile {
        var file = SafetensorsFile(tensors: [], metadata: metadata)
        for entry in entries {
            guard entry.dtype.isFloatingPoint else {
                guard entry.name.hasSuffix("num_batches_tracked") else { throw .unsupportedDType(tensor: entry.name, dtype: entry.dtype.rawValue) }
                file.skippedNames.append(entry.name)
                continue
            }
            let count = (entry.end - entry.begin) / entry.dtype.byteCount
            // The first failure of any part (parts may fail on several threads at once).
            let failure = Mutex<WeightsError.Reason?>(nil)
            // Each part's pages are mapped in one call before the read fills them (see
            // `LargeFloatStorage`: less system time than one page fault per 4 KiB); same bytes.
            let scalars = LargeFloatStorage.makeArray(count: count, workers: workers) { elements, part in
                do throws(WeightsError.Reason) {
                    try fill(entry, elements, part)
                } catch {
                    failure.withLock { first in if first == nil { first = error } }
                    part.initialize(repeating: 0)
                }
            }
            if let failure = failure.withLock({ $0 }) { throw failure }
            do {
                file.tensors.append(NamedParameter(name: entry.name, value: try Tensor(shape: entry.shape, scalars: scalars)))
            } catch {
                throw .invalidEntry(tensor: entry.name, reason: "\(error)")
            }
        }
        return file
    }
}

/// The dtypes of the safetensors format.
enum SafetensorsDType: String {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    var byteCount: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    var isFloatingPoint: Bool { self == .f64 || self == .f32 || self == .f16 || self == .bf16 }

    /// Converts little-endian elements to Float32 into `destination` (which holds
    /// `bytes.count / byteCount` elements; only for floating-point dtypes).
    func convert(_ bytes: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        let count = min(bytes.count / byteCount, destination.count)
        switch self {
        case .f32:
            for i in 0..<count { destination[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f64:
            for i in 0..<count { destination[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        case .f16:
            for i in 0..<count { destination[i] = HalfPrecision.float(fromHalf: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<count { destination[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
        default:
            destination.initialize(repeating: 0)
        }
    }
}

/// IEEE 754 binary16 conversion without relying on the platform's `Float16`.
enum HalfPrecision {
    /// The Float32 value of a binary16 bit pattern (exact: every half is a float).
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            return sign * Float(mantissa) * 0x1p-24
        case 31:
            return mantissa == 0 ? sign * .infinity : .nan
        default:
            let pattern = (bits & 0x8000 != 0 ? UInt32(0x8000_0000) : 0) | UInt32(exponent + 112) << 23 | mantissa << 13
            return Float(bitPattern: pattern)
        }
    }
}

/// The parsed JSON header.
struct SafetensorsHeader {
    struct Entry { var name: String; var dtype: String; var shape: [Int]; var offsets: [Int] }
    var entries: [Entry] = []
    var metadata: [String: String] = [:]

    static func parse(_ bytes: Data) throws(WeightsError.Reason) -> SafetensorsHeader {
        // UTF-8 is checked string by string while parsing (bytes outside strings must be JSON's
        // ASCII anyway), so a long header is not scanned twice; a failure names the cause.
        let text = [UInt8](bytes)
        func invalid(_ error: JSONParseError) -> WeightsError.Reason {
            String(validating: text, as: UTF8.self) == nil ? .invalidHeader("the header is not UTF-8") : .invalidHeader("not valid JSON: \(error.reason)")
        }
        var header = SafetensorsHeader()
        var reader: JSONObjectReader
        do { reader = try JSONObjectReader(bytes: text) } catch { throw invalid(error) }
        while true {
            let member: (key: String, value: JSONValue)?
            do { member = try reader.next() } catch { throw invalid(error) }
            guard let (name, value) = member else { break }
            if name == "__metadata__" {
                guard case .object(let map) = value else { throw .invalidHeader("__metadata__ is not an object") }
                for (key, item) in map {
                    guard case .string(let text) = item else { throw .invalidHeader("__metadata__ value for '\(key)' is not a string") }
                    header.metadata[key] = text
                }
                continue
            }
            guard header.entries.count < SafetensorsFile.maximumEntryCount else { throw .tooManyEntries(limit: SafetensorsFile.maximumEntryCount) }
            guard case .object(let fields) = value else { throw .invalidEntry(tensor: name, reason: "the entry is not an object") }
            func field(_ key: String) -> JSONValue? { fields.first { $0.key == key }?.value }
            guard case .string(let dtype)? = field("dtype") else { throw .invalidEntry(tensor: name, reason: "missing string 'dtype'") }
            guard let shape = integers(field("shape")) else { throw .invalidEntry(tensor: name, reason: "'shape' is not an array of integers") }
            guard let offsets = integers(field("data_offsets")) else { throw .invalidEntry(tensor: name, reason: "'data_offsets' is not an array of integers") }
            header.entries.append(Entry(name: name, dtype: dtype, shape: shape, offsets: offsets))
        }
        return header
    }

    /// An array of JSON integers, or `nil`.
    private static func integers(_ value: JSONValue?) -> [Int]? {
        guard case .array(let items)? = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .integer(let integer) = item else { return nil }
            result.append(integer)
        }
        return result
    }
}

/// A JSON string literal.
func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 {
                result += String(format: "\\u%04x", scalar.value)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}
