/// Layer-wise relevance propagation (LRP; Bach et al., *On Pixel-Wise Explanations for
/// Non-Linear Classifier Decisions by Layer-Wise Relevance Propagation*, PLOS ONE 2015; Montavon
/// et al., *Layer-Wise Relevance Propagation: An Overview*, 2019) at convolutions and dense layers.
///
/// Under a ``LinearLayerRules`` composite the backward pass carries **relevance**, not a
/// gradient: a linear layer `z = W x + b` receives the relevance `R` of its output and a rule
/// returns the relevance of its input. Every rule here has the same shape: some modified
/// forward passes `z' = W' x' + b'` give a stabilised denominator, `g = R / stab(z')`, and the
/// input relevance is a sum of `x' ⊙ W'ᵀ g` terms (zennit's definitions, PyPI zennit 0.5).
///
/// `stab(z) = z + ε · sign(z)` with `sign(0) = +1`.

/// The kind of a linear layer.
public enum LinearLayerKind: String, Hashable, Sendable, CaseIterable {
    /// A 2-D convolution (any groups).
    case convolution
    /// A dense (fully connected) layer.
    case dense
}

/// Where a linear-layer rule runs: the recorded convolution or dense node.
public struct LinearLayerSite: Hashable, Sendable, CustomStringConvertible {
    /// The node's id on the tape.
    public var nodeID: Int
    /// The position among the tape's linear layers (0 = the first recorded).
    public var ordinal: Int
    /// The layer's name (e.g. `features.0`).
    public var name: String
    /// Convolution or dense.
    public var kind: LinearLayerKind

    /// Creates a site.
    public init(nodeID: Int, ordinal: Int, name: String, kind: LinearLayerKind) {
        self.nodeID = nodeID
        self.ordinal = ordinal
        self.name = name
        self.kind = kind
    }

    public var description: String { "\(kind) #\(ordinal) '\(name)'" }
}

/// What a linear-layer rule receives: the layer's input, parameters, output relevance, and the
/// layer's linear map with other parameters (forward) and its transpose.
public struct LinearLayerBackwardInput {
    /// The layer's input `x`.
    public let input: Tensor
    /// The weight `W` (`[O, C/groups, kH, kW]` or `[out, in]`).
    public let weight: Tensor
    /// The bias `b`, if any.
    public let bias: Tensor?
    /// The layer's output `z = W x + b`.
    public let output: Tensor
    /// The relevance of the output.
    public let upstream: Tensor
    /// Where the rule runs.
    public let site: LinearLayerSite
    /// The threads the kernels use.
    public let workers: Workers
    let geometry: Convolution2DGeometry?

    init(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, upstream: Tensor, site: LinearLayerSite, geometry: Convolution2DGeometry?, workers: Workers) {
        self.input = input
        self.weight = weight
        self.bias = bias
        self.output = output
        self.upstream = upstream
        self.site = site
        self.geometry = geometry
        self.workers = workers
    }

    /// The layer with other parameters: `weight · x + bias` (same stride, padding and groups).
    public func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) throws(TensorError) -> Tensor {
        if let geometry { return try Convolution2D.forward(input: x, weight: weight, bias: bias, geometry: geometry, workers: workers) }
        return try Dense.forward(input: x, weight: weight, bias: bias, workers: workers)
    }

    /// The transpose of the layer's linear map with `weight`, applied to `g` (an output-shaped tensor).
    public func transpose(_ g: Tensor, weight: Tensor) throws(TensorError) -> Tensor {
        if let geometry { return try Convolution2D.backwardInput(outputGradient: g, weight: weight, inputShape: input.shape, geometry: geometry, workers: workers) }
        return try Dense.backwardInput(outputGradient: g, weight: weight, workers: workers)
    }
}

/// A relevance rule for convolutions and dense layers: one pure function from the layer's
/// input, parameters and output relevance to the input relevance.
public protocol LinearLayerRule: Sendable, CustomStringConvertible {
    /// The relevance of the layer's input (the input's shape).
    func relevance(_ input: LinearLayerBackwardInput) throws -> Tensor
}

