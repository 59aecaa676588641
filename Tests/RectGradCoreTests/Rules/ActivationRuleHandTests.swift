import Testing
import RectGradCore
import _RectGradTestSupport

/// Every activation rule on one hand-computed example, run through the tape
/// (`z → activation → backward(seed: R)`).
///
/// The shared example (one example, five units):
/// ```
/// z          = [-1,  0, 0.5,   2,  7]
/// R          = [ 3, -2,   4,  -5,  1]
/// a (ReLU)   = [ 0,  0, 0.5,   2,  7]
/// a (ReLU6)  = [ 0,  0, 0.5,   2,  6]
/// a·R (ReLU) = [ 0,  0,   2, -10,  7]   sorted descending: [7, 2, 0, 0, -10]
/// ```
@Suite("Activation rules: hand-computed cases")
struct ActivationRuleHandTests {
    let z: Tensor
    let r: Tensor

    init() throws {
        z = try tensor([1, 5], [-1, 0, 0.5, 2, 7])
        r = try tensor([1, 5], [3, -2, 4, -5, 1])
    }

    @Test("gradient: R·1[z > 0] for ReLU, R·1[0 < z < 6] for ReLU6")
    func gradient() throws {
        // ReLU passes z = 0.5, 2, 7; ReLU6 additionally blocks z = 7 ≥ 6.
        expectEqual(try activationGradient(z: z, upstream: r, rules: .gradient), try tensor([1, 5], [0, 0, 4, -5, 1]))
        expectEqual(try activationGradient(z: z, upstream: r, kind: .relu6, rules: .gradient), try tensor([1, 5], [0, 0, 4, -5, 0]))
    }

    @Test("guided backprop: max(R, 0)·1[z > 0] (same for ReLU6)")
    func guided() throws {
        // z > 0 at units 2, 3, 4; R > 0 there at units 2 and 4.
        let expected = try tensor([1, 5], [0, 0, 4, 0, 1])
        expectEqual(try activationGradient(z: z, upstream: r, rule: GuidedBackpropRule()), expected)
        expectEqual(try activationGradient(z: z, upstream: r, kind: .relu6, rule: GuidedBackpropRule()), expected)
    }

    @Test("DeconvNet: max(R, 0), ignoring z")
    func deconvNet() throws {
        // Positive R at units 0, 2, 4 — unit 0 passes although z < 0.
        let expected = try tensor([1, 5], [3, 0, 4, 0, 1])
        expectEqual(try activationGradient(z: z, upstream: r, rule: DeconvNetRule()), expected)
        expectEqual(try activationGradient(z: z, upstream: r, kind: .relu6, rule: DeconvNetRule()), expected)
    }

    @Test("RectGrad-const: R·1[a·R > τ] with a strict >")
    func rectGradConstant() throws {
        // a·R = [0, 0, 2, -10, 7].
        // τ = 0 → units 2, 4 (equals guided backprop here).
        expectEqual(try activationGradient(z: z, upstream: r, rule: RectGradConstantRule(tau: 0)), try tensor([1, 5], [0, 0, 4, 0, 1]))
        // τ = 2 → only 7 > 2 (2 > 2 is false).
        expectEqual(try activationGradient(z: z, upstream: r, rule: RectGradConstantRule(tau: 2)), try tensor([1, 5], [0, 0, 0, 0, 1]))
        // τ = −1 → 0, 0, 2, 7 pass: inactive units pass when τ < 0.
        expectEqual(try activationGradient(z: z, upstream: r, rule: RectGradConstantRule(tau: -1)), try tensor([1, 5], [3, -2, 4, 0, 1]))
        // τ = −10 → −10 > −10 is false: the same as τ = −1.
        expectEqual(try activationGradient(z: z, upstream: r, rule: RectGradConstantRule(tau: -10)), try tensor([1, 5], [3, -2, 4, 0, 1]))
        // ReLU6 scores with a = 6 at z = 7: a·R = 6, which τ = 6.5 blocks; ReLU's 7 passes.
        expectEqual(try activationGradient(z: z, upstream: r, kind: .relu6, rule: RectGradConstantRule(tau: 6.5)), Tensor.zeros([1, 5]))
        expectEqual(try activationGradient(z: z, upstream: r, rule: RectGradConstantRule(tau: 6.5)), try tensor([1, 5], [0, 0, 0, 0, 1]))
    }

