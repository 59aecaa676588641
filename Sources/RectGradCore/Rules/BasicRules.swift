/// The plain gradient: `R · 1[z > 0]` (ReLU6: `R · 1[0 < z < 6]`).
public struct GradientRule: ActivationRule {
    /// Creates the rule.
    public init() {}
    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.validateShapes(rule: description)
        let kind = input.site.kind
        return try input.elementwise { z, _, r in r * kind.derivative(z) }
    }
    public var description: String { "gradient" }
}

/// Guided backpropagation (Springenberg et al., 2015): `max(R, 0) · 1[z > 0]`.
public struct GuidedBackpropRule: ActivationRule {
    /// Creates the rule.
    public init() {}
    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.validateShapes(rule: description)
        return try input.elementwise { z, _, r in (z > 0 && r > 0) ? r : 0 }
    }
    public var description: String { "guided-backprop" }
}

/// DeconvNet (Zeiler & Fergus, 2014): `max(R, 0)`, ignoring `z`.
public struct DeconvNetRule: ActivationRule {
    /// Creates the rule.
    public init() {}
    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.validateShapes(rule: description)
        return try input.elementwise { _, _, r in r > 0 ? r : 0 }
    }
    public var description: String { "deconvnet" }
}

/// ε-LRP as a gradient override (Bach et al., 2015; Ancona et al., 2018):
/// `R · a / (z + ε·s)` with `s = +1` where `z ≥ 0`, else `−1`.
public struct EpsilonLRPRule: ActivationRule {
    /// The stabiliser ε (default 1e-4).
    public var epsilon: Float

    /// Creates the rule. - Throws: ``RuleError/invalidParameter(rule:reason:)`` for a negative or non-finite ε.
    public init(epsilon: Float = 1e-4) throws(RuleError) {
        guard epsilon.isFinite, epsilon >= 0 else {
            throw .invalidParameter(rule: "epsilon-lrp", reason: "epsilon must be finite and ≥ 0, got \(epsilon)")
        }
        self.epsilon = epsilon
    }

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.validateShapes(rule: description)
        let eps = epsilon
        return try input.elementwise { z, a, r in
            let denominator = z + eps * (z >= 0 ? 1 : -1)
            // `a / denominator` first: with ε = 0 at a ReLU it is exactly 1 where z > 0, so the rule
            // equals the plain gradient bit for bit (`(r·a)/z` rounds twice and is off by an ulp).
            return denominator == 0 ? 0 : r * (a / denominator)
        }
    }
    public var description: String { "epsilon-lrp(eps=\(epsilon))" }
}
