import RectGradCore

/// A first-order optimiser: turns named gradients into updated named parameters.
///
/// Parameters are matched with gradients by name (the tape's parameter names, which are the
/// layers' parameter names). A parameter without a gradient is left unchanged, as in PyTorch.
public protocol Optimizer: Sendable {
    /// Takes one step: returns `parameters` moved against `gradients`.
    /// - Throws: ``OptimizerError`` for a gradient whose shape differs from its parameter's, or
    ///   one that is not finite.
    mutating func step(_ parameters: [NamedParameter], gradients: [String: Tensor]) throws(OptimizerError) -> [NamedParameter]
}

/// Errors raised by an ``Optimizer``.
public enum OptimizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A gradient whose shape differs from its parameter's.
    case gradientShapeMismatch(name: String, expected: [Int], actual: [Int])
    /// A gradient containing NaN or infinity.
    case nonFiniteGradient(String)
    /// A hyper-parameter out of range.
    case invalidHyperparameter(String)

    public var description: String {
        switch self {
        case .gradientShapeMismatch(let name, let expected, let actual):
            return "gradient of '\(name)' has shape \(actual), expected \(expected)"
        case .nonFiniteGradient(let name): return "gradient of '\(name)' contains NaN or infinity"
        case .invalidHyperparameter(let reason): return "invalid optimiser setting: \(reason)"
        }
    }
}

extension Optimizer {
    /// Checks a gradient against its parameter.
    static func validated(_ gradient: Tensor, for parameter: NamedParameter) throws(OptimizerError) -> Tensor {
        guard gradient.shape == parameter.value.shape else {
            throw .gradientShapeMismatch(name: parameter.name, expected: parameter.value.shape, actual: gradient.shape)
        }
        guard gradient.isFinite else { throw .nonFiniteGradient(parameter.name) }
        return gradient
    }
}

extension Network {
    /// A copy with every parameter moved by one step of `optimizer` against `gradients`.
    /// - Throws: ``OptimizerError`` or ``LayerError`` (for example when a parameter becomes non-finite).
    public func updated(by optimizer: inout some Optimizer, gradients: [String: Tensor]) throws -> Network {
        let updated = try optimizer.step(parameters, gradients: gradients)
        return try loadingParameters(Dictionary(updated.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }))
    }
}
