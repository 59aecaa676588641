/// A weights file that cannot be read, written or loaded into an architecture, naming the file
/// and (where one is at fault) the tensor.
public struct WeightsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Error, Equatable, Sendable {
        /// The file could not be read.
        case unreadable(String)
        /// The file could not be written.
        case unwritable(String)
        /// The file is shorter than the 8-byte header length.
        case truncatedHeaderLength(fileSize: Int)
        /// The declared header length exceeds the file (or the 100 MB limit of the format).
        case headerLengthOutOfRange(declared: UInt64, available: Int)
        /// The header is not a JSON object of the expected form.
        case invalidHeader(String)
        /// The header describes more tensors than ``SafetensorsFile/maximumEntryCount``.
        case tooManyEntries(limit: Int)
        /// A tensor's entry is malformed (negative extents, wrong offsets, …).
        case invalidEntry(tensor: String, reason: String)
        /// A dtype this library does not load (anything but F32, F16, BF16 and F64).
        case unsupportedDType(tensor: String, dtype: String)
        /// The byte range does not hold `shape × dtype size` bytes.
        case byteCountMismatch(tensor: String, expected: Int, actual: Int)
        /// The byte range ends past the data.
        case offsetsOutOfRange(tensor: String, end: Int, dataSize: Int)
        /// Two tensors share bytes.
        case overlappingTensors(String, String)
        /// Bytes of the data section that no tensor refers to (a gap or trailing bytes).
        case unreferencedBytes(offset: Int, count: Int)
        /// A tensor the architecture needs is absent.
        case missingTensor(String)
        /// Tensors the architecture does not have.
        case unexpectedTensors([String])
        /// A tensor's shape does not match the architecture.
        case shapeMismatch(tensor: String, expected: [Int], actual: [Int])
        /// A tensor contains NaN or infinity.
        case nonFiniteTensor(String)
        /// A value of the tensor is finite in Float32 but outside the range of the dtype it is
        /// being written as (it would become infinity).
        case notRepresentable(tensor: String, dtype: String, value: Float)
    }

    /// The file name.
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
        case .truncatedHeaderLength(let size): detail = "is truncated: \(size) bytes, shorter than the 8-byte header length"
        case .headerLengthOutOfRange(let declared, let available):
            detail = "declares a header of \(declared) bytes but only \(available) bytes follow (or it exceeds 100 MB)"
        case .invalidHeader(let message): detail = "has an invalid header: \(message)"
        case .tooManyEntries(let limit): detail = "describes more than \(limit) tensors in its header; refused"
        case .invalidEntry(let tensor, let message): detail = "tensor '\(tensor)': \(message)"
        case .unsupportedDType(let tensor, let dtype): detail = "tensor '\(tensor)' has dtype \(dtype); supported are F32, F16, BF16 and F64"
        case .byteCountMismatch(let tensor, let expected, let actual):
            detail = "tensor '\(tensor)' needs \(expected) bytes for its shape and dtype but its offsets span \(actual)"
        case .offsetsOutOfRange(let tensor, let end, let size): detail = "tensor '\(tensor)' ends at byte \(end) of a \(size)-byte data section"
        case .overlappingTensors(let a, let b): detail = "tensors '\(a)' and '\(b)' overlap"
        case .unreferencedBytes(let offset, let count): detail = "has \(count) bytes at data offset \(offset) that no tensor uses"
        case .missingTensor(let name): detail = "has no tensor '\(name)', which the architecture needs"
        case .unexpectedTensors(let names):
            detail = "has tensors the architecture does not have: \(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? " and \(names.count - 5) more" : "")"
        case .shapeMismatch(let tensor, let expected, let actual): detail = "tensor '\(tensor)' has shape \(actual), the architecture needs \(expected)"
        case .nonFiniteTensor(let name): detail = "tensor '\(name)' contains NaN or infinity"
        case .notRepresentable(let tensor, let dtype, let value): detail = "tensor '\(tensor)' holds \(value), which \(dtype) cannot represent (it would become infinity)"
        }
        return "\(file) \(detail)"
    }
}
