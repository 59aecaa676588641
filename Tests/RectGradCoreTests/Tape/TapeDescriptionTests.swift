import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("Tape description and Graphviz export")
struct TapeDescriptionTests {
    /// Every kind of node on one tape.
    func everyOperation() throws -> Tape {
        let tape = Tape()
        let x = tape.input(Tensor.randomNormal([1, 2, 6, 6], seed: 1))
        let c = try tape.conv2d(x, weight: tape.parameter(Tensor.randomNormal([2, 2, 3, 3], seed: 2), name: "conv.weight"),
                                bias: tape.parameter(Tensor.zeros([2]), name: "conv.bias"), geometry: .init(padding: 1), name: "conv")
        let affine = try tape.channelAffine(c, scale: Tensor(repeating: 2, shape: [2]), shift: Tensor.zeros([2]), name: "bn")
        let r = try tape.relu(affine, name: "relu")
        let r6 = try tape.relu6(r, name: "relu6")
        let sum = try tape.add(r6, c, name: "residual")
        let m = try tape.maxPool2d(sum, geometry: .init(kernel: 2), name: "maxpool")
        let a = try tape.averagePool2d(m, geometry: .init(kernel: 3, stride: 1, padding: 1), name: "avgpool")
        let g = try tape.adaptiveAveragePool2d(a, outputSize: 2, name: "adaptive")
        let f = try tape.flatten(g, name: "flatten")
        let d = try tape.dense(f, weight: tape.parameter(Tensor.randomNormal([3, 8], seed: 3), name: "fc.weight"), name: "fc")
        _ = try tape.softmaxCrossEntropy(d, labels: [1], name: "loss")
        return tape
    }

    @Test("the description has a header and one line per node with its operation, inputs, shape and name")
    func description() throws {
        let tape = try everyOperation()
        let lines = tape.description.split(separator: "\n").map(String.init)
        #expect(lines.count == tape.nodeCount + 1)
        #expect(lines.first == "Tape: \(tape.nodeCount) nodes, 2 activations")
        let expectedPrefixes = [
            "%0 = input() → [1, 2, 6, 6] 'input'",
            "%1 = parameter() → [2, 2, 3, 3] 'conv.weight'",
            "%2 = parameter() → [2] 'conv.bias'",
            "%3 = conv2d(%0, %1, %2) stride 1, padding 1 → [1, 2, 6, 6] 'conv'",
            "%4 = channelAffine(%3) → [1, 2, 6, 6] 'bn'",
            "%5 = relu(%4) activation #0 → [1, 2, 6, 6] 'relu'",
            "%6 = relu6(%5) activation #1 → [1, 2, 6, 6] 'relu6'",
            "%7 = add(%6, %3) → [1, 2, 6, 6] 'residual'",
            "%8 = maxPool2d(%7) kernel 2, stride 2, padding 0 → [1, 2, 3, 3] 'maxpool'",
            "%9 = avgPool2d(%8) kernel 3, stride 1, padding 1 → [1, 2, 3, 3] 'avgpool'",
            "%10 = adaptiveAvgPool2d(%9) output 2 → [1, 2, 2, 2] 'adaptive'",
            "%11 = reshape(%10) → [1, 8] 'flatten'",
            "%12 = parameter() → [3, 8] 'fc.weight'",
            "%13 = dense(%11, %12) → [1, 3] 'fc'",
            "%14 = softmaxCrossEntropy(%13) → [] 'loss'",
        ]
        #expect(Array(lines.dropFirst()) == expectedPrefixes)
    }

    @Test("graphviz declares every node once and every edge")
    func graphviz() throws {
        let tape = try everyOperation()
        let dot = tape.graphviz()
        #expect(dot.hasPrefix("digraph tape {"))
        #expect(dot.hasSuffix("}"))
        let lines = dot.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for id in 0..<tape.nodeCount {
            #expect(lines.filter { $0.hasPrefix("n\(id) [label=") }.count == 1, "node \(id)")
        }
        for name in ["conv", "bn", "relu", "relu6", "residual", "maxpool", "avgpool", "adaptive", "flatten", "fc", "loss"] {
            #expect(dot.contains("\\n\(name)\\n"), "label of \(name)")
        }
        // Edges: conv has 3 inputs, add and dense 2, the others 1 → 3 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1 + 2 + 1 = 15.
        let edges = lines.filter { $0.contains(" -> ") }
        #expect(edges.count == 15)
        for edge in ["n0 -> n3;", "n1 -> n3;", "n2 -> n3;", "n6 -> n7;", "n3 -> n7;", "n11 -> n13;", "n12 -> n13;", "n13 -> n14;"] {
            #expect(edges.contains(edge), "\(edge)")
        }
        // Parameters and activations are styled.
        #expect(lines.first { $0.hasPrefix("n1 [") }?.contains("fillcolor=\"#eeeeee\"") == true)
        #expect(lines.first { $0.hasPrefix("n5 [") }?.contains("fillcolor=\"#fde2c8\"") == true)
    }

    @Test("parameters are listed with their names in recording order")
    func parameterVariables() throws {
        let tape = Tape()
        let recorded = try TinyConvNet(seed: 1).record(on: tape, input: Tensor.zeros(TinyConvNet.inputShape(batch: 1)))
        let parameters = tape.parameterVariables
        #expect(parameters.map(\.variable) == recorded.parameters)
        #expect(parameters.map(\.name) == ["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
                                            "classifier.0.weight", "classifier.0.bias", "classifier.2.weight", "classifier.2.bias"])
        #expect(try tape.name(recorded.input) == "input")
    }

    @Test("quotes in names do not break the dot syntax")
    func quotedNames() throws {
        let tape = Tape()
        _ = try tape.relu(tape.input(Tensor.zeros([1, 2]), name: "say \"hi\""), name: "r")
        #expect(!tape.graphviz().contains("\"hi\""))
        #expect(tape.graphviz().contains("say 'hi'"))
    }

    @Test("backward rules, reports, sites and errors describe themselves")
    func otherDescriptions() throws {
        let rules = BackwardRules(activation: try RectGradRule(percentile: 98), masksConvolutionBorder: true, maxPool: .proportional)
            .overriding(.name("fc.relu"), with: GuidedBackpropRule())
        #expect(rules.description == "rectgrad(q=98); name 'fc.relu' → guided-backprop; border rule; PRR at max-pools")
        #expect(try RectGradRule(percentile: 99.5, importance: .absolute, interpolation: .linear).description == "rectgrad(q=99.5, absolute, linear)")
        #expect(try RectGradConstantRule(tau: 0).description == "rectgrad-const(tau=0)")
        #expect(ActivationSite(nodeID: 4, ordinal: 1, name: "features.4", kind: .relu).description == "relu #1 'features.4' (node 4)")
        #expect(TapeError.operationFailed(layer: "fc", .invalidShape([-1])).description == "layer 'fc': invalid shape [-1]")
        #expect(TapeError.seedShapeMismatch(expected: [1, 5], actual: [5]).description.contains("[5]"))
    }
}
