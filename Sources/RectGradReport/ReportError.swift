/// Errors raised while building a report.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An option has an invalid value.
    case invalidOption(name: String, reason: String)
    /// A file could not be written.
    case writeFailed(path: String, reason: String)
    /// A model's class names do not cover its classes.
    case missingClassNames(model: String)

    public var description: String {
        switch self {
        case .invalidOption(let name, let reason): return "--\(name): \(reason)"
        case .writeFailed(let path, let reason): return "cannot write \(path): \(reason)"
        case .missingClassNames(let model): return "\(model): no class names"
        }
    }
}
