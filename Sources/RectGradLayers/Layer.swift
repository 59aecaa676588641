import RectGradCore

/// A building block of a network that records its forward pass on a ``Tape``.
///
/// Layers are plain values with stable names (`features.28`, `layer4.1.conv2`) that double as keys
/// for per-layer backward rules and as prefixes of their parameter names.
public protocol Layer: Sendable {
    /// The layer's stable name.
    var name: String { get }
    /// Records the forward pass of `input` on `tape` and returns the output variable.
    func forward(_ input: Variable, on tape: Tape) throws -> Variable
    /// The layer's parameters (and buffers such as batch-norm statistics), with full names.
    var parameters: [NamedParameter] { get }
    /// A copy with every parameter replaced by the value of the same name in `values`.
    /// - Throws: ``LayerError/missingParameter(_:)`` or ``LayerError/parameterShapeMismatch(name:expected:actual:)``.
    func replacingParameters(_ values: [String: Tensor]) throws -> any Layer
}

extension Layer {
    /// Layers without parameters.
    public var parameters: [NamedParameter] { [] }
}

/// Errors raised by layers and networks.
public enum LayerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A parameter required by the architecture is absent.
    case missingParameter(String)
    /// A parameter has the wrong shape.
    case parameterShapeMismatch(name: String, expected: [Int], actual: [Int])
    /// Parameters the architecture does not have.
    case unexpectedParameters([String])
    /// The input does not fit the network.
    case inputShapeMismatch(network: String, expected: [Int], actual: [Int])
    /// A parameter contains NaN or infinity.
    case nonFiniteParameter(String)

    public var description: String {
        switch self {
        case .missingParameter(let name): return "missing parameter '\(name)'"
        case .parameterShapeMismatch(let name, let expected, let actual):
            return "parameter '\(name)' has shape \(actual), expected \(expected)"
        case .unexpectedParameters(let names):
            return "unexpected parameters: \(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? " and \(names.count - 5) more" : "")"
        case .inputShapeMismatch(let network, let expected, let actual):
            return "\(network) expects input [N, \(expected.map(String.init).joined(separator: ", "))], got \(actual)"
        case .nonFiniteParameter(let name): return "parameter '\(name)' contains NaN or infinity"
        }
    }
}

/// Looks up a replacement for a parameter, checking its shape.
func replacement(for name: String, current: Tensor, in values: [String: Tensor]) throws(LayerError) -> Tensor {
    guard let value = values[name] else { throw .missingParameter(name) }
    guard value.shape == current.shape else {
        throw .parameterShapeMismatch(name: name, expected: current.shape, actual: value.shape)
    }
    return value
}

/// Joins a layer name and a parameter suffix: `features.0` + `weight` → `features.0.weight`.
func qualified(_ name: String, _ suffix: String) -> String {
    name.isEmpty ? suffix : "\(name).\(suffix)"
}
