import Foundation
import Testing
import RectGradCore
import _RectGradTestSupport

/// One activation at one point: `z`, `a = f(z)` and `f'(z)` derived by hand (3/4 and 3/16 for
/// the sigmoid at ln 3, 3/5 and 16/25 for tanh at ln 2, 0.2 for the hard sigmoid's slope, …) or, for
/// the transcendental values, with Python's `math` module (independent of the library's float32 code).
struct HandPoint: Sendable, CustomTestStringConvertible {
    var kind: ActivationKind
    var z: Float, a: Float, slope: Float
    var testDescription: String { "\(kind) at \(z)" }

    static let all: [HandPoint] = [
        .init(kind: .sigmoid, z: Float(log(3.0)), a: 0.75, slope: 0.1875),
        .init(kind: .tanh, z: Float(log(2.0)), a: 0.6, slope: 0.64),
        .init(kind: .silu, z: Float(log(3.0)), a: 0.823959217, slope: 0.955989804),
        .init(kind: .gelu(.erf), z: 1, a: 0.841344746, slope: 1.083315471),
        .init(kind: .gelu(.tanh), z: 1, a: 0.841191991, slope: 1.082964084),
        .init(kind: .softplus, z: 1, a: 1.313261688, slope: 0.731058579),
        .init(kind: .elu(alpha: 1), z: -1, a: -0.632120559, slope: 0.367879441),
        .init(kind: .leakyReLU(slope: 0.1), z: -2, a: -0.2, slope: 0.1),
        .init(kind: .hardSigmoid(alpha: 0.2, beta: 0.5), z: 1, a: 0.7, slope: 0.2),
        .init(kind: .hardSwish, z: 1.5, a: 1.125, slope: 1),
        .init(kind: .clip(lower: -1, upper: 1.5), z: 0.5, a: 0.5, slope: 1),
    ]
}

/// The rules of the specification's "Other activations" section at hand-computed points.
@Suite("Rules at activations beyond ReLU (hand cases)")
struct OtherActivationRuleHandTests {
    @Test("every rule at every kind: two units at the same z with R = (2, −1)", arguments: HandPoint.all)
    func everyRuleAtEveryKind(_ p: HandPoint) throws {
        let z = try tensor([1, 2], [p.z, p.z]), r = try tensor([1, 2], [2, -1])
        func expect(_ rule: any ActivationRule, _ expected: [Float], _ label: String) throws {
            expectClose(try activationGradient(z: z, upstream: r, kind: p.kind, rule: rule), try tensor([1, 2], expected), absolute: 2e-6, relative: 2e-6, Comment(rawValue: label))
        }
        #expect(abs(p.kind.apply(p.z) - p.a) <= 1e-6 * max(1, abs(p.a)), "f")
        try expect(GradientRule(), [2 * p.slope, -p.slope], "gradient: R·f'")
        try expect(GuidedBackpropRule(), [2 * p.slope, 0], "guided: max(R, 0)·f'")
        try expect(DeconvNetRule(), [2, 0], "deconvnet: max(R, 0)")
        // Importances a·R = (2a, −a): τ = 0 passes the positive one, with R·f'.
        let positive: [Float] = p.a > 0 ? [2 * p.slope, 0] : [0, -p.slope]
        try expect(RectGradConstantRule(tau: 0), positive, "rectgrad-const(0)")
        // q = 0: the threshold is the smaller importance; only the larger passes (strict >).
        try expect(RectGradRule(percentile: 0), positive, "rectgrad(q=0)")
        // |a·R| = (2|a|, |a|) above τ = 1.5|a|: the first unit.
        try expect(RectGradConstantRule(tau: 1.5 * abs(p.a), importance: .absolute), [2 * p.slope, 0], "rectgrad-const absolute")
        try expect(EpsilonLRPRule(epsilon: 0), [2 * p.a / p.z, -p.a / p.z], "epsilon-lrp(0): R·a/z")
        // The reference at z itself: DeepLIFT's midpoint branch, R·f'(z).
        let reference = ReferenceActivations(values: [0: (z, try tensor([1, 2], [p.a, p.a]))])
        try expect(DeepLIFTRescaleRule().binding(reference), [2 * p.slope, -p.slope], "deeplift at z0 = z")
    }

