/// Errors raised by the experiments: a setting or an input that the experiment cannot use.
public enum ExperimentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A setting or input has an invalid value; `name` is the setting (as its command-line option
    /// is spelled, without the dashes).
    case invalidOption(name: String, reason: String)
    /// Two inputs that must agree do not (maps of different shapes, lists of different lengths),
    /// or an input is too small for the measure.
    case incompatibleInputs(String)
    /// A quantity is undefined for this input, e.g. a rank correlation of a constant map.
    case undefinedMeasure(String)

    public var description: String {
        switch self {
        case .invalidOption(let name, let reason): return "--\(name): \(reason)"
        case .incompatibleInputs(let reason): return "incompatible inputs: \(reason)"
        case .undefinedMeasure(let reason): return "undefined: \(reason)"
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
