extension ActivationBackwardInput {
    /// `gradient · f'(z)` element-wise, with `f'` the site kind's ``ActivationKind/derivative(_:)``:
    /// how the built-in rules extend to activations outside the ReLU family.
    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` naming `rule` when `gradient` does
    ///   not have the shape of `z`.
    public func multiplyingByDerivative(_ gradient: Tensor, rule: String) throws(RuleError) -> Tensor {
        guard gradient.shape == preActivation.shape else {
            throw .invalidParameter(rule: rule, reason: "gradient \(gradient.shape) and z \(preActivation.shape) must share a shape")
        }
        let kind = site.kind
        let storage = preActivation.withUnsafeBufferPointer { z in
            gradient.withUnsafeBufferPointer { g in
                Tensor.uninitializedStorage(count: z.count) { buffer in
                    if let z = z.baseAddress, let g = g.baseAddress, let y = buffer.baseAddress {
                        workers.forRanges(count: buffer.count, minimumPerRange: 1 << 12) { range in
                            for i in range { y[i] = g[i] * kind.derivative(z[i]) }
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: preActivation.shape, scalars: storage)
    }
}