/// Element-wise helpers of the rules.
enum Relevance {
    /// `z + ε · sign(z)`, `sign(0) = +1`.
    static func stabilize(_ z: Float, _ epsilon: Float) -> Float { z >= 0 ? z + epsilon : z - epsilon }

    /// `R / stab(z)`; 0 where the stabilised denominator is exactly 0 (only possible with ε = 0).
    static func divide(_ r: Tensor, by z: Tensor, epsilon: Float) throws(TensorError) -> Tensor {
        try r.zipMap(z) { r, z in
            let d = stabilize(z, epsilon)
            return d == 0 ? 0 : r / d
        }
    }

    static func positive(_ t: Tensor) -> Tensor { t.map { Swift.max($0, 0) } }
    static func negative(_ t: Tensor) -> Tensor { t.map { Swift.min($0, 0) } }

    /// `x ⊙ Wᵀ g`.
    static func term(_ layer: LinearLayerBackwardInput, _ x: Tensor, _ g: Tensor, _ weight: Tensor) throws(TensorError) -> Tensor {
        try x.multiplying(try layer.transpose(g, weight: weight), workers: layer.workers)
    }

    /// Checks a rule parameter.
    static func check(_ value: Float, _ name: String, _ valid: Bool, _ range: String) throws(RuleError) {
        guard value.isFinite, valid else { throw .invalidParameter(rule: name, reason: "must be \(range), got \(value)") }
    }
}

/// The ε rule: `x ⊙ Wᵀ (R / stab_ε(W x + b))`. With ε = 0 it is LRP-0 (a zero denominator
/// passes no relevance).
public struct EpsilonLinearRule: LinearLayerRule {
    /// The stabiliser ε ≥ 0.
    public let epsilon: Float

    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` for a negative or non-finite ε.
    public init(epsilon: Float = 1e-6) throws(RuleError) {
        try Relevance.check(epsilon, "epsilon", epsilon >= 0, "≥ 0 and finite")
        self.epsilon = epsilon
    }

    public func relevance(_ layer: LinearLayerBackwardInput) throws -> Tensor {
        let g = try Relevance.divide(layer.upstream, by: layer.output, epsilon: epsilon)
        return try Relevance.term(layer, layer.input, g, layer.weight)
    }

    public var description: String { epsilon == 0 ? "lrp-0" : "epsilon(\(epsilon))" }
}

/// The z⁺ rule: positive contributions only, `x⁺ ⊙ W⁺ᵀ g + x⁻ ⊙ W⁻ᵀ g` with
/// `g = R / stab(W⁺x⁺ + b⁺ + W⁻x⁻)`.
public struct ZPlusRule: LinearLayerRule {
    /// The stabiliser.
    public let stabilizer: Float

    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` for a negative or non-finite stabiliser.
    public init(stabilizer: Float = 1e-6) throws(RuleError) {
        try Relevance.check(stabilizer, "stabilizer", stabilizer >= 0, "≥ 0 and finite")
        self.stabilizer = stabilizer
    }

    public func relevance(_ layer: LinearLayerBackwardInput) throws -> Tensor {
        let (xp, xn) = (Relevance.positive(layer.input), Relevance.negative(layer.input))
        let (wp, wn) = (Relevance.positive(layer.weight), Relevance.negative(layer.weight))
        let z = try layer.forward(xp, weight: wp, bias: layer.bias.map(Relevance.positive)).adding(try layer.forward(xn, weight: wn, bias: nil), workers: layer.workers)
        let g = try Relevance.divide(layer.upstream, by: z, epsilon: stabilizer)
        return try Relevance.term(layer, xp, g, wp).adding(try Relevance.term(layer, xn, g, wn), workers: layer.workers)
    }

    public var description: String { "z-plus" }
}

