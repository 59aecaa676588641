import Foundation
import RectGradCore

/// Reads and writes NumPy `.npy` files holding float32 or float64 arrays in C order, little
/// endian (format versions 1.0, 2.0 and 3.0). Float64 is converted to Float32 on load.
///
/// Anything else (big endian, integers, Fortran order, object arrays, truncated or over-long
/// data) is refused with a ``NumPyError`` naming the file.
public enum NumPyFile {
    /// The element types `.npy` files are read and written with.
    public enum ScalarType: String, Sendable, CaseIterable {
        /// `<f4`.
        case float32 = "<f4"
        /// `<f8`.
        case float64 = "<f8"

        /// Bytes per element.
        public var byteCount: Int { self == .float32 ? 4 : 8 }
    }

    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // \x93NUMPY

    /// The largest header accepted, in bytes: 10,000, NumPy's own default for `numpy.load`
    /// (`max_header_size`). A float array's header needs about a hundred.
    public static let maximumHeaderLength = 10_000

    /// The most dimensions an array may have: 64, NumPy's `NPY_MAXDIMS`.
    public static let maximumRank = 64

    /// Reads the array in `url`.
    /// - Throws: ``NumPyError``.
    public static func read(contentsOf url: URL) throws(NumPyError) -> Tensor {
        switch FileContents.read(url) {
        case .success(let data): return try decode(data, source: url.path)
        case .failure(let failure): throw NumPyError(file: url.path, reason: .unreadable(failure.reason))
        }
    }

    /// Decodes the bytes of a `.npy` file; `source` names it in errors.
    /// - Throws: ``NumPyError``.
    public static func decode(_ data: Data, source: String = "<data>") throws(NumPyError) -> Tensor {
        let bytes = [UInt8](data)
        func fail(_ reason: NumPyError.Reason) -> NumPyError { NumPyError(file: source, reason: reason) }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail(.notNumPy) }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail(.truncated(expectedBytes: 12, actualBytes: bytes.count)) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail(.unsupportedVersion(major: Int(major), minor: Int(minor)))
        }
        guard headerLength <= maximumHeaderLength else { throw fail(.headerTooLarge(length: headerLength, limit: maximumHeaderLength)) }
        guard headerStart + headerLength <= bytes.count else {
            throw fail(.truncated(expectedBytes: headerStart + headerLength, actualBytes: bytes.count))
        }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail(.malformedHeader("header is not text"))
        }
        let parsed: (type: ScalarType, shape: [Int])
        do { parsed = try HeaderParser.parse(header) } catch { throw fail(error) }
        guard parsed.shape.count <= maximumRank else { throw fail(.malformedHeader("\(parsed.shape.count) dimensions, more than \(maximumRank)")) }
        guard let count = Checked.elementCount(parsed.shape), let expected = Checked.multiply(count, parsed.type.byteCount) else {
            throw fail(.malformedHeader("shape \(parsed.shape) is too large"))
        }
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        guard available >= expected else { throw fail(.truncated(expectedBytes: dataStart + expected, actualBytes: bytes.count)) }
        guard available == expected else { throw fail(.trailingBytes(available - expected)) }
        var scalars = [Float](repeating: 0, count: count)
        switch parsed.type {
        case .float32:
            for i in 0..<count {
                let o = dataStart + 4 * i
                let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                scalars[i] = Float(bitPattern: bits)
            }
        case .float64:
            for i in 0..<count {
                let o = dataStart + 8 * i
                var bits: UInt64 = 0
                for b in 0..<8 { bits |= UInt64(bytes[o + b]) << (8 * UInt64(b)) }
                scalars[i] = Float(Double(bitPattern: bits))
            }
        }
        do { return try Tensor(shape: parsed.shape, scalars: scalars) } catch {
            throw fail(.malformedHeader("\(error)"))
        }
    }

    /// The bytes of a version 1.0 `.npy` file holding `tensor` (C order, little endian).
    public static func encode(_ tensor: Tensor, as type: ScalarType = .float32) -> Data {
        let shape: String
        switch tensor.rank {
        case 0: shape = "()"
        case 1: shape = "(\(tensor.shape[0]),)"
        default: shape = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(type.rawValue)', 'fortran_order': False, 'shape': \(shape), }"
        // Pad with spaces so that the data starts at a multiple of 64 bytes, ending with a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic + [1, 0])
        let length = header.utf8.count
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + tensor.count * type.byteCount)
        tensor.withUnsafeBufferPointer { values in
            var out = [UInt8]()
            out.reserveCapacity(values.count * type.byteCount)
            switch type {
            case .float32:
                for value in values {
                    let bits = value.bitPattern
                    for b in 0..<4 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(b)))) }
                }
            case .float64:
                for value in values {
                    let bits = Double(value).bitPattern
                    for b in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(b)))) }
                }
            }
            data.append(contentsOf: out)
        }
        return data
    }

    /// Writes `tensor` to `url` as a `.npy` file.
    /// - Throws: ``NumPyError`` with reason ``NumPyError/Reason/unwritable(_:)``.
    public static func write(_ tensor: Tensor, to url: URL, as type: ScalarType = .float32) throws(NumPyError) {
        do { try encode(tensor, as: type).write(to: url, options: .atomic) } catch {
            throw NumPyError(file: url.path, reason: .unwritable(error.localizedDescription))
        }
    }
}

