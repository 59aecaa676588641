import Foundation
import Testing
import RectGradCore
import RectGradLayers
import RectGradZoo

@Suite("inception-v4 (timm's layout and names)")
struct InceptionV4Tests {
    @Test("parameter names and shapes are timm's, in timm's order (committed list from timm)")
    func namesAndShapesAreTimms() throws {
        let data = try Data(contentsOf: try fixture("inception-v4-timm-names.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let tensors = try #require(document["tensors"] as? [[Any]])
        let expected = try tensors.map { entry -> String in
            let name = try #require(entry.first as? String), shape = try #require(entry.last as? [Int])
            return "\(name) \(shape)"
        }
        let network = try Zoo.entry(named: "inception-v4").network(initialization: .zeros)
        #expect(network.parameters.map { "\($0.name) \($0.value.shape)" } == expected)
        let learnable = try #require(document["learnable_parameters"] as? Int)
        #expect(try Zoo.entry(named: "inception-v4").parameterCount == learnable)
        #expect(learnableCount(network) == learnable)
    }

    @Test("a forward and backward pass at the smallest input: shapes, activation sites, report")
    func forwardAndBackward() throws {
        let entry = try Zoo.entry(named: "inception-v4")
        #expect(entry.inputShape == [3, 299, 299])
        #expect(entry.preprocessing == .imageNetEvaluation(inputSize: 299, scaling: .minusOneToOne))
        let network = try entry.network(seed: 1)
        let tape = Tape()
        let x = tape.input(Tensor.randomUniform([1, 3, 75, 75], low: -1, high: 1, seed: 2))
        let logits = try network.logits(x, on: tape)
        #expect(try tape.shape(logits) == [1, 1000])
        // One ReLU per ConvNormAct: 149 convolutions.
        #expect(tape.activationCount == 149)
        #expect(tape.activationSites.first?.name == "features.0.bn.act")
        #expect(tape.activationSites.contains { $0.name == "features.21.branch2_3b.bn.act" })
        var seed = Tensor.zeros([1, 1000])
        seed[flat: 7] = 1
        let result = try tape.backward(from: logits, seed: seed, withRespectTo: [x], rules: BackwardRules(activation: GuidedBackpropRule()))
        #expect(result.report.activationSitesByKind == ["relu": ["guided-backprop": 149]])
        #expect(try #require(result[x]).shape == [1, 3, 75, 75])
    }
}