/// The αβ rule (α − β = 1): `α · (positive contributions) − β · (negative contributions)`, each
/// normalised by its own stabilised sum. α = 2, β = 1 and α = 1, β = 0 are the usual choices.
public struct AlphaBetaRule: LinearLayerRule {
    /// α ≥ 1.
    public let alpha: Float
    /// β = α − 1.
    public let beta: Float
    /// The stabiliser.
    public let stabilizer: Float

    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` unless α, β ≥ 0 and α − β = 1.
    public init(alpha: Float = 2, beta: Float = 1, stabilizer: Float = 1e-6) throws(RuleError) {
        try Relevance.check(alpha, "alpha", alpha >= 0 && beta.isFinite && beta >= 0 && alpha - beta == 1, "≥ 0 with beta ≥ 0 and alpha − beta = 1")
        try Relevance.check(stabilizer, "stabilizer", stabilizer >= 0, "≥ 0 and finite")
        self.alpha = alpha
        self.beta = beta
        self.stabilizer = stabilizer
    }

    public func relevance(_ layer: LinearLayerBackwardInput) throws -> Tensor {
        let (xp, xn) = (Relevance.positive(layer.input), Relevance.negative(layer.input))
        let (wp, wn) = (Relevance.positive(layer.weight), Relevance.negative(layer.weight))
        let zp = try layer.forward(xp, weight: wp, bias: layer.bias.map(Relevance.positive)).adding(try layer.forward(xn, weight: wn, bias: nil), workers: layer.workers)
        let zn = try layer.forward(xp, weight: wn, bias: layer.bias.map(Relevance.negative)).adding(try layer.forward(xn, weight: wp, bias: nil), workers: layer.workers)
        let gp = try Relevance.divide(layer.upstream, by: zp, epsilon: stabilizer)
        let gn = try Relevance.divide(layer.upstream, by: zn, epsilon: stabilizer)
        let positive = try Relevance.term(layer, xp, gp, wp).adding(try Relevance.term(layer, xn, gp, wn), workers: layer.workers)
        let negative = try Relevance.term(layer, xp, gn, wn).adding(try Relevance.term(layer, xn, gn, wp), workers: layer.workers)
        return try positive.scaled(by: alpha, workers: layer.workers).subtracting(negative.scaled(by: beta, workers: layer.workers), workers: layer.workers)
    }

    public var description: String { "alpha\(alpha.ruleParameterText)-beta\(beta.ruleParameterText)" }
}

/// The γ rule: contributions with the sign of the output are boosted by γ. For outputs `z > 0`
/// the weights `W + γW⁺` on `x⁺` and `W + γW⁻` on `x⁻`; for `z < 0` the reverse (zennit's
/// generalisation to signed inputs).
public struct GammaRule: LinearLayerRule {
    /// γ ≥ 0 (default 0.25).
    public let gamma: Float
    /// The stabiliser.
    public let stabilizer: Float

    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` for a negative or non-finite γ or stabiliser.
    public init(gamma: Float = 0.25, stabilizer: Float = 1e-6) throws(RuleError) {
        try Relevance.check(gamma, "gamma", gamma >= 0, "≥ 0 and finite")
        try Relevance.check(stabilizer, "stabilizer", stabilizer >= 0, "≥ 0 and finite")
        self.gamma = gamma
        self.stabilizer = stabilizer
    }

    public func relevance(_ layer: LinearLayerBackwardInput) throws -> Tensor {
        let gamma = self.gamma
        let (xp, xn) = (Relevance.positive(layer.input), Relevance.negative(layer.input))
        let boostPositive = { (p: Tensor) in p.map { $0 + gamma * Swift.max($0, 0) } }
        let boostNegative = { (p: Tensor) in p.map { $0 + gamma * Swift.min($0, 0) } }
        let (wp, wn) = (boostPositive(layer.weight), boostNegative(layer.weight))
        let z = layer.output
        let up = try layer.forward(xp, weight: wp, bias: layer.bias.map(boostPositive)).adding(try layer.forward(xn, weight: wn, bias: nil), workers: layer.workers)
        let down = try layer.forward(xp, weight: wn, bias: layer.bias.map(boostNegative)).adding(try layer.forward(xn, weight: wp, bias: nil), workers: layer.workers)
        let gUp = try Relevance.divide(try layer.upstream.zipMap(z) { r, z in z > 0 ? r : 0 }, by: up, epsilon: stabilizer)
        let gDown = try Relevance.divide(try layer.upstream.zipMap(z) { r, z in z < 0 ? r : 0 }, by: down, epsilon: stabilizer)
        return try Relevance.term(layer, xp, gUp, wp)
            .adding(try Relevance.term(layer, xn, gUp, wn), workers: layer.workers)
            .adding(try Relevance.term(layer, xp, gDown, wn), workers: layer.workers)
            .adding(try Relevance.term(layer, xn, gDown, wp), workers: layer.workers)
    }