/// A `.npy` file that cannot be read or written, naming the file and what is wrong.
public struct NumPyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Error, Equatable, Sendable {
        /// The file could not be read.
        case unreadable(String)
        /// The file could not be written.
        case unwritable(String)
        /// The file does not start with the `.npy` magic string.
        case notNumPy
        /// A format version other than 1.0, 2.0 or 3.0.
        case unsupportedVersion(major: Int, minor: Int)
        /// The header dictionary cannot be parsed.
        case malformedHeader(String)
        /// The header is longer than ``NumPyFile/maximumHeaderLength``.
        case headerTooLarge(length: Int, limit: Int)
        /// An element type other than `<f4` and `<f8` (e.g. `>f4`, `<i8`, `|O`).
        case unsupportedType(String)
        /// The array is stored in Fortran (column-major) order.
        case fortranOrder
        /// The file ends before the header or the data do.
        case truncated(expectedBytes: Int, actualBytes: Int)
        /// Bytes follow the data.
        case trailingBytes(Int)
    }

    /// The file (or source) name.
    public var file: String
    /// What is wrong.
    public var reason: Reason

    /// Creates an error.
    public init(file: String, reason: Reason) {
        self.file = file
        self.reason = reason
    }

    public var description: String {
        let detail: String
        switch reason {
        case .unreadable(let message): detail = "cannot be read: \(message)"
        case .unwritable(let message): detail = "cannot be written: \(message)"
        case .notNumPy: detail = "is not a NumPy .npy file (missing the \\x93NUMPY magic string)"
        case .unsupportedVersion(let major, let minor): detail = "has unsupported .npy format version \(major).\(minor)"
        case .malformedHeader(let message): detail = "has a malformed .npy header: \(message)"
        case .headerTooLarge(let length, let limit): detail = "declares a .npy header of \(length) bytes, more than the \(limit) accepted"
        case .unsupportedType(let descr): detail = "holds elements of type '\(descr)'; only little-endian float32 ('<f4') and float64 ('<f8') are supported"
        case .fortranOrder: detail = "is stored in Fortran order; save it in C order (numpy.ascontiguousarray)"
        case .truncated(let expected, let actual): detail = "is truncated: needs \(expected) bytes, has \(actual)"
        case .trailingBytes(let count): detail = "has \(count) unexpected bytes after the array data"
        }
        return "\(file) \(detail)"
    }
}

/// A strict parser for the Python dict literal of a `.npy` header.
private struct HeaderParser {
    var characters: [Character]
    var position = 0

    static func parse(_ header: String) throws(NumPyError.Reason) -> (type: NumPyFile.ScalarType, shape: [Int]) {
        var parser = HeaderParser(characters: Array(header))
        var descr: String?, fortran: Bool?, shape: [Int]?
        try parser.expect("{")
        while true {
            parser.skipSpace()
            if parser.peek() == "}" { parser.position += 1; break }
            let key = try parser.string()
            try parser.expect(":")
            switch key {
            case "descr": descr = try parser.string()
            case "fortran_order": fortran = try parser.boolean()
            case "shape": shape = try parser.tuple()
            default: throw .malformedHeader("unknown key '\(key)'")
            }
            parser.skipSpace()
            if parser.peek() == "," { parser.position += 1; continue }
            try parser.expect("}")
            break
        }
        parser.skipSpace()
        guard parser.position == parser.characters.count else { throw .malformedHeader("unexpected text after the dictionary") }
        guard let descr, let fortran, let shape else { throw .malformedHeader("needs the keys 'descr', 'fortran_order' and 'shape'") }
        guard let type = NumPyFile.ScalarType(rawValue: descr) else { throw .unsupportedType(descr) }
        guard !fortran else { throw .fortranOrder }
        return (type, shape)
    }

    func peek() -> Character? { position < characters.count ? characters[position] : nil }

    mutating func skipSpace() {
        while let c = peek(), c == " " || c == "\n" || c == "\t" || c == "\r" { position += 1 }
    }

    mutating func expect(_ c: Character) throws(NumPyError.Reason) {
        skipSpace()
        guard peek() == c else { throw .malformedHeader("expected '\(c)' at offset \(position)") }
        position += 1
    }

    mutating func string() throws(NumPyError.Reason) -> String {
        skipSpace()
        guard let quote = peek(), quote == "'" || quote == "\"" else { throw .malformedHeader("expected a string at offset \(position)") }
        position += 1
        var result = ""
        while let c = peek(), c != quote {
            guard c != "\\" else { throw .malformedHeader("escapes are not supported in header strings") }
            result.append(c)
            position += 1
        }
        guard peek() == quote else { throw .malformedHeader("unterminated string") }
        position += 1
        return result
    }

    mutating func boolean() throws(NumPyError.Reason) -> Bool {
        skipSpace()
        for (word, value) in [("True", true), ("False", false)] {
            let end = position + word.count
            if end <= characters.count, String(characters[position..<end]) == word {
                position = end
                return value
            }
        }
        throw .malformedHeader("expected True or False at offset \(position)")
    }

    mutating func tuple() throws(NumPyError.Reason) -> [Int] {
        try expect("(")
        var values: [Int] = []
        while true {
            skipSpace()
            if peek() == ")" { position += 1; break }
            var digits = ""
            while let c = peek(), c.isASCII, c.isNumber { digits.append(c); position += 1 }
            // Python 2 era files may write `3L`.
            if peek() == "L" { position += 1 }
            guard let value = Int(digits) else { throw .malformedHeader("expected a non-negative integer in the shape at offset \(position)") }
            values.append(value)
            skipSpace()
            if peek() == "," { position += 1; continue }
            try expect(")")
            break
        }
        return values
    }
}
