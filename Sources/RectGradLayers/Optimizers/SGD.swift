import RectGradCore

/// Stochastic gradient descent with optional momentum, as in PyTorch's `torch.optim.SGD`
/// (dampening 0, no Nesterov): `b ← μ b + g` (`b = g` on the first step), `θ ← θ − lr · b`.
public struct SGD: Optimizer {
    /// The step size.
    public var learningRate: Float
    /// The momentum μ (0 = plain gradient descent).
    public var momentum: Float
    private var buffers: [String: [Float]] = [:]

    /// Creates an optimiser.
    /// - Throws: ``OptimizerError/invalidHyperparameter(_:)`` unless `lr > 0` and `0 ≤ μ < 1`.
    public init(learningRate: Float, momentum: Float = 0) throws(OptimizerError) {
        guard learningRate > 0, learningRate.isFinite else { throw .invalidHyperparameter("learning rate \(learningRate) must be positive") }
        guard (0..<1).contains(momentum) else { throw .invalidHyperparameter("momentum \(momentum) must lie in [0, 1)") }
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public mutating func step(_ parameters: [NamedParameter], gradients: [String: Tensor]) throws(OptimizerError) -> [NamedParameter] {
        var result = parameters
        for (index, parameter) in parameters.enumerated() {
            guard let raw = gradients[parameter.name] else { continue }
            let gradient = try Self.validated(raw, for: parameter)
            var direction = gradient.scalars
            if momentum > 0 {
                if let previous = buffers[parameter.name] {
                    for i in 0..<direction.count { direction[i] += momentum * previous[i] }
                }
                buffers[parameter.name] = direction
            }
            let lr = learningRate
            result[index].value.withUnsafeMutableBufferPointer { theta in
                for i in 0..<theta.count { theta[i] -= lr * direction[i] }
            }
        }
        return result
    }
}
