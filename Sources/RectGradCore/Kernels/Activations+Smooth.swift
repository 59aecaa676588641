import Foundation

/// Scalar definitions of the activations beyond ReLU and their derivatives, in float32, with the
/// numerically safe forms PyTorch uses (sigmoid without overflow, softplus linear above 20, ELU
/// with `expm1`). ``ActivationKind/apply(_:)`` and ``ActivationKind/derivative(_:)`` call these.
enum ActivationMath {
    static let sqrtHalf: Float = 0.70710678118654752
    /// `1 / √(2π)`.
    static let inverseSqrtTwoPi: Float = 0.39894228040143268
    /// `√(2/π)`.
    static let sqrtTwoOverPi: Float = 0.79788456080286536
    static let geluCubic: Float = 0.044715

    @inline(__always) static func exp(_ z: Float) -> Float { Foundation.exp(z) }

    @inline(__always) static func tanh(_ z: Float) -> Float { Foundation.tanh(z) }

    @inline(__always) static func clip(_ z: Float, _ lower: Float, _ upper: Float) -> Float {
        z.isNaN ? z : Swift.min(Swift.max(z, lower), upper)
    }

    /// `1 / (1 + e^−z)` without overflow for large `|z|`.
    @inline(__always) static func sigmoid(_ z: Float) -> Float {
        if z >= 0 { return 1 / (1 + Foundation.exp(-z)) }
        let e = Foundation.exp(z)
        return e / (1 + e)
    }

    @inline(__always) static func sigmoidDerivative(_ z: Float) -> Float {
        let s = sigmoid(z)
        return s * (1 - s)
    }

    @inline(__always) static func tanhDerivative(_ z: Float) -> Float {
        let t = Foundation.tanh(z)
        return 1 - t * t
    }

    /// `d/dz z·σ(z) = σ(z)·(1 + z·(1 − σ(z)))`.
    @inline(__always) static func siluDerivative(_ z: Float) -> Float {
        let s = sigmoid(z)
        return s * (1 + z * (1 - s))
    }

    @inline(__always) static func elu(_ z: Float, _ alpha: Float) -> Float {
        z > 0 ? z : alpha * Foundation.expm1(z)
    }

    @inline(__always) static func geluErf(_ z: Float) -> Float {
        z * 0.5 * (1 + Foundation.erf(z * sqrtHalf))
    }

    /// `Φ(z) + z·φ(z)`.
    @inline(__always) static func geluErfDerivative(_ z: Float) -> Float {
        0.5 * (1 + Foundation.erf(z * sqrtHalf)) + z * inverseSqrtTwoPi * Foundation.exp(-0.5 * z * z)
    }

    @inline(__always) static func geluTanh(_ z: Float) -> Float {
        0.5 * z * (1 + Foundation.tanh(sqrtTwoOverPi * (z + geluCubic * z * z * z)))
    }

    @inline(__always) static func geluTanhDerivative(_ z: Float) -> Float {
        let t = Foundation.tanh(sqrtTwoOverPi * (z + geluCubic * z * z * z))
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * sqrtTwoOverPi * (1 + 3 * geluCubic * z * z)
    }

    @inline(__always) static func hardSigmoid(_ z: Float, _ alpha: Float, _ beta: Float) -> Float {
        let v = alpha * z + beta
        return v.isNaN ? v : Swift.max(0, Swift.min(1, v))
    }

    @inline(__always) static func hardSwish(_ z: Float) -> Float {
        z.isNaN ? z : z * Swift.min(Swift.max(z + 3, 0), 6) / 6
    }

    @inline(__always) static func softplus(_ z: Float) -> Float {
        z > 20 ? z : Foundation.log1p(Foundation.exp(z))
    }

    /// `f` applied to every element, split across `workers` for large tensors.
    static func map(_ input: Tensor, workers: Workers, _ f: (Float) -> Float) -> Tensor {
        let storage = input.withUnsafeBufferPointer { source in
            // Transcendental functions cost ~10× a ReLU: split smaller tensors too.
            Tensor.uninitializedStorage(count: source.count) { buffer in
                if let x = source.baseAddress, let y = buffer.baseAddress {
                    workers.forRanges(count: source.count, minimumPerRange: 1 << 12) { range in
                        for i in range { y[i] = f(x[i]) }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: input.shape, scalars: storage)
    }
}
