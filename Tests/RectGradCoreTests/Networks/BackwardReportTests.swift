import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("Backward report and reuse of one recorded forward pass")
struct BackwardReportTests {
    @Test("every activation of the network is counted, and masked convolutions and PRR pools too")
    func countsEveryActivation() throws {
        let net = TinyConvNet(seed: 1)
        let tape = Tape()
        let recorded = try net.record(on: tape, input: Tensor.randomNormal(TinyConvNet.inputShape(batch: 2), seed: 2))
        let rectGrad = try RectGradRule(percentile: 80)
        let cases: [(BackwardRules, masked: Int, prr: Int)] = [
            (.gradient, 0, 0),
            (BackwardRules(activation: rectGrad, masksConvolutionBorder: true), 2, 0),
            (BackwardRules(activation: rectGrad, masksConvolutionBorder: true, maxPool: .proportional), 2, 1),
            (BackwardRules(activation: GuidedBackpropRule(), maxPool: .proportional), 0, 1),
        ]
        for (rules, masked, prr) in cases {
            let report = try tape.backward(from: recorded.logits, withRespectTo: [recorded.input], rules: rules).report
            #expect(report.activationNodesRecorded == 3)
            #expect(report.activationNodesHandled == 3)
            #expect(report.activationNodesHandled == tape.activationSites.count)
            #expect(report.activationNodesByRule == [rules.activation.description: 3])
            #expect(report.maskedConvolutions == masked, "\(rules)")
            #expect(report.proportionalMaxPools == prr, "\(rules)")
            // Every recorded non-leaf node lies between the input and the logits here.
            #expect(report.nodesVisited == 9)
        }
        let mixed = try tape.backward(from: recorded.logits, withRespectTo: [recorded.input],
                                      rules: BackwardRules(activation: rectGrad).overriding(.last, with: GuidedBackpropRule())).report
        #expect(mixed.activationNodesByRule == ["rectgrad(q=80)": 2, "guided-backprop": 1])
        #expect(mixed.description.contains("activations 3/3"))
    }

    @Test("a ReLU after a residual addition and a ReLU module called twice are each counted")
    func residualAndReusedActivation() throws {
        // h = relu(conv(x)); y = relu(conv(h) + x): the name 'block.relu' is recorded twice.
        let tape = Tape()
        let x = tape.input(Tensor.randomNormal([1, 2, 4, 4], seed: 3))
        let w1 = tape.parameter(Tensor.randomNormal([2, 2, 3, 3], seed: 4))
        let w2 = tape.parameter(Tensor.randomNormal([2, 2, 3, 3], seed: 5))
        let h = try tape.relu(tape.conv2d(x, weight: w1, geometry: .init(padding: 1)), name: "block.relu")
        let sum = try tape.add(tape.conv2d(h, weight: w2, geometry: .init(padding: 1)), x)
        let y = try tape.relu(sum, name: "block.relu")
        let log = RecordingRule(tag: "log")
        let report = try tape.backward(from: y, withRespectTo: [x], rules: BackwardRules(activation: log, masksConvolutionBorder: true)).report
        #expect(report.activationNodesRecorded == 2)
        #expect(report.activationNodesHandled == 2)
        #expect(report.maskedConvolutions == 2)
        #expect(log.log.ordinals == [0, 1])
        #expect(tape.activationSites.map(\.name) == ["block.relu", "block.relu"])
    }

    @Test("activations the requested variables do not depend on are not visited")
    func onlyNeededNodesAreVisited() throws {
        let net = TinyConvNet(seed: 1)
        let tape = Tape()
        let recorded = try net.record(on: tape, input: Tensor.randomNormal(TinyConvNet.inputShape(batch: 1), seed: 2))
        // The gradient at the last activation's output needs only the last dense layer.
        let report = try tape.backward(from: recorded.logits, withRespectTo: [recorded.activations[2]]).report
        #expect(report.activationNodesRecorded == 3)
        #expect(report.activationNodesHandled == 0)
        #expect(report.nodesVisited == 1)
    }

    @Test("one recorded forward run backward under two rules equals two separate forwards", arguments: [1, 3])
    func oneForwardManyBackwards(batch: Int) throws {
        let net = TinyConvNet(seed: 4)
        let x = Tensor.randomNormal(TinyConvNet.inputShape(batch: batch), seed: 5)
        let rulesA = BackwardRules(activation: try RectGradRule(percentile: 70), masksConvolutionBorder: true, maxPool: .proportional)
        let rulesB = BackwardRules(activation: DeconvNetRule())

        let shared = Tape()
        let recorded = try net.record(on: shared, input: x)
        let seed = TinyConvNet.oneHotSeed(logits: try shared.value(recorded.logits))
        let wanted = [recorded.input] + recorded.parameters
        let firstA = try shared.backward(from: recorded.logits, seed: seed, withRespectTo: wanted, rules: rulesA)
        let firstB = try shared.backward(from: recorded.logits, seed: seed, withRespectTo: wanted, rules: rulesB)
        let againA = try shared.backward(from: recorded.logits, seed: seed, withRespectTo: wanted, rules: rulesA)

        for (rules, sharedResult) in [(rulesA, firstA), (rulesB, firstB)] {
            let fresh = Tape()
            let freshRecorded = try net.record(on: fresh, input: x)
            let freshWanted = [freshRecorded.input] + freshRecorded.parameters
            let freshResult = try fresh.backward(from: freshRecorded.logits, seed: seed, withRespectTo: freshWanted, rules: rules)
            for (s, f) in zip(wanted, freshWanted) {
                expectEqual(try #require(sharedResult[s]), try #require(freshResult[f]), "\(rules) variable \(s)")
            }
            #expect(sharedResult.report == freshResult.report)
        }
        for v in wanted { expectEqual(try #require(againA[v]), try #require(firstA[v])) }
        #expect(try shared.value(recorded.input) == x)
        let mapA = try #require(firstA[recorded.input]), mapB = try #require(firstB[recorded.input])
        #expect(try mapA.relativeL2Distance(to: mapB) > 1e-2, "the two rules must give different maps")
    }

    @Test("requested variables the output does not depend on get zero gradients; the output itself gets the seed")
    func unrelatedAndOutputVariables() throws {
        let tape = Tape()
        let x = tape.input(Tensor.randomNormal([2, 3], seed: 6))
        let unrelated = tape.parameter(Tensor.randomNormal([4], seed: 7), name: "unused")
        let y = try tape.relu(x)
        let later = try tape.relu(y)
        let seed = Tensor.randomNormal([2, 3], seed: 8)
        let result = try tape.backward(from: y, seed: seed, withRespectTo: [unrelated, y, later])
        expectEqual(try #require(result[unrelated]), Tensor.zeros([4]))
        expectEqual(try #require(result[y]), seed)
        expectEqual(try #require(result[later]), Tensor.zeros([2, 3]))
        // The default seed is ones.
        let ones = try tape.backward(from: y, withRespectTo: [y])
        expectEqual(try #require(ones[y]), Tensor(repeating: 1, shape: [2, 3]))
    }
}
