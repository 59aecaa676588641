/// Errors raised when tensors or operations receive inconsistent shapes or values.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A shape with a negative extent (or an empty list where one is required).
    case invalidShape([Int])
    /// The element count does not match the product of the shape.
    case elementCountMismatch(shape: [Int], count: Int)
    /// An operation received a tensor of the wrong shape.
    case shapeMismatch(operation: String, expected: [Int], actual: [Int])
    /// An operation's parameter is invalid (for example a zero stride).
    case invalidArgument(operation: String, reason: String)
    /// A value that must be finite is NaN or infinite.
    case nonFinite(operation: String)

    public var description: String {
        switch self {
        case .invalidShape(let shape):
            return "invalid shape \(shape)"
        case .elementCountMismatch(let shape, let count):
            return "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(count)"
        case .shapeMismatch(let operation, let expected, let actual):
            return "\(operation): expected shape \(expected), got \(actual)"
        case .invalidArgument(let operation, let reason):
            return "\(operation): \(reason)"
        case .nonFinite(let operation):
            return "\(operation): input contains NaN or infinity"
        }
    }
}
