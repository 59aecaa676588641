/// The pre-activations and outputs of every activation of a reference forward pass, keyed by
/// activation ordinal — the reference values DeepLIFT needs.
public struct ReferenceActivations: Sendable {
    /// `(z0, a0)` per activation ordinal.
    public var values: [Int: (preActivation: Tensor, output: Tensor)]

    /// Creates reference values directly.
    public init(values: [Int: (preActivation: Tensor, output: Tensor)]) { self.values = values }

    /// Reads every activation of a recorded forward pass (the pass of the reference input).
    public init(recordedOn tape: Tape) { self.values = tape.activationValues() }
}

/// DeepLIFT's rescale rule (Shrikumar et al., 2017) as a gradient override:
/// `R · (a − a0) / (z − z0)` where `|z − z0| > 1e-5`, else `R · 1[(z + z0)/2 > 0]` at the ReLU
/// family and `R · f'((z + z0)/2)` at every other activation.
///
/// `z0, a0` come from a real forward pass of the ``reference`` input (with biases or batch norm
/// they are not zero), bound with ``binding(_:)`` before the backward pass; an attribution session
/// does that itself. A reference recorded with batch 1 is broadcast to every example.
///
/// ```swift
/// let rule = DeepLIFTRescaleRule(reference: .zero).binding(ReferenceActivations(recordedOn: referenceTape))
/// ```
public struct DeepLIFTRescaleRule: ReferenceBoundRule {
    /// The reference input (default zero).
    public var reference: Baseline
    /// The activations of the reference pass; `nil` until bound (``backward(_:)`` throws then).
    public var activations: ReferenceActivations?

    /// Creates the rule for a reference input; bind the reference pass with ``binding(_:)``.
    public init(reference: Baseline = .zero) {
        self.reference = reference
    }

    public func binding(_ activations: ReferenceActivations) -> DeepLIFTRescaleRule {
        var copy = self
        copy.activations = activations
        return copy
    }

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.validateShapes(rule: description)
        guard let (z0, a0) = activations?.values[input.site.ordinal] else {
            throw RuleError.missingReference(site: input.site.description)
        }
        // z0 and a0 are read with the same index below: they must agree with each other.
        guard a0.shape == z0.shape else {
            throw RuleError.referenceShapeMismatch(site: input.site.description, expected: z0.shape, actual: a0.shape)
        }
        let units = input.unitsPerExample
        let broadcast: Bool
        if z0.shape == input.preActivation.shape {
            broadcast = false
        } else if z0.count == units {
            broadcast = true
        } else {
            throw RuleError.referenceShapeMismatch(site: input.site.description, expected: input.preActivation.shape, actual: z0.shape)
        }
        let kind = input.site.kind, reluFamily = kind.isReLUFamily
        var result = [Float](repeating: 0, count: input.preActivation.count)
        input.preActivation.withUnsafeBufferPointer { z in
            input.output.withUnsafeBufferPointer { a in
                input.upstream.withUnsafeBufferPointer { r in
                    z0.withUnsafeBufferPointer { zr in
                        a0.withUnsafeBufferPointer { ar in
                            for i in 0..<z.count {
                                let j = broadcast ? i % units : i
                                let dz = z[i] - zr[j]
                                if abs(dz) > 1e-5 {
                                    // The multiplier first: it is exactly 1 where both passes are active (Δa == Δz).
                                    result[i] = r[i] * ((a[i] - ar[j]) / dz)
                                } else {
                                    let midpoint = (z[i] + zr[j]) / 2
                                    if reluFamily {
                                        result[i] = midpoint > 0 ? r[i] : 0
                                    } else {
                                        result[i] = r[i] * kind.derivative(midpoint)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: input.preActivation.shape, scalars: result)
    }

    public var description: String {
        reference == .zero ? "deeplift-rescale" : "deeplift-rescale(reference \(reference))"
    }
}