    /// sigmoid at z = 0 and z = ln 3: a = 1/2 and 3/4, f' = 1/4 and 3/16; R = (2, −4).
    let z = (try? Tensor(shape: [1, 2], scalars: [0, Float(log(3.0))])) ?? Tensor.zeros([1, 2])
    let r = (try? Tensor(shape: [1, 2], scalars: [2, -4])) ?? Tensor.zeros([1, 2])

    @Test("gradient, guided backprop and DeconvNet at a sigmoid")
    func sigmoidBasics() throws {
        expectClose(try activationGradient(z: z, upstream: r, kind: .sigmoid, rules: .gradient), try tensor([1, 2], [0.5, -0.75]), absolute: 1e-6)
        expectClose(try activationGradient(z: z, upstream: r, kind: .sigmoid, rule: GuidedBackpropRule()), try tensor([1, 2], [0.5, 0]), absolute: 1e-6)
        expectEqual(try activationGradient(z: z, upstream: r, kind: .sigmoid, rule: DeconvNetRule()), try tensor([1, 2], [2, 0]))
    }

    @Test("RectGrad at a sigmoid: R·f'(z) where a·R > t")
    func sigmoidRectGrad() throws {
        // Importances a·R = (1, −3): τ = 0 passes the first unit with R·f' = 0.5.
        expectClose(try activationGradient(z: z, upstream: r, kind: .sigmoid, rule: RectGradConstantRule(tau: 0)), try tensor([1, 2], [0.5, 0]), absolute: 1e-6)
        // Absolute importance (1, 3) above τ = 2: only the second, R·f' = −4·3/16.
        expectClose(try activationGradient(z: z, upstream: r, kind: .sigmoid, rule: RectGradConstantRule(tau: 2, importance: .absolute)), try tensor([1, 2], [0, -0.75]), absolute: 1e-6)
        // q = 0 on two units: the threshold is the minimum −3, strictly above it only the first.
        expectClose(try activationGradient(z: z, upstream: r, kind: .sigmoid, rule: RectGradRule(percentile: 0)), try tensor([1, 2], [0.5, 0]), absolute: 1e-6)
    }

    @Test("ε-LRP and DeepLIFT at a sigmoid")
    func sigmoidLRPAndDeepLIFT() throws {
        // ε = 0: R·a/z; z = 0 gives a zero denominator, hence 0; −4·(3/4)/ln 3 for the second.
        let lrp = try activationGradient(z: z, upstream: r, kind: .sigmoid, rule: EpsilonLRPRule(epsilon: 0))
        expectClose(lrp, try tensor([1, 2], [0, Float(-3 / log(3.0))]), absolute: 1e-6)
        // DeepLIFT with the reference z0 = (0, 0): the first unit takes the midpoint branch R·f'(0) = 2/4,
        // the second R·(3/4 − 1/2)/ln 3.
        let reference = ReferenceActivations(values: [0: (try tensor([1, 2], [0, 0]), try tensor([1, 2], [0.5, 0.5]))])
        let deepLIFT = try activationGradient(z: z, upstream: r, kind: .sigmoid, rule: DeepLIFTRescaleRule().binding(reference))
        expectClose(deepLIFT, try tensor([1, 2], [0.5, Float(-4 * 0.25 / log(3.0))]), absolute: 1e-6)
    }

