/// Errors raised by the experiments: a setting or an input that the experiment cannot use.
public enum ExperimentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A setting or input has an invalid value; `name` is the setting (as its command-line option
    /// is spelled, without the dashes).
    case invalidOption(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidOption(let name, let reason): return "--\(name): \(reason)"
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
