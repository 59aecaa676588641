import CElementwise
/// The plain gradient: `R · 1[z > 0]` (ReLU6: `R · 1[0 < z < 6]`); at every other activation
/// `R · f'(z)`.
public struct GradientRule: ActivationRule {
    /// Creates the rule.
    public init() {}
    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        switch input.site.kind {
        case .relu: return try input.vectorised(rule: description, ReLUGradientLanes())
        case .relu6: return try input.vectorised(rule: description, ReLU6GradientLanes())
        default:
            try input.validateShapes(rule: description)
            return try input.multiplyingByDerivative(input.upstream, rule: description)
        }
    }
    public var description: String { "gradient" }
}

/// Guided backpropagation (Springenberg et al., 2015): `max(R, 0) · 1[z > 0]` at the ReLU
/// family, `max(R, 0) · f'(z)` at every other activation.
public struct GuidedBackpropRule: ActivationRule {
    /// Creates the rule.
    public init() {}
    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        if input.site.kind.isReLUFamily { return try input.vectorised(rule: description, GuidedLanes()) }
        return try input.multiplyingByDerivative(try input.vectorised(rule: description, DeconvNetLanes()), rule: description)
    }
    public var description: String { "guided-backprop" }
}

/// DeconvNet (Zeiler & Fergus, 2014): `max(R, 0)`, ignoring `z` (at every activation kind).
public struct DeconvNetRule: ActivationRule {
    /// Creates the rule.
    public init() {}
    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.vectorised(rule: description, DeconvNetLanes())
    }
    public var description: String { "deconvnet" }
}

/// ε-LRP as a gradient override (Bach et al., 2015; Ancona et al., 2018):
/// `R · a / (z + ε·s)` with `s = +1` where `z ≥ 0`, else `−1` (the same formula at every
/// activation kind, as the published code applied it to every supported nonlinearity).
public struct EpsilonLRPRule: ActivationRule {
    /// The stabiliser ε (default 1e-4).
    public var epsilon: Float

    /// The largest ε: beyond it every relevance `a / (z + ε)` vanishes below float32's range
    /// and the map is silently zero.
    public static let maximumEpsilon: Float = 1e6

    /// Creates the rule.
    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` for ε outside `[0, maximumEpsilon]`.
    public init(epsilon: Float = 1e-4) throws(RuleError) {
        guard epsilon.isFinite, epsilon >= 0, epsilon <= Self.maximumEpsilon else {
            throw .invalidParameter(rule: "epsilon-lrp", reason: "epsilon must be in [0, 1e6], got \(epsilon)")
        }
        self.epsilon = epsilon
    }

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.vectorised(rule: description, EpsilonLRPLanes(epsilon: epsilon))
    }
    public var description: String { "epsilon-lrp(eps=\(epsilon))" }
}

/// `R · derivative(z)` at a ReLU: a product with 1 or 0, as ``ActivationKind/derivative(_:)``.
struct ReLUGradientLanes: LaneFunction3 {
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector {
        r * Elementwise.Vector().replacing(with: 1, where: z .> 0)
    }
    static var plainLoopOfZR: (@convention(c) (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)? { rg_relu_gradient }
    static var readsZOnlyThroughReLUMask: Bool { true }
}

/// `R · derivative(z)` at a ReLU6: `R · 1[0 < z < 6]`.
struct ReLU6GradientLanes: LaneFunction3 {
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector {
        r * Elementwise.Vector().replacing(with: 1, where: (z .> 0) .& (z .< 6))
    }
    static var plainLoopOfZR: (@convention(c) (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)? { rg_relu6_gradient }
    static var readsZOnlyThroughReLUMask: Bool { true }
}

/// Guided backpropagation: `R` where `z > 0` and `R > 0`, else 0.
struct GuidedLanes: LaneFunction3 {
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector {
        Elementwise.Vector().replacing(with: r, where: (z .> 0) .& (r .> 0))
    }
    static var readsZOnlyThroughReLUMask: Bool { true }
}

/// DeconvNet: `R` where `R > 0`, else 0.
struct DeconvNetLanes: LaneFunction3 {
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector {
        Elementwise.Vector().replacing(with: r, where: r .> 0)
    }
    static var readsZOnlyThroughReLUMask: Bool { true }
}

/// ε-LRP: `R · (a / (z + ε·s))`, 0 where the denominator is 0.
struct EpsilonLRPLanes: LaneFunction3 {
    /// `ε · 1` and `ε · (−1)`, the two values of `ε·s`.
    let plus: Elementwise.Vector, minus: Elementwise.Vector

    init(epsilon: Float) {
        plus = Elementwise.Vector(repeating: epsilon * 1)
        minus = Elementwise.Vector(repeating: epsilon * -1)
    }

    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector {
        // z + ε·s with s = +1 where z ≥ 0, else −1.
        let denominator = z + minus.replacing(with: plus, where: z .>= 0)
        // `a / denominator` first: with ε = 0 at a ReLU it is exactly 1 where z > 0, so the rule
        // equals the plain gradient bit for bit (`(r·a)/z` rounds twice and is off by an ulp).
        return (r * (a / denominator)).replacing(with: 0, where: denominator .== 0)
    }
}