    public var description: String { "gamma(\(gamma))" }
}

/// The z^B (box) rule for the first layer of an input bounded by `low ≤ x ≤ high`:
/// `x ⊙ Wᵀg − l ⊙ W⁺ᵀg − h ⊙ W⁻ᵀg`, `g = R / stab(W x + b − (W⁺ l + b⁺) − (W⁻ h + b⁻))`.
public struct ZBoxRule: LinearLayerRule {
    /// The lowest input values: a scalar, one per channel (`[C]`), one example (`[C, H, W]`) or
    /// the whole input; `nil`: each example's per-channel minimum.
    public let low: Tensor?
    /// The highest input values, in the same forms; `nil`: each example's per-channel maximum.
    public let high: Tensor?
    /// The stabiliser.
    public let stabilizer: Float

    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` for non-finite bounds, bounds of
    ///   different shapes, only one bound, or `low > high`.
    public init(low: Tensor? = nil, high: Tensor? = nil, stabilizer: Float = 1e-6) throws(RuleError) {
        switch (low, high) {
        case (nil, nil):
            break
        case (let low?, let high?):
            guard low.isFinite, high.isFinite, low.shape == high.shape else {
                throw .invalidParameter(rule: "bounds", reason: "low and high must be finite and of the same shape, got \(low.shape) and \(high.shape)")
            }
            guard zip(low.scalars, high.scalars).allSatisfy({ $0 <= $1 }) else {
                throw .invalidParameter(rule: "bounds", reason: "low must not exceed high")
            }
        default:
            throw .invalidParameter(rule: "bounds", reason: "give both low and high, or neither (each example's range)")
        }
        try Relevance.check(stabilizer, "stabilizer", stabilizer >= 0, "≥ 0 and finite")
        self.low = low
        self.high = high
        self.stabilizer = stabilizer
    }

    /// A bound broadcast to the layer input's shape `[N, C, …]`; `nil` gives the per-example,
    /// per-channel minimum (`lowest`) or maximum.
    func expanded(_ bound: Tensor?, to shape: [Int], of input: Tensor, lowest: Bool) throws -> Tensor {
        let count = shape.reduce(1, *)
        let examples = shape.first ?? 0
        let size = count / Swift.max(examples, 1)
        let channels = shape.count > 1 ? shape[1] : 1
        let plane = size / Swift.max(channels, 1)
        var scalars = [Float](repeating: 0, count: count)
        guard let bound else {
            for n in 0..<examples {
                for c in 0..<channels {
                    let base = n * size + c * plane
                    var extreme = input.scalars[base]
                    for i in base..<(base + plane) { extreme = lowest ? Swift.min(extreme, input.scalars[i]) : Swift.max(extreme, input.scalars[i]) }
                    for i in base..<(base + plane) { scalars[i] = extreme }
                }
            }
            return try Tensor(shape: shape, scalars: scalars)
        }
        if bound.count == 1 { return Tensor(repeating: bound.scalars[0], shape: shape) }
        if bound.count == count { return try bound.reshaped(shape) }
        if bound.count == size {
            for n in 0..<examples { for i in 0..<size { scalars[n * size + i] = bound.scalars[i] } }
            return try Tensor(shape: shape, scalars: scalars)
        }
        if bound.count == channels {
            for n in 0..<examples { for c in 0..<channels { for p in 0..<plane { scalars[n * size + c * plane + p] = bound.scalars[c] } } }
            return try Tensor(shape: shape, scalars: scalars)
        }
        throw RuleError.invalidParameter(rule: "bounds", reason: "a bound of shape \(bound.shape) does not fit the first layer's input \(shape)")
    }

    public func relevance(_ layer: LinearLayerBackwardInput) throws -> Tensor {
        let shape = layer.input.shape
        let l = try expanded(low, to: shape, of: layer.input, lowest: true), h = try expanded(high, to: shape, of: layer.input, lowest: false)
        let (wp, wn) = (Relevance.positive(layer.weight), Relevance.negative(layer.weight))
        let z = try layer.forward(layer.input, weight: layer.weight, bias: layer.bias)
            .subtracting(try layer.forward(l, weight: wp, bias: layer.bias.map(Relevance.positive)), workers: layer.workers)
            .subtracting(try layer.forward(h, weight: wn, bias: layer.bias.map(Relevance.negative)), workers: layer.workers)
        let g = try Relevance.divide(layer.upstream, by: z, epsilon: stabilizer)
        return try Relevance.term(layer, layer.input, g, layer.weight)
            .subtracting(try Relevance.term(layer, l, g, wp), workers: layer.workers)
            .subtracting(try Relevance.term(layer, h, g, wn), workers: layer.workers)
    }

    public var description: String { "z-box" }
}

/// The flat rule: relevance spread uniformly over each output's receptive field,
/// `1ᵀ (R / stab(1ᵀ 1))` (weights set to one, no bias, inputs set to one).
public struct FlatRule: LinearLayerRule {
    /// The stabiliser.
    public let stabilizer: Float

    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` for a negative or non-finite stabiliser.
    public init(stabilizer: Float = 1e-6) throws(RuleError) {
        try Relevance.check(stabilizer, "stabilizer", stabilizer >= 0, "≥ 0 and finite")
        self.stabilizer = stabilizer
    }