    @Test("RectGrad-const with absolute importance: R·1[|a·R| > τ]")
    func rectGradConstantAbsolute() throws {
        // |a·R| = [0, 0, 2, 10, 7]; τ = 5 → units 3, 4; τ = 0 → units 2, 3, 4.
        expectEqual(try activationGradient(z: z, upstream: r, rule: RectGradConstantRule(tau: 5, importance: .absolute)), try tensor([1, 5], [0, 0, 0, -5, 1]))
        expectEqual(try activationGradient(z: z, upstream: r, rule: RectGradConstantRule(tau: 0, importance: .absolute)), try tensor([1, 5], [0, 0, 4, -5, 1]))
    }

    /// `(q, expected)` for the published nearest rule on the shared example (n = 5, d = [7, 2, 0, 0, −10]):
    /// `idx = round_half_even(4·(1 − q/100))` in float32.
    static let nearestCases: [(Double, [Float])] = [
        (0, [3, -2, 4, 0, 1]),       // idx 4 → t = −10: everything above the minimum passes
        (50, [0, 0, 4, 0, 1]),       // idx 2 → t = 0
        (62.5, [0, 0, 4, 0, 1]),     // 4·0.375 = 1.5 → half-even → 2 → t = 0
        (70, [0, 0, 0, 0, 1]),       // 4·f32(0.3) = 1.2000000 → 1 → t = 2
        (75, [0, 0, 0, 0, 1]),       // idx 1 → t = 2
        (87.5, [0, 0, 0, 0, 0]),     // 4·0.125 = 0.5 → half-even → 0 → t = 7, nothing is > 7
        (100, [0, 0, 0, 0, 0]),      // idx 0 → t = 7
    ]

    @Test("RectGrad(q), published float32 nearest percentile", arguments: nearestCases)
    func rectGradNearest(_ q: Double, _ expected: [Float]) throws {
        let rule = try RectGradRule(percentile: q)
        expectEqual(try activationGradient(z: z, upstream: r, rule: rule), try tensor([1, 5], expected), "q = \(q)")
    }

