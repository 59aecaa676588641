/// Selects activation sites for a per-layer rule override.
public enum LayerSelector: Hashable, Sendable, CustomStringConvertible {
    /// The activation recorded with exactly this name (e.g. `features.29`).
    case name(String)
    /// Activations whose name starts with this prefix (e.g. `layer4.`).
    case namePrefix(String)
    /// Every activation of this kind.
    case kind(ActivationKind)
    /// The activation with this ordinal (0 = first recorded).
    case ordinal(Int)
    /// The last activation recorded on the tape.
    case last

    /// Whether the selector matches `site` on a tape with `activationCount` activations.
    public func matches(_ site: ActivationSite, activationCount: Int) -> Bool {
        switch self {
        case .name(let name): return site.name == name
        case .namePrefix(let prefix): return site.name.hasPrefix(prefix)
        case .kind(let kind): return site.kind == kind
        case .ordinal(let ordinal): return site.ordinal == ordinal
        case .last: return site.ordinal == activationCount - 1
        }
    }

    public var description: String {
        switch self {
        case .name(let name): return "name '\(name)'"
        case .namePrefix(let prefix): return "prefix '\(prefix)'"
        case .kind(let kind): return "kind \(kind)"
        case .ordinal(let ordinal): return "activation #\(ordinal)"
        case .last: return "last activation"
        }
    }
}

/// How gradients pass through max-pool layers.
public enum MaxPoolBackward: String, Hashable, Sendable, CaseIterable {
    /// To the first maximal element of each window (every method's default).
    case firstMaximum = "first-maximum"
    /// The proportional redistribution rule (RectGrad-PRR): spread over the window in proportion to the inputs.
    case proportional = "prr"
}

/// Everything that decides how a backward pass treats activations, convolution borders and
/// max-pools. A value: pass it to ``Tape/backward(from:seed:withRespectTo:rules:)``.
public struct BackwardRules: Sendable, CustomStringConvertible {
    /// The rule for every activation that no override selects.
    public var activation: any ActivationRule
    /// Per-layer overrides; the first matching selector wins.
    public var overrides: [(selector: LayerSelector, rule: any ActivationRule)]
    /// The RectGrad padding rule: zero the outermost one-pixel frame of the gradient arriving at
    /// every convolution with non-zero padding.
    public var masksConvolutionBorder: Bool
    /// The max-pool backward.
    public var maxPool: MaxPoolBackward
    /// An LRP composite: when set, the pass carries relevance and convolutions, dense layers,
    /// sums and average pools use its rules (see ``LinearLayerRules``); `nil` (the default):
    /// their ordinary gradients.
    public var linearLayers: LinearLayerRules?

    /// Creates a rule set.
    public init(
        activation: any ActivationRule = GradientRule(),
        overrides: [(selector: LayerSelector, rule: any ActivationRule)] = [],
        masksConvolutionBorder: Bool = false,
        maxPool: MaxPoolBackward = .firstMaximum
    ) {
        self.activation = activation
        self.overrides = overrides
        self.masksConvolutionBorder = masksConvolutionBorder
        self.maxPool = maxPool
    }

    /// The plain gradient everywhere.
    public static var gradient: BackwardRules { BackwardRules() }

    /// Returns a copy with an override added for the activations `selector` matches.
    public func overriding(_ selector: LayerSelector, with rule: any ActivationRule) -> BackwardRules {
        var copy = self
        copy.overrides.append((selector, rule))
        return copy
    }

    /// Every rule of the set: the default, then the overrides in order.
    public var allRules: [any ActivationRule] { [activation] + overrides.map(\.rule) }

    /// The reference inputs whose forward passes the rules need (``ReferenceBoundRule``, e.g.
    /// DeepLIFT), without duplicates, in order of first use.
    public var references: [Baseline] {
        var result: [Baseline] = []
        for case let rule as any ReferenceBoundRule in allRules where !result.contains(rule.reference) {
            result.append(rule.reference)
        }
        return result
    }

