import Testing
import RectGradCore

/// Rules that read a reference pass name their reference; a rule set binds each distinct one once.
@Suite struct ReferenceBindingTests {
    @Test func bindingPassesEachReferenceOnceAndBindsEveryRule() throws {
        let zero = DeepLIFTRescaleRule()
        let constant = DeepLIFTRescaleRule(reference: .constant(2))
        let rules = BackwardRules(activation: zero)
            .overriding(.ordinal(1), with: constant)
            .overriding(.ordinal(2), with: GuidedBackpropRule())
            .overriding(.last, with: DeepLIFTRescaleRule())
        #expect(rules.references == [.zero, .constant(2)])

        var asked: [Baseline] = []
        let bound = rules.binding { (reference: Baseline) -> ReferenceActivations in
            asked.append(reference)
            let value: Float = reference == .zero ? 0 : 2
            return ReferenceActivations(values: [7: (Tensor(repeating: value, shape: [1, 1]), Tensor(repeating: value, shape: [1, 1]))])
        }
        #expect(asked == [.zero, .constant(2)])
        let rulesAfter = bound.allRules
        #expect(rulesAfter.count == 4)
        let deepLIFT = rulesAfter.compactMap { $0 as? DeepLIFTRescaleRule }
        #expect(deepLIFT.count == 3)
        for rule in deepLIFT {
            let z0 = try #require(rule.activations?.values[7]?.preActivation)
            #expect(z0.scalars == [rule.reference == .zero ? 0 : 2])
        }
        #expect(rulesAfter[2] is GuidedBackpropRule)
        // Without reference-bound rules, nothing is asked.
        var calls = 0
        _ = BackwardRules(activation: GradientRule()).binding { _ in calls += 1; return ReferenceActivations(values: [:]) }
        #expect(calls == 0)
    }

    @Test func unboundRuleThrowsMissingReference() throws {
        let z = try Tensor(shape: [1, 2], scalars: [1, -1])
        let a = try Tensor(shape: [1, 2], scalars: [1, 0])
        let input = ActivationBackwardInput(preActivation: z, output: a, upstream: z, site: ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu))
        #expect(throws: RuleError.self) { try DeepLIFTRescaleRule().backward(input) }
        let bound = DeepLIFTRescaleRule().binding(ReferenceActivations(values: [0: (Tensor.zeros([1, 2]), Tensor.zeros([1, 2]))]))
        #expect(try bound.backward(input).scalars == [1, 0])
    }
}
