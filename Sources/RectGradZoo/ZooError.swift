import RectGradCore

/// Errors raised when looking up or building zoo models.
public enum ZooError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No zoo entry has this name.
    case unknownModel(String, available: [String])
    /// A builder configuration that does not describe a valid network.
    case invalidConfiguration(model: String, reason: String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let available):
            return "unknown model '\(name)'\(Spelling.didYouMean(name, in: available)); available: \(available.joined(separator: ", "))"
        case .invalidConfiguration(let model, let reason):
            return "invalid configuration for \(model): \(reason)"
        }
    }
}
