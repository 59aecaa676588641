/// Selects linear layers (convolutions, dense layers) for a rule of a ``LinearLayerRules`` composite.
public enum LinearLayerSelector: Hashable, Sendable, CustomStringConvertible {
    /// The layer recorded with exactly this name (e.g. `features.0`).
    case name(String)
    /// Layers whose name starts with this prefix (e.g. `layer4.`).
    case namePrefix(String)
    /// Every layer of this kind.
    case kind(LinearLayerKind)
    /// The layer at this position among the linear layers (0 = first recorded).
    case ordinal(Int)
    /// The first linear layer recorded (the one that sees the input).
    case first
    /// The last linear layer recorded (the classifier's output layer).
    case last

    /// Whether the selector matches `site` on a tape with `count` linear layers.
    public func matches(_ site: LinearLayerSite, count: Int) -> Bool {
        switch self {
        case .name(let name): return site.name == name
        case .namePrefix(let prefix): return site.name.hasPrefix(prefix)
        case .kind(let kind): return site.kind == kind
        case .ordinal(let ordinal): return site.ordinal == ordinal
        case .first: return site.ordinal == 0
        case .last: return site.ordinal == count - 1
        }
    }

    public var description: String {
        switch self {
        case .name(let name): return "name '\(name)'"
        case .namePrefix(let prefix): return "prefix '\(prefix)'"
        case .kind(let kind): return "kind \(kind)"
        case .ordinal(let ordinal): return "linear layer #\(ordinal)"
        case .first: return "first layer"
        case .last: return "last layer"
        }
    }
}

/// An LRP composite (zennit's idea): which ``LinearLayerRule`` runs at each convolution and dense
/// layer — per kind, overridden by name, position or the first layer — plus how sums (residual
/// additions) and average pools split relevance. Set it as ``BackwardRules/linearLayers``
/// together with ``PassRule`` at the activations; the presets do both.
///
/// Sums and average pools use the proportional ("norm") split: an input `x_i` of an output `z`
/// receives `x_i · R / stab(z)` of its relevance (stabiliser ``stabilizer``). Max-pools keep their
/// winner-takes-all backward. Batch norms are expected to be merged into the preceding
/// convolution first (``canonizesBatchNorm``: the attribution session does it).
public struct LinearLayerRules: Sendable, CustomStringConvertible {
    /// The rule of every convolution no override selects.
    public var convolution: any LinearLayerRule
    /// The rule of every dense layer no override selects.
    public var dense: any LinearLayerRule
    /// Overrides; the first matching selector wins.
    public var overrides: [(selector: LinearLayerSelector, rule: any LinearLayerRule)]
    /// The stabiliser of the proportional split at sums and average pools.
    public var stabilizer: Float
    /// Whether batch norms are merged into their convolutions before the pass (zennit's canonizer).
    public var canonizesBatchNorm: Bool

    /// Creates a composite.
    public init(
        convolution: any LinearLayerRule, dense: any LinearLayerRule,
        overrides: [(selector: LinearLayerSelector, rule: any LinearLayerRule)] = [],
        stabilizer: Float = 1e-6, canonizesBatchNorm: Bool = true
    ) {
        self.convolution = convolution
        self.dense = dense
        self.overrides = overrides
        self.stabilizer = stabilizer
        self.canonizesBatchNorm = canonizesBatchNorm
    }

    /// Returns a copy with an override for the layers `selector` matches.
    public func overriding(_ selector: LinearLayerSelector, with rule: any LinearLayerRule) -> LinearLayerRules {
        var copy = self
        copy.overrides.append((selector, rule))
        return copy
    }

    /// The rule at `site` on a tape with `count` linear layers.
    public func rule(for site: LinearLayerSite, count: Int) -> any LinearLayerRule {
        for (selector, rule) in overrides where selector.matches(site, count: count) { return rule }
        return site.kind == .convolution ? convolution : dense
    }

    public var description: String {
        var parts = ["convolution → \(convolution)", "dense → \(dense)"]
        for (selector, rule) in overrides { parts.append("\(selector) → \(rule)") }
        return "LRP(" + parts.joined(separator: ", ") + ")"
    }

    // MARK: zennit's composites

    /// EpsilonPlus: z⁺ at convolutions, ε at dense layers.
    public static func epsilonPlus(epsilon: Float = 1e-6, stabilizer: Float = 1e-6) throws(RuleError) -> LinearLayerRules {
        LinearLayerRules(convolution: try ZPlusRule(stabilizer: stabilizer), dense: try EpsilonLinearRule(epsilon: epsilon), stabilizer: stabilizer)
    }

    /// EpsilonPlusFlat: EpsilonPlus with the flat rule at the first layer.
    public static func epsilonPlusFlat(epsilon: Float = 1e-6, stabilizer: Float = 1e-6) throws(RuleError) -> LinearLayerRules {
        try epsilonPlus(epsilon: epsilon, stabilizer: stabilizer).overriding(.first, with: try FlatRule(stabilizer: stabilizer))
    }

    /// EpsilonGammaBox: γ at convolutions, ε at dense layers, z^B (the input's range `[low, high]`;
    /// `nil`: each example's per-channel range) at the first convolution.
    public static func epsilonGammaBox(low: Tensor? = nil, high: Tensor? = nil, epsilon: Float = 1e-6, gamma: Float = 0.25, stabilizer: Float = 1e-6) throws(RuleError) -> LinearLayerRules {
        LinearLayerRules(convolution: try GammaRule(gamma: gamma, stabilizer: stabilizer), dense: try EpsilonLinearRule(epsilon: epsilon), stabilizer: stabilizer)
            .overriding(.first, with: try ZBoxRule(low: low, high: high, stabilizer: stabilizer))
    }

    /// EpsilonAlpha2Beta1: α = 2, β = 1 at convolutions, ε at dense layers.
    public static func epsilonAlpha2Beta1(epsilon: Float = 1e-6, stabilizer: Float = 1e-6) throws(RuleError) -> LinearLayerRules {
        LinearLayerRules(convolution: try AlphaBetaRule(alpha: 2, beta: 1, stabilizer: stabilizer), dense: try EpsilonLinearRule(epsilon: epsilon), stabilizer: stabilizer)
    }

    /// EpsilonAlpha2Beta1Flat: EpsilonAlpha2Beta1 with the flat rule at the first layer.
    public static func epsilonAlpha2Beta1Flat(epsilon: Float = 1e-6, stabilizer: Float = 1e-6) throws(RuleError) -> LinearLayerRules {
        try epsilonAlpha2Beta1(epsilon: epsilon, stabilizer: stabilizer).overriding(.first, with: try FlatRule(stabilizer: stabilizer))
    }
}

extension BackwardRules {
    /// The rules of an LRP composite: ``PassRule`` at every activation and `composite` at the
    /// linear layers, sums and average pools.
    public static func layerwiseRelevance(_ composite: LinearLayerRules) -> BackwardRules {
        var rules = BackwardRules(activation: PassRule())
        rules.linearLayers = composite
        return rules
    }
}
