import Foundation
import Testing
import RectGradCore
import _RectGradTestSupport

/// The rules of the specification's "Other activations" section at hand-computed points.
@Suite("Rules at activations beyond ReLU (hand cases)")
struct OtherActivationRuleHandTests {
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