    @Test("RectGrad(q) thresholds are per example")
    func rectGradPerExample() throws {
        // Example 0 is the shared one: q = 50 → t = 0 → [0, 0, 4, 0, 1].
        // Example 1: z = [1, 2, 3, 4, −1], R = 1 → a·R = [1, 2, 3, 4, 0], d = [4, 3, 2, 1, 0], idx 2 → t = 2 → units 2, 3.
        // A threshold pooled over both examples would be d10[round_half_even(9·0.5) = 4] = 2 and block unit 2 of example 0.
        let z2 = try tensor([2, 5], [-1, 0, 0.5, 2, 7, 1, 2, 3, 4, -1])
        let r2 = try tensor([2, 5], [3, -2, 4, -5, 1, 1, 1, 1, 1, 1])
        let rule = try RectGradRule(percentile: 50)
        expectEqual(try activationGradient(z: z2, upstream: r2, rule: rule), try tensor([2, 5], [0, 0, 4, 0, 1, 0, 0, 1, 1, 0]))
        let input = ActivationBackwardInput(preActivation: z2, output: ActivationKind.relu.forward(z2), upstream: r2,
                                            site: ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu))
        #expect(try rule.thresholds(input) == [0, 2])
    }

    @Test("RectGrad(q) with linear interpolation (NumPy's default)")
    func rectGradLinear() throws {
        // Ascending a·R = [−10, 0, 0, 2, 7].
        // q = 70: position 0.7·4 = 2.8 → 0 + (2 − 0)·0.8 = 1.6 → units with 2 and 7 pass (nearest gives t = 2).
        let q70 = try RectGradRule(percentile: 70, interpolation: .linear)
        expectEqual(try activationGradient(z: z, upstream: r, rule: q70), try tensor([1, 5], [0, 0, 4, 0, 1]))
        let input = ActivationBackwardInput(preActivation: z, output: ActivationKind.relu.forward(z), upstream: r,
                                            site: ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu))
        let t70 = try #require(try q70.thresholds(input).first)
        #expect(abs(t70 - 1.6) < 1e-6)
        // q = 10: position 0.4 → −10 + 10·0.4 = −6 → everything but −10 passes.
        let q10 = try RectGradRule(percentile: 10, interpolation: .linear)
        expectEqual(try activationGradient(z: z, upstream: r, rule: q10), try tensor([1, 5], [3, -2, 4, 0, 1]))
        #expect(try #require(try q10.thresholds(input).first) == -6)
    }

    @Test("RectGrad(q) with absolute importance")
    func rectGradAbsolute() throws {
        // |a·R| = [0, 0, 2, 10, 7], d = [10, 7, 2, 0, 0]; q = 50 → idx 2 → t = 2 → units 3 and 4.
        let rule = try RectGradRule(percentile: 50, importance: .absolute)
        expectEqual(try activationGradient(z: z, upstream: r, rule: rule), try tensor([1, 5], [0, 0, 0, -5, 1]))
    }

    @Test("epsilon-LRP: R·a/(z + ε·s), s = sign with s(0) = +1")
    func epsilonLRP() throws {
        // ε = 0.5, ReLU: z = −1 → a = 0 → 0; z = 0 → 0/0.5 = 0; z = 0.5 → 4·0.5/1 = 2;
        // z = 2 → −5·2/2.5 = −4; z = 7 → 1·7/7.5 = 14/15.
        let rule = try EpsilonLRPRule(epsilon: 0.5)
        expectClose(try activationGradient(z: z, upstream: r, rule: rule), try tensor([1, 5], [0, 0, 2, -4, 14.0 / 15.0]), absolute: 1e-6)
        // ReLU6 at z = 7: a = 6 → 6/7.5 = 0.8.
        expectClose(try activationGradient(z: z, upstream: r, kind: .relu6, rule: rule), try tensor([1, 5], [0, 0, 2, -4, 0.8]), absolute: 1e-6)
        // ε = 0 at z = 0: the 0/0 unit gives 0, not NaN.
        let zero = try activationGradient(z: z, upstream: r, rule: try EpsilonLRPRule(epsilon: 0))
        expectEqual(zero, try tensor([1, 5], [0, 0, 4, -5, 1]))
        // The sign of a negative z (with a non-zero output, given directly): 3·1/(−2 − 0.5) = −1.2.
        let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
        let negative = try rule.backward(ActivationBackwardInput(preActivation: try tensor([1, 1], [-2]), output: try tensor([1, 1], [1]), upstream: try tensor([1, 1], [3]), site: site))
        expectClose(negative, try tensor([1, 1], [-1.2]), absolute: 1e-6)
        // s(0) = +1 (again with an output given directly, as a ReLU outputs 0 at z = 0): 3·1/(0 + 0.5) = 6.
        let atZero = try rule.backward(ActivationBackwardInput(preActivation: try tensor([1, 1], [0]), output: try tensor([1, 1], [1]), upstream: try tensor([1, 1], [3]), site: site))
        expectClose(atZero, try tensor([1, 1], [6]), absolute: 1e-6)
    }

    // DeepLIFT: R·(a − a0)/(z − z0) where |z − z0| > 1e-5, else R·1[(z + z0)/2 > 0].
    // z  = [[−1, 0.5, 3], [1e-6, 2, −3]]
    // R  = [[ 2,   4, 8], [  16, 32, 64]]
    static let deepLIFTZ: [Float] = [-1, 0.5, 3, 1e-6, 2, -3]
    static let deepLIFTR: [Float] = [2, 4, 8, 16, 32, 64]

    @Test("DeepLIFT rescale with a full-batch reference (both branches)")
    func deepLIFTFullBatch() throws {
        // z0 = [[−2, 1, −1], [−3e-6, 2.000002, −3]], a0 = relu(z0) = [[0, 1, 0], [0, 2.000002, 0]].
        // (0,0): Δz = 1,    Δa = 0          → 0
        // (0,1): Δz = −0.5, Δa = −0.5       → 4·1 = 4
        // (0,2): Δz = 4,    Δa = 3          → 8·0.75 = 6
        // (1,0): Δz = 4e-6 ≤ 1e-5 → midpoint −1e-6 < 0 → 0 (the plain gradient would pass: z > 0)
        // (1,1): Δz ≈ −1.9e-6 → midpoint ≈ 2 > 0 → 32
        // (1,2): Δz = 0    → midpoint −3 < 0 → 0
        let reference = try referencePass([2, 3], [-2, 1, -1, -3e-6, 2.000002, -3])
        let gradient = try activationGradient(z: try tensor([2, 3], Self.deepLIFTZ), upstream: try tensor([2, 3], Self.deepLIFTR),
                                              rule: DeepLIFTRescaleRule().binding(reference))
        expectClose(gradient, try tensor([2, 3], [0, 4, 6, 0, 32, 0]), absolute: 1e-6)
    }

    @Test("DeepLIFT rescale with a batch-1 reference broadcast to every example")
    func deepLIFTBroadcast() throws {
        // z0 = [[−1, 1, 1]], a0 = [[0, 1, 1]] for both examples.
        // (0,0): Δz = 0 → midpoint −1 → 0
        // (0,1): (0.5 − 1)/(0.5 − 1) = 1 → 4
        // (0,2): (3 − 1)/(3 − 1) = 1 → 8
        // (1,0): (1e-6 − 0)/(1e-6 + 1) → 16e-6/1.000001
        // (1,1): (2 − 1)/(2 − 1) = 1 → 32
        // (1,2): (0 − 1)/(−3 − 1) = 0.25 → 16
        let reference = try referencePass([1, 3], [-1, 1, 1])
        let gradient = try activationGradient(z: try tensor([2, 3], Self.deepLIFTZ), upstream: try tensor([2, 3], Self.deepLIFTR),
                                              rule: DeepLIFTRescaleRule().binding(reference))
        expectClose(gradient, try tensor([2, 3], [0, 4, 8, Float(16e-6 / 1.000001), 32, 16]), absolute: 1e-7)
    }

    @Test("DeepLIFT rescale at ReLU6 uses the ReLU6 outputs")
    func deepLIFTReLU6() throws {
        // z = [7, 3], z0 = [1, 8] → a = [6, 3], a0 = [1, 6]:
        // (6 − 1)/(7 − 1) = 5/6 → 6·5/6 = 5;  (3 − 6)/(3 − 8) = 3/5 → 10·0.6 = 6.
        let referenceTape = Tape()
        _ = try referenceTape.relu6(referenceTape.input(try tensor([1, 2], [1, 8])))
        let rule = DeepLIFTRescaleRule().binding(ReferenceActivations(recordedOn: referenceTape))
        let gradient = try activationGradient(z: try tensor([1, 2], [7, 3]), upstream: try tensor([1, 2], [6, 10]), kind: .relu6, rule: rule)
        expectClose(gradient, try tensor([1, 2], [5, 6]), absolute: 1e-5)
    }

    /// The activations of a real forward pass of `z0` through one ReLU.
    private func referencePass(_ shape: [Int], _ z0: [Float]) throws -> ReferenceActivations {
        let tape = Tape()
        _ = try tape.relu(tape.input(try tensor(shape, z0)))
        let reference = ReferenceActivations(recordedOn: tape)
        #expect(reference.values.keys.sorted() == [0])
        return reference
    }
}
