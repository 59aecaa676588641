import Testing
import RectGradCore
import RectGradLayers
import RectGradAttribution

/// A rule of the user's own is a method like any other; DeepLIFT's reference travels with its rule.
@Suite struct CustomMethodTests {
    /// Guided backpropagation written by a user: `R` where `z > 0` and `R > 0`.
    struct MyGuidedRule: ActivationRule {
        func backward(_ input: ActivationBackwardInput) throws -> Tensor {
            try input.elementwise { z, _, r in z > 0 && r > 0 ? r : 0 }
        }
        var description: String { "my-guided" }
    }

    let network = TestNetworks.small(seed: 3)
    let x = TestNetworks.inputs(2, seed: 30)

    @Test func ownRuleIsAMethod() throws {
        let mine = AttributionMethod(name: "mine", rule: MyGuidedRule())
        let session = try AttributionSession(network: network, input: x)
        let result = try session.attribute(mine)
        #expect(result.methodName == "mine")
        #expect(result.map == (try session.attribute(.guidedBackprop)).map)
        let report = try #require(result.report)
        #expect(report.activationNodesByRule["my-guided"] == report.activationNodesRecorded)
        // Combinators apply to it as to the paper's methods.
        let smooth = try session.attribute(mine.smoothed(samples: 1, noiseLevel: 0))
        #expect(smooth.map == result.map)
    }

    @Test func deepLIFTOverrideIsBoundToItsReference() throws {
        let baseline = Baseline.constant(0.25)
        let rules = BackwardRules(activation: GuidedBackpropRule()).overriding(.ordinal(0), with: DeepLIFTRescaleRule(reference: baseline))
        #expect(rules.references == [baseline])
        let method = AttributionMethod(name: "guided-with-deeplift", rules: rules, estimator: .gradient(.none))
        let session = try AttributionSession(network: network, input: x)
        let result = try session.attribute(method)
        // One forward pass of the reference, and the override ran at its one activation.
        #expect(result.forwardPasses == 1)
        let report = try #require(result.report)
        #expect(report.activationNodesByRule["deeplift-rescale(reference constant 0.25)"] == 1)
        #expect(report.activationNodesHandled == report.activationNodesRecorded)
        // Against another reference, the map differs: the reference is the rule's.
        let other = AttributionMethod(name: "other", rules: BackwardRules(activation: GuidedBackpropRule()).overriding(.ordinal(0), with: DeepLIFTRescaleRule(reference: .constant(-1))), estimator: .gradient(.none))
        #expect(try session.attribute(other).map != result.map)
    }
}
