import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("Exact identities between rules")
struct IdentityTests {
    /// Gradients at the input and at every activation's input and output.
    func gradients(_ tape: Tape, _ recorded: TinyConvNet.Recorded, seed: Tensor, rules: BackwardRules) throws -> [Tensor] {
        let variables = [recorded.input] + recorded.preActivations + recorded.activations + [recorded.pooled]
        let result = try tape.backward(from: recorded.logits, seed: seed, withRespectTo: variables, rules: rules)
        return try variables.map { try #require(result[$0]) }
    }

    @Test("RectGrad-const(τ = 0) equals guided backprop at every activation (border rule off for both)",
          arguments: [[ActivationKind.relu, .relu, .relu], [.relu6, .relu, .relu6]], [1, 3])
    func rectGradConstantZeroIsGuided(_ kinds: [ActivationKind], batch: Int) throws {
        for netSeed in UInt64(1)...3 {
            let net = TinyConvNet(seed: netSeed, activationKinds: kinds)
            let tape = Tape()
            let recorded = try net.record(on: tape, input: Tensor.randomNormal(TinyConvNet.inputShape(batch: batch), standardDeviation: 3, seed: netSeed))
            for seed in [TinyConvNet.oneHotSeed(logits: try tape.value(recorded.logits)), Tensor.randomNormal([batch, 5], seed: netSeed &+ 9)] {
                let constant = try gradients(tape, recorded, seed: seed, rules: BackwardRules(activation: RectGradConstantRule(tau: 0)))
                let guided = try gradients(tape, recorded, seed: seed, rules: BackwardRules(activation: GuidedBackpropRule()))
                for (index, (c, g)) in zip(constant, guided).enumerated() { expectEqual(c, g, "variable \(index), net \(netSeed)") }
                #expect(constant[0].l2Norm() > 0)
            }
        }
    }

    @Test("the two differ once the border rule is on for RectGrad only")
    func borderRuleSeparatesThem() throws {
        let net = TinyConvNet(seed: 1)
        let tape = Tape()
        let recorded = try net.record(on: tape, input: Tensor.randomNormal(TinyConvNet.inputShape(batch: 1), seed: 4))
        let seed = TinyConvNet.oneHotSeed(logits: try tape.value(recorded.logits))
        let constant = try gradients(tape, recorded, seed: seed, rules: BackwardRules(activation: RectGradConstantRule(tau: 0), masksConvolutionBorder: true))
        let guided = try gradients(tape, recorded, seed: seed, rules: BackwardRules(activation: GuidedBackpropRule()))
        #expect(constant[0] != guided[0])
    }

    @Test("RectGrad(q = 0) keeps exactly the units whose importance is above the layer minimum", arguments: [[3, 4, 3, 3], [3, 40]])
    func rectGradZeroKeepsAboveMinimum(_ shape: [Int]) throws {
        for seed in UInt64(1)...3 {
            let z = Tensor.randomNormal(shape, seed: seed)
            let r = Tensor.randomNormal(shape, seed: seed &+ 100)
            let a = ActivationKind.relu.forward(z)
            let gradient = try activationGradient(z: z, upstream: r, rule: RectGradRule(percentile: 0))
            let units = z.count / shape[0]
            var inactivePassed = 0
            for n in 0..<shape[0] {
                let range = (n * units)..<((n + 1) * units)
                let minimum = range.map { a.scalars[$0] * r.scalars[$0] }.min() ?? 0
                #expect(minimum < 0)
                for i in range {
                    let kept = a.scalars[i] * r.scalars[i] > minimum
                    #expect(gradient.scalars[i] == (kept ? r.scalars[i] : 0))
                    if z.scalars[i] < 0 && kept && r.scalars[i] != 0 { inactivePassed += 1 }
                }
            }
            // With a negative minimum, inactive units (importance 0) pass too.
            #expect(inactivePassed > 0)
        }
    }

    @Test("epsilon-LRP with ε = 0 on a ReLU net equals the gradient, so x·grad equals gradient × input", arguments: [1, 3])
    func epsilonZeroIsGradient(batch: Int) throws {
        for netSeed in UInt64(1)...3 {
            let net = TinyConvNet(seed: netSeed)
            let tape = Tape()
            let x = Tensor.randomNormal(TinyConvNet.inputShape(batch: batch), seed: netSeed &+ 20)
            let recorded = try net.record(on: tape, input: x)
            let seed = TinyConvNet.oneHotSeed(logits: try tape.value(recorded.logits))
            let lrp = try gradients(tape, recorded, seed: seed, rules: BackwardRules(activation: EpsilonLRPRule(epsilon: 0)))
            let plain = try gradients(tape, recorded, seed: seed, rules: .gradient)
            for (index, (l, g)) in zip(lrp, plain).enumerated() { expectEqual(l, g, "variable \(index), net \(netSeed)") }
            expectEqual(try x.multiplying(lrp[0]), try x.multiplying(plain[0]), "x · gradient")
        }
    }

    @Test("epsilon-LRP with a small ε stays close to gradient × input")
    func smallEpsilonIsCloseToGradient() throws {
        let net = TinyConvNet(seed: 2)
        let tape = Tape()
        let recorded = try net.record(on: tape, input: Tensor.randomNormal(TinyConvNet.inputShape(batch: 2), seed: 33))
        let seed = TinyConvNet.oneHotSeed(logits: try tape.value(recorded.logits))
        let lrp = try gradients(tape, recorded, seed: seed, rules: BackwardRules(activation: EpsilonLRPRule(epsilon: 1e-7)))
        let plain = try gradients(tape, recorded, seed: seed, rules: .gradient)
        #expect(try lrp[0].relativeL2Distance(to: plain[0]) < 1e-3)
    }

    @Test("DeepLIFT between two points where a unit is active passes R exactly (the rescale factor is 1)")
    func deepLIFTBothActiveIsIdentity() throws {
        let z = Tensor.randomUniform([3, 64], low: 0.5, high: 5, seed: 35)
        let z0 = Tensor.randomUniform([1, 64], low: 0.5, high: 5, seed: 36)
        let r = Tensor.randomNormal([3, 64], seed: 37)
        let referenceTape = Tape()
        _ = try referenceTape.relu(referenceTape.input(z0))
        let rule = DeepLIFTRescaleRule().binding(ReferenceActivations(recordedOn: referenceTape))
        expectEqual(try activationGradient(z: z, upstream: r, rule: rule), r)
    }

    @Test("DeepLIFT with the input itself as reference equals the gradient on a ReLU net")
    func deepLIFTAtItsReferenceIsGradient() throws {
        // Every |z − z0| = 0 ≤ 1e-5: the midpoint branch gives R·1[z > 0] everywhere.
        let net = TinyConvNet(seed: 3)
        let x = Tensor.randomNormal(TinyConvNet.inputShape(batch: 2), seed: 34)
        let tape = Tape()
        let recorded = try net.record(on: tape, input: x)
        let seed = TinyConvNet.oneHotSeed(logits: try tape.value(recorded.logits))
        let rule = DeepLIFTRescaleRule().binding(ReferenceActivations(recordedOn: tape))
        let deepLIFT = try gradients(tape, recorded, seed: seed, rules: BackwardRules(activation: rule))
        let plain = try gradients(tape, recorded, seed: seed, rules: .gradient)
        for (l, g) in zip(deepLIFT, plain) { expectEqual(l, g) }
    }
}