    /// A copy with every ``ReferenceBoundRule`` bound to the activations of its reference's
    /// forward pass; `activations` is called once per distinct reference.
    public func binding<Failure: Error>(_ activations: (Baseline) throws(Failure) -> ReferenceActivations) throws(Failure) -> BackwardRules {
        let references = self.references
        guard !references.isEmpty else { return self }
        var passes: [ReferenceActivations] = []
        for reference in references { passes.append(try activations(reference)) }
        func bound(_ rule: any ActivationRule) -> any ActivationRule {
            guard let rule = rule as? any ReferenceBoundRule,
                  let index = references.firstIndex(of: rule.reference) else { return rule }
            return rule.binding(passes[index])
        }
        var copy = self
        copy.activation = bound(activation)
        copy.overrides = overrides.map { ($0.selector, bound($0.rule)) }
        return copy
    }

    /// Checks that every override selects at least one of `sites` (a recorded pass's
    /// ``Tape/activationSites``); ``Tape/backward(from:seed:withRespectTo:rules:)`` calls it.
    /// - Throws: ``TapeError/selectorMatchesNothing(_:activations:)`` for the first override that
    ///   matches nothing, with the names of the sites.
    public func validate(against sites: [ActivationSite]) throws(TapeError) {
        for (selector, _) in overrides where !sites.contains(where: { selector.matches($0, activationCount: sites.count) }) {
            throw .selectorMatchesNothing(selector, activations: sites.map(\.name))
        }
    }

    /// The rule that applies at `site`.
    public func rule(for site: ActivationSite, activationCount: Int) -> any ActivationRule {
        for (selector, rule) in overrides where selector.matches(site, activationCount: activationCount) {
            return rule
        }
        return activation
    }

    public var description: String {
        var parts = [activation.description]
        for (selector, rule) in overrides { parts.append("\(selector) → \(rule)") }
        if masksConvolutionBorder { parts.append("border rule") }
        if maxPool == .proportional { parts.append("PRR at max-pools") }
        if let linearLayers { parts.append(linearLayers.description) }
        return parts.joined(separator: "; ")
    }
}

/// What a backward pass did: how many activation nodes each rule handled, and how often the
/// border rule and PRR applied. Tests use it to prove that no activation bypassed a rule.
public struct BackwardReport: Sendable, Equatable, CustomStringConvertible {
    /// Activation nodes handled, by rule description.
    public var activationNodesByRule: [String: Int] = [:]
    /// Activation sites handled, by activation kind (``ActivationKind/name``, e.g. `relu`,
    /// `sigmoid`, `leaky-relu`) and then by rule description: at a glance, which rule handled how
    /// many sites of each kind (every site goes through exactly one rule).
    public var activationSitesByKind: [String: [String: Int]] = [:]
    /// Activation nodes recorded on the tape.
    public var activationNodesRecorded = 0
    /// Convolutions whose incoming gradient was border-masked.
    public var maskedConvolutions = 0
    /// Max-pool layers that used PRR.
    public var proportionalMaxPools = 0
    /// Nodes whose backward was evaluated.
    public var nodesVisited = 0
    /// Linear layers handled by an LRP rule, by rule description.
    public var linearLayersByRule: [String: Int] = [:]

    /// Total activation nodes handled by any rule.
    public var activationNodesHandled: Int { activationNodesByRule.values.reduce(0, +) }

    /// Activation sites of one kind handled by any rule (0 for a kind the pass did not meet).
    public func activationSitesHandled(kind: ActivationKind) -> Int {
        activationSitesByKind[kind.name]?.values.reduce(0, +) ?? 0
    }

    public var description: String {
        let rules = activationNodesByRule.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        var text = "activations \(activationNodesHandled)/\(activationNodesRecorded) [\(rules)]"
        // With more than one kind, say which rule handled which kind.
        if activationSitesByKind.count > 1 {
            let kinds = activationSitesByKind.sorted { $0.key < $1.key }.map { kind, rules in
                "\(kind): " + rules.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            text += " by kind [\(kinds.joined(separator: "; "))]"
        }
        return text + ", border-masked convolutions \(maskedConvolutions), PRR max-pools \(proportionalMaxPools), nodes visited \(nodesVisited)"
    }
}