    public func relevance(_ layer: LinearLayerBackwardInput) throws -> Tensor {
        let ones = Tensor(repeating: 1, shape: layer.weight.shape)
        let z = try layer.forward(Tensor(repeating: 1, shape: layer.input.shape), weight: ones, bias: nil)
        return try layer.transpose(try Relevance.divide(layer.upstream, by: z, epsilon: stabilizer), weight: ones)
    }

    public var description: String { "flat" }
}

/// The w² rule: relevance spread in proportion to the squared weights,
/// `W²ᵀ (R / stab(W² 1 + b²))`.
public struct WSquareRule: LinearLayerRule {
    /// The stabiliser.
    public let stabilizer: Float

    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` for a negative or non-finite stabiliser.
    public init(stabilizer: Float = 1e-6) throws(RuleError) {
        try Relevance.check(stabilizer, "stabilizer", stabilizer >= 0, "≥ 0 and finite")
        self.stabilizer = stabilizer
    }

    public func relevance(_ layer: LinearLayerBackwardInput) throws -> Tensor {
        let square = { (p: Tensor) in p.map { $0 * $0 } }
        let w2 = square(layer.weight)
        let z = try layer.forward(Tensor(repeating: 1, shape: layer.input.shape), weight: w2, bias: layer.bias.map(square))
        return try layer.transpose(try Relevance.divide(layer.upstream, by: z, epsilon: stabilizer), weight: w2)
    }

    public var description: String { "w-square" }
}

/// Passes the relevance through an activation unchanged (zennit's `Pass`): under an LRP
/// composite every activation uses it.
public struct PassRule: ActivationRule {
    /// Creates the rule.
    public init() {}

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor { input.upstream }

    public var description: String { "pass" }
}

extension Float {
    /// `2` for 2.0, `0.5` for 0.5.
    var ruleParameterText: String { self == rounded() && Swift.abs(self) < 1e6 ? String(Int(self)) : String(self) }
}