    @Test("leaky ReLU is not in the ReLU family: its negative part carries gradient")
    func leakyReLU() throws {
        let z = try tensor([1, 2], [-2, 3])
        let kind = ActivationKind.leakyReLU(slope: 0.1)
        expectClose(try activationGradient(z: z, upstream: try tensor([1, 2], [1, 1]), kind: kind, rules: .gradient), try tensor([1, 2], [0.1, 1]), absolute: 1e-7)
        expectClose(try activationGradient(z: z, upstream: try tensor([1, 2], [1, -1]), kind: kind, rule: GuidedBackpropRule()), try tensor([1, 2], [0.1, 0]), absolute: 1e-7)
        // a = (−0.2, 3), R = (−1, 1): importances (0.2, 3) both pass τ = 0, each times f'.
        expectClose(try activationGradient(z: z, upstream: try tensor([1, 2], [-1, 1]), kind: kind, rule: RectGradConstantRule(tau: 0)), try tensor([1, 2], [-0.1, 1]), absolute: 1e-7)
    }

    @Test("a clip to [0, c] follows the ReLU rules; a clip with a negative bound uses f'")
    func clipFamilies() throws {
        let ones = try tensor([1, 3], [1, 1, 1])
        // clip(0, 4) at z = (−1, 2, 5): a = (0, 2, 4). Gradient 1[0 < z < 4]; RectGrad τ = 0 passes
        // the saturated unit too (no f' factor, as at ReLU6).
        let reluLike = ActivationKind.clip(lower: 0, upper: 4)
        let z1 = try tensor([1, 3], [-1, 2, 5])
        expectEqual(try activationGradient(z: z1, upstream: ones, kind: reluLike, rules: .gradient), try tensor([1, 3], [0, 1, 0]))
        expectEqual(try activationGradient(z: z1, upstream: ones, kind: reluLike, rule: RectGradConstantRule(tau: 0)), try tensor([1, 3], [0, 1, 1]))
        expectEqual(try activationGradient(z: z1, upstream: ones, kind: reluLike, rule: GuidedBackpropRule()), try tensor([1, 3], [0, 1, 1]))
        // clip(−1, 1.5) at z = (−2, 0.5, 2): a = (−1, 0.5, 1.5), importances (−1, 0.5, 1.5);
        // RectGrad τ = 0 passes the last two, times f' = (0, 1, 0).
        let hardTanh = ActivationKind.clip(lower: -1, upper: 1.5)
        let z2 = try tensor([1, 3], [-2, 0.5, 2])
        expectEqual(try activationGradient(z: z2, upstream: ones, kind: hardTanh, rule: RectGradConstantRule(tau: 0)), try tensor([1, 3], [0, 1, 0]))
    }

    @Test("derivatives at hand-computed points")
    func derivatives() throws {
        func d(_ kind: ActivationKind, _ z: Float) -> Float { kind.derivative(z) }
        // Φ(1) + φ(1) = 0.841344746 + 0.241970725.
        #expect(abs(d(.gelu(.erf), 1) - 1.083315471) < 1e-6)
        #expect(abs(d(.gelu(.erf), 0) - 0.5) < 1e-7)
        #expect(abs(d(.gelu(.tanh), 0) - 0.5) < 1e-7)
        #expect(abs(d(.elu(alpha: 1), -1) - 0.36787944) < 1e-7)
        #expect(d(.elu(alpha: 1), 2) == 1)
        #expect(abs(d(.softplus, 0) - 0.5) < 1e-7)
        #expect(abs(d(.tanh, Float(log(2.0))) - 0.64) < 1e-6)
        // s = 3/4 at ln 3: s·(1 + z·(1 − s)).
        #expect(abs(d(.silu, Float(log(3.0))) - Float(0.75 * (1 + log(3.0) * 0.25))) < 1e-6)
        #expect([0, 3, -3].map { d(.hardSigmoid(alpha: 0.2, beta: 0.5), $0) } == [0.2, 0, 0])
        #expect([-4, 0, 1.5, 4].map { d(.hardSwish, $0) } == [0, 0.5, 1, 1])
        #expect(ActivationKind.hardSwish.apply(1.5) == 1.5 * 4.5 / 6)
    }
}
