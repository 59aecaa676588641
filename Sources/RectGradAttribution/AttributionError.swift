import RectGradCore

/// Errors raised by attribution methods: invalid parameters, targets or inputs.
///
/// Parameter names are the command-line option names without dashes (`steps`, `percentile`,
/// `noise-level`, …) so that a front end can name the offending option directly.
public enum AttributionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A method parameter is outside its valid range.
    case invalidParameter(name: String, reason: String)
    /// An explicit target class is not a class of the network.
    case targetOutOfRange(example: Int, target: Int, classCount: Int)
    /// A per-example target list does not have one class per example.
    case targetCountMismatch(examples: Int, targets: Int)
    /// The input does not fit the network (the message names the expected shape).
    case inputShapeMismatch(String)
    /// A baseline tensor's shape fits neither one example nor the whole batch.
    case baselineShapeMismatch(expected: [Int], actual: [Int])
    /// The method combines an estimator and rules in a way that is not defined.
    case unsupportedCombination(String)
    /// A map given to a post-processing or evaluation function has an unusable shape.
    case invalidMap(String)
    /// A pass produced NaN or infinity: `stage` says where (`forward pass`, or a method's name),
    /// `layer` the first layer with a non-finite value when it is known.
    case nonFinite(stage: String, layer: String?)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let reason):
            return "invalid value for '\(name)': \(reason)"
        case .targetOutOfRange(let example, let target, let classCount):
            return "target class \(target) for example \(example) is outside the class range 0..<\(classCount)"
        case .targetCountMismatch(let examples, let targets):
            return "\(targets) targets given for \(examples) examples; give one target for all or one per example"
        case .inputShapeMismatch(let message):
            return "input does not fit the model: \(message)"
        case .baselineShapeMismatch(let expected, let actual):
            return "baseline has shape \(actual), expected \(Array(expected.dropFirst())), [1, \(expected.dropFirst().map(String.init).joined(separator: ", "))] or \(expected)"
        case .unsupportedCombination(let message):
            return "unsupported method: \(message)"
        case .invalidMap(let message):
            return "invalid map: \(message)"
        case .nonFinite(let stage, let layer):
            let place = layer.map { ", first at layer \($0)" } ?? ""
            return "the \(stage) produced NaN or infinite values\(place); the input may be far outside the model's range, a method option extreme, or the weights broken"
        }
    }
}

extension AttributionError {
    /// Runs `make` (a rule initialiser) and reports its parameter error as
    /// ``invalidParameter(name:reason:)`` for `name`, the parameter the caller passed on.
    static func naming<Rule>(_ name: String, _ make: () throws(RuleError) -> Rule) throws(AttributionError) -> Rule {
        do { return try make() } catch {
            if case .invalidParameter(_, let reason) = error { throw .invalidParameter(name: name, reason: reason) }
            throw .invalidParameter(name: name, reason: error.description)
        }
    }
}
