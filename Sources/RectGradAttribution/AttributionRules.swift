import RectGradCore

/// The activation backward of an attribution method, as a description that is validated and
/// turned into a ``RectGradCore/ActivationRule`` when the method runs.
///
/// Every case cites the rule of the spec it stands for; `custom` accepts any rule of your own.
public enum ActivationBackward: Sendable, CustomStringConvertible {
    /// The plain gradient `R · 1[z > 0]`.
    case gradient
    /// Guided backpropagation (Springenberg et al., 2015): `max(R, 0) · 1[z > 0]`.
    case guidedBackprop
    /// DeconvNet (Zeiler & Fergus, 2014): `max(R, 0)`.
    case deconvNet
    /// Rectified Gradient (Kim et al., 2019): `R · 1[a·R > t]`, `t` the per-example q-th percentile.
    case rectGrad(percentile: Double, importance: ImportanceScore, interpolation: PercentileInterpolation)
    /// RectGrad with a constant threshold τ: `R · 1[a·R > τ]`.
    case rectGradConstant(tau: Float, importance: ImportanceScore)
    /// ε-LRP as a gradient override (Bach et al., 2015): `R · a / (z + ε·sign(z))`.
    case epsilonLRP(epsilon: Float)
    /// DeepLIFT rescale (Shrikumar et al., 2017) against the activations of a reference input.
    case deepLIFTRescale(reference: Baseline)
    /// Any activation rule.
    case custom(any ActivationRule)

    /// The reference input whose forward pass this rule needs, if any.
    public var reference: Baseline? {
        if case .deepLIFTRescale(let reference) = self { return reference }
        return nil
    }

    /// Checks the parameters without building the rule.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming the parameter.
    public func validate() throws(AttributionError) {
        switch self {
        case .rectGrad(let q, _, _):
            guard q.isFinite, q >= 0, q <= 100 else {
                throw .invalidParameter(name: "percentile", reason: "must be in [0, 100], got \(q)")
            }
        case .rectGradConstant(let tau, _):
            guard !tau.isNaN else { throw .invalidParameter(name: "tau", reason: "must not be NaN") }
        case .epsilonLRP(let epsilon):
            guard epsilon.isFinite, epsilon >= 0 else {
                throw .invalidParameter(name: "epsilon", reason: "must be finite and ≥ 0, got \(epsilon)")
            }
        case .gradient, .guidedBackprop, .deconvNet, .deepLIFTRescale, .custom:
            break
        }
    }

    /// The rule; `reference` supplies the reference activations DeepLIFT needs.
    func rule(reference: (Baseline) throws -> ReferenceActivations) throws -> any ActivationRule {
        try validate()
        switch self {
        case .gradient: return GradientRule()
        case .guidedBackprop: return GuidedBackpropRule()
        case .deconvNet: return DeconvNetRule()
        case .rectGrad(let q, let importance, let interpolation):
            return try parameterError("percentile") { () throws(RuleError) in
                try RectGradRule(percentile: q, importance: importance, interpolation: interpolation)
            }
        case .rectGradConstant(let tau, let importance):
            return try parameterError("tau") { () throws(RuleError) in try RectGradConstantRule(tau: tau, importance: importance) }
        case .epsilonLRP(let epsilon):
            return try parameterError("epsilon") { () throws(RuleError) in try EpsilonLRPRule(epsilon: epsilon) }
        case .deepLIFTRescale(let baseline):
            return DeepLIFTRescaleRule(reference: try reference(baseline))
        case .custom(let rule):
            return rule
        }
    }

    public var description: String {
        switch self {
        case .gradient: return "gradient"
        case .guidedBackprop: return "guided-backprop"
        case .deconvNet: return "deconvnet"
        case .rectGrad(let q, let importance, let interpolation):
            var text = "rectgrad(q=\(formatted(q))"
            if importance == .absolute { text += ", absolute" }
            if interpolation == .linear { text += ", linear" }
            return text + ")"
        case .rectGradConstant(let tau, let importance):
            return "rectgrad-const(tau=\(formatted(Double(tau)))\(importance == .absolute ? ", absolute" : ""))"
        case .epsilonLRP(let epsilon): return "epsilon-lrp(eps=\(epsilon))"
        case .deepLIFTRescale(let reference): return "deeplift-rescale(reference \(reference))"
        case .custom(let rule): return rule.description
        }
    }
}

/// Maps a rule's parameter error to an ``AttributionError`` naming the parameter.
private func parameterError<T>(_ name: String, _ body: () throws(RuleError) -> T) throws(AttributionError) -> T {
    do { return try body() } catch {
        if case .invalidParameter(_, let reason) = error { throw .invalidParameter(name: name, reason: reason) }
        throw .invalidParameter(name: name, reason: error.description)
    }
}

/// A number without a trailing `.0`.
func formatted(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

/// How a method's backward pass treats activations, padded convolutions and max-pools: the
/// attribution-level counterpart of ``RectGradCore/BackwardRules`` (DeepLIFT's reference is
/// resolved when the method runs).
public struct AttributionRules: Sendable, CustomStringConvertible {
    /// The rule at every activation no override selects.
    public var activation: ActivationBackward
    /// Per-layer overrides; the first matching selector wins.
    public var overrides: [(selector: LayerSelector, rule: ActivationBackward)]
    /// The RectGrad padding rule: zero the outer one-pixel frame of the gradient arriving at every
    /// padded convolution.
    public var masksConvolutionBorder: Bool
    /// The max-pool backward (first maximum, or PRR).
    public var maxPool: MaxPoolBackward

    /// Creates a rule set.
    public init(
        activation: ActivationBackward = .gradient,
        overrides: [(selector: LayerSelector, rule: ActivationBackward)] = [],
        masksConvolutionBorder: Bool = false,
        maxPool: MaxPoolBackward = .firstMaximum
    ) {
        self.activation = activation
        self.overrides = overrides
        self.masksConvolutionBorder = masksConvolutionBorder
        self.maxPool = maxPool
    }

    /// The plain gradient.
    public static var gradient: AttributionRules { AttributionRules() }

    /// The reference inputs the rules need a forward pass of (DeepLIFT), without duplicates.
    public var references: [Baseline] {
        var result: [Baseline] = []
        for reference in ([activation] + overrides.map(\.rule)).compactMap(\.reference) where !result.contains(reference) {
            result.append(reference)
        }
        return result
    }

    /// Checks every rule's parameters.
    public func validate() throws(AttributionError) {
        try activation.validate()
        for override in overrides { try override.rule.validate() }
    }

    /// The tape's rule set; `reference` runs (or looks up) the reference forward pass for DeepLIFT.
    func backwardRules(reference: (Baseline) throws -> ReferenceActivations) throws -> BackwardRules {
        var rules = BackwardRules(
            activation: try activation.rule(reference: reference),
            masksConvolutionBorder: masksConvolutionBorder,
            maxPool: maxPool
        )
        for override in overrides {
            rules = rules.overriding(override.selector, with: try override.rule.rule(reference: reference))
        }
        return rules
    }

    public var description: String {
        var parts = [activation.description]
        for (selector, rule) in overrides { parts.append("\(selector) → \(rule)") }
        if masksConvolutionBorder { parts.append("border rule") }
        if maxPool == .proportional { parts.append("PRR") }
        return parts.joined(separator: ", ")
    }
}
