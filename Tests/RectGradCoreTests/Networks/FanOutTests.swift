import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("Rules see the sum of all consumers' gradients")
struct FanOutTests {
    @Test("an activation feeding two layers gets one rule application on the summed upstream", arguments: [
        NaiveRule.rectGrad(percentile: 50, importance: .signed, interpolation: .nearestFloat32),
        NaiveRule.rectGrad(percentile: 80, importance: .absolute, interpolation: .linear),
        NaiveRule.guided,
        NaiveRule.rectGradConstant(tau: 0.05, importance: .signed),
    ])
    func fanOutSumsBeforeTheRule(_ rule: NaiveRule) throws {
        // z → relu → a; y1 = dense(a, W1), y2 = dense(a, W2); y = y1 + y2 seeded with s.
        // R at a = s·W1 + s·W2, and the rule is applied once to that sum (a per-consumer rule,
        // with its own percentile per branch, would give another result).
        let z = Tensor.randomNormal([3, 12], seed: 1)
        let w1 = Tensor.randomNormal([4, 12], seed: 2)
        let w2 = Tensor.randomNormal([4, 12], seed: 3)
        let s = Tensor.randomNormal([3, 4], seed: 4)
        let tape = Tape()
        let x = tape.input(z)
        let a = try tape.relu(x, name: "shared")
        let y = try tape.add(tape.dense(a, weight: tape.parameter(w1)), tape.dense(a, weight: tape.parameter(w2)))
        let result = try tape.backward(from: y, seed: s, withRespectTo: [x], rules: BackwardRules(activation: rule.libraryRule()))
        #expect(result.report.activationNodesHandled == 1)

        let upstream = try NaiveKernels.denseBackwardInput(s, w1).adding(NaiveKernels.denseBackwardInput(s, w2))
        let expected = rule.apply(kind: .relu, z: z, a: ActivationKind.relu.forward(z), r: upstream)
        expectClose(try #require(result[x]), expected, absolute: 1e-5)
        #expect(expected.l2Norm() > 0)
    }
}
