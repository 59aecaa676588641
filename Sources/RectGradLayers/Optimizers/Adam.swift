import Foundation
import RectGradCore

/// Adam (Kingma & Ba 2015) with bias correction, as in PyTorch's `torch.optim.Adam`:
///
/// ```
/// t ← t + 1
/// m ← β₁ m + (1 − β₁) g
/// v ← β₂ v + (1 − β₂) g²
/// θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
/// ```
///
/// The defaults are the paper's training setting (learning rate 1e-3, β 0.9 / 0.999, ε 1e-8).
/// Moments are kept per parameter name and start at zero; the step count `t` is shared.
public struct Adam: Optimizer {
    /// The step size.
    public var learningRate: Float
    /// The decay of the first-moment average.
    public var beta1: Float
    /// The decay of the second-moment average.
    public var beta2: Float
    /// Added to the denominator for stability.
    public var epsilon: Float
    /// The number of steps taken.
    public private(set) var stepCount = 0
    private var firstMoments: [String: [Float]] = [:]
    private var secondMoments: [String: [Float]] = [:]

    /// Creates an optimiser with zero moments.
    /// - Throws: ``OptimizerError/invalidHyperparameter(_:)`` unless `lr > 0`, `0 ≤ β < 1` and `ε ≥ 0`.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) throws(OptimizerError) {
        guard learningRate > 0, learningRate.isFinite else { throw .invalidHyperparameter("learning rate \(learningRate) must be positive") }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw .invalidHyperparameter("betas (\(beta1), \(beta2)) must lie in [0, 1)")
        }
        guard epsilon >= 0, epsilon.isFinite else { throw .invalidHyperparameter("epsilon \(epsilon) must be non-negative") }
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public mutating func step(_ parameters: [NamedParameter], gradients: [String: Tensor]) throws(OptimizerError) -> [NamedParameter] {
        stepCount += 1
        let t = Double(stepCount)
        let correction1 = Float(1 - pow(Double(beta1), t))
        let correction2 = Float(1 - pow(Double(beta2), t))
        var result = parameters
        for (index, parameter) in parameters.enumerated() {
            guard let raw = gradients[parameter.name] else { continue }
            let gradient = try Self.validated(raw, for: parameter)
            var m = firstMoments[parameter.name] ?? [Float](repeating: 0, count: parameter.value.count)
            var v = secondMoments[parameter.name] ?? [Float](repeating: 0, count: parameter.value.count)
            let (b1, b2, lr, eps) = (beta1, beta2, learningRate, epsilon)
            result[index].value.withUnsafeMutableBufferPointer { theta in
                gradient.withUnsafeBufferPointer { g in
                    m.withUnsafeMutableBufferPointer { m in
                        v.withUnsafeMutableBufferPointer { v in
                            for i in 0..<theta.count {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                let mHat = m[i] / correction1
                                let vHat = v[i] / correction2
                                theta[i] -= lr * mHat / (vHat.squareRoot() + eps)
                            }
                        }
                    }
                }
            }
            firstMoments[parameter.name] = m
            secondMoments[parameter.name] = v
        }
        return result
    }
}
