import Testing
import RectGradCore
import _RectGradTestSupport

/// A full backward configuration: the activation rule, the border rule and the max-pool backward.
struct NetworkRuleCase: Sendable, CustomTestStringConvertible {
    var rule: NaiveRule
    var masksBorder = false
    var proportional = false

    var testDescription: String { "\(rule)\(masksBorder ? " + border rule" : "")\(proportional ? " + PRR" : "")" }

    func rules(reference: ReferenceActivations? = nil) throws -> BackwardRules {
        BackwardRules(activation: try rule.libraryRule(reference: reference), masksConvolutionBorder: masksBorder, maxPool: proportional ? .proportional : .firstMaximum)
    }

    static let all: [NetworkRuleCase] = [
        .init(rule: .gradient),
        .init(rule: .guided),
        .init(rule: .deconvnet),
        .init(rule: .deconvnet, proportional: true),
        .init(rule: .rectGrad(percentile: 98, importance: .signed, interpolation: .nearestFloat32), masksBorder: true),
        .init(rule: .rectGrad(percentile: 50, importance: .signed, interpolation: .nearestFloat32), masksBorder: true),
        .init(rule: .rectGrad(percentile: 70, importance: .signed, interpolation: .nearestFloat32), masksBorder: true, proportional: true),
        .init(rule: .rectGrad(percentile: 0, importance: .signed, interpolation: .nearestFloat32)),
        .init(rule: .rectGrad(percentile: 60, importance: .absolute, interpolation: .nearestFloat32), masksBorder: true),
        .init(rule: .rectGrad(percentile: 80, importance: .signed, interpolation: .linear), masksBorder: true),
        .init(rule: .rectGradConstant(tau: 0, importance: .signed), masksBorder: true),
        .init(rule: .rectGradConstant(tau: 0.01, importance: .signed), masksBorder: true, proportional: true),
        .init(rule: .epsilonLRP(epsilon: 1e-4)),
        .init(rule: .deepLIFT),
    ]
}

@Suite("Whole networks under each rule against a hand-written backward")
struct NetworkReferenceTests {
    /// (network seed, activation kinds, input standard deviation); ReLU6 nets get larger inputs so some units saturate.
    static let networks: [(UInt64, [ActivationKind], Float)] = [
        (1, [.relu, .relu, .relu], 1),
        (2, [.relu, .relu, .relu], 1),
        (3, [.relu6, .relu, .relu6], 3),
    ]

    @Test("conv-relu-pool-conv-relu-dense-relu-dense backward equals the naive backward", arguments: NetworkRuleCase.all, [1, 3])
    func networkMatchesNaive(_ c: NetworkRuleCase, batch: Int) throws {
        for (netSeed, kinds, deviation) in Self.networks {
            let net = TinyConvNet(seed: netSeed, activationKinds: kinds)
            let naive = NaiveNetwork(net: net)
            let x = Tensor.randomNormal(TinyConvNet.inputShape(batch: batch), standardDeviation: deviation, seed: netSeed &+ 50)

            let tape = Tape()
            let recorded = try net.record(on: tape, input: x)
            let forward = naive.forward(x)
            let logits = try tape.value(recorded.logits)
            expectClose(logits, forward.logits, absolute: 1e-4, "logits")

            // DeepLIFT's reference: a real forward pass of a zero input (batch 1, broadcast).
            var reference: ReferenceActivations?
            var naiveReference: NaiveNetwork.Forward?
            if case .deepLIFT = c.rule {
                let zero = Tensor.zeros(TinyConvNet.inputShape(batch: 1))
                let referenceTape = Tape()
                _ = try net.record(on: referenceTape, input: zero)
                reference = ReferenceActivations(recordedOn: referenceTape)
                naiveReference = naive.forward(zero)
            }

            let seeds = [("one-hot target", TinyConvNet.oneHotSeed(logits: logits)),
                         ("random", Tensor.randomNormal(logits.shape, seed: netSeed &+ 70))]
            for (seedLabel, seed) in seeds {
                let result = try tape.backward(from: recorded.logits, seed: seed, withRespectTo: [recorded.input], rules: c.rules(reference: reference))
                let actual = try #require(result[recorded.input])
                let expected = naive.inputGradient(forward, seed: seed, rule: c.rule, masksBorder: c.masksBorder, proportional: c.proportional, reference: naiveReference)
                let scale = max(expected.scalars.map(abs).max() ?? 0, 1e-3)
                expectClose(actual, expected, absolute: 1e-5 * scale, relative: 1e-3, "net \(netSeed) \(kinds), batch \(batch), \(seedLabel) seed")
                #expect(result.report.activationNodesHandled == 3)
                #expect(result.report.maskedConvolutions == (c.masksBorder ? 2 : 0))
                #expect(result.report.proportionalMaxPools == (c.proportional ? 1 : 0))
            }
        }
    }

    // (rectgrad(50) is left out: on ReLU nets its threshold is usually 0, which makes it guided backprop.)
    @Test("the comparison is not vacuous: the rules give non-zero, mutually different maps")
    func rulesDiffer() throws {
        let net = TinyConvNet(seed: 1)
        let naive = NaiveNetwork(net: net)
        let x = Tensor.randomNormal(TinyConvNet.inputShape(batch: 2), seed: 51)
        let forward = naive.forward(x)
        let seed = TinyConvNet.oneHotSeed(logits: forward.logits)
        let rules: [NaiveRule] = [.gradient, .guided, .deconvnet, .rectGrad(percentile: 80, importance: .signed, interpolation: .nearestFloat32)]
        let maps = rules.map { naive.inputGradient(forward, seed: seed, rule: $0, masksBorder: false, proportional: false) }
        for (rule, map) in zip(rules, maps) { #expect(map.l2Norm() > 1e-3, "\(rule) gives a zero map") }
        for i in 0..<maps.count {
            for j in (i + 1)..<maps.count { #expect(try maps[i].relativeL2Distance(to: maps[j]) > 1e-2, "\(rules[i]) vs \(rules[j])") }
        }
    }
}
