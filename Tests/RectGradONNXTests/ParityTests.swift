import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradFormats
import RectGradONNX

/// Imported PyTorch exports against PyTorch's own logits and maps (fixtures from
/// `Scripts/fixtures/make_onnx_fixtures.py`: saliency by torch autograd, guided backprop and
/// RectGrad by the independent reference `Scripts/fixtures/reference_rules.py`).
@Suite struct ParityTests {
    @Test func tinyCNNMatchesPyTorch() throws {
        let imported = try ONNXImporter.importModel(contentsOf: try fixtureURL("tiny-cnn.onnx"))
        let maps = try SafetensorsFile.read(contentsOf: try fixtureURL("tiny-cnn.maps.safetensors"))
        let input = try #require(maps["input"])
        let targets = try #require(maps["targets"]).scalars.map { Int($0) }

        let session = try AttributionSession(network: imported.model.network, input: input, targets: .perExample(targets))
        let logitsError = try session.logits.relativeL2Distance(to: try #require(maps["logits"]))
        #expect(logitsError < 1e-5, "logits: relative L2 \(logitsError)")
        let methods: [(String, AttributionMethod, Double)] = [
            ("saliency", .saliency, 1e-4),
            ("guided-backprop", .guidedBackprop, 1e-4),
            ("rectgrad", try .rectGrad(), 1e-3),
        ]
        for (key, method, tolerance) in methods {
            let expected = try #require(maps[key])
            let error = try session.attribute(method).map.relativeL2Distance(to: expected)
            #expect(error <= tolerance, "\(key): relative L2 \(error)")
            #expect(expected.l2Norm() > 0)
        }
    }

    /// Concat, a squeeze-and-excitation gate (broadcasting Mul), SiLU fused from Sigmoid·Mul,
    /// hard-swish, leaky ReLU and an average pool that does not count padding.
    @Test func branchesAndGatesMatchPyTorch() throws {
        let imported = try ONNXImporter.importModel(contentsOf: try fixtureURL("tiny-branches.onnx"))
        let maps = try SafetensorsFile.read(contentsOf: try fixtureURL("tiny-branches.maps.safetensors"))
        let input = try #require(maps["input"])
        let targets = try #require(maps["targets"]).scalars.map { Int($0) }
        let sites = try imported.model.network.activationSites()
        #expect(sites.map(\.kind) == [.silu, .relu, .hardSwish, .relu, .sigmoid, .leakyReLU(slope: 0.1)])
        #expect(sites.first?.name == "/Sigmoid")

        let session = try AttributionSession(network: imported.model.network, input: input, targets: .perExample(targets))
        let logitsError = try session.logits.relativeL2Distance(to: try #require(maps["logits"]))
        #expect(logitsError < 1e-5, "logits: relative L2 \(logitsError)")
        for (key, method) in [("saliency", AttributionMethod.saliency), ("guided-backprop", .guidedBackprop)] {
            let expected = try #require(maps[key])
            let error = try session.attribute(method).map.relativeL2Distance(to: expected)
            #expect(error <= 1e-4, "\(key): relative L2 \(error)")
            #expect(expected.l2Norm() > 0)
        }
    }

    @Test func theFinalSoftmaxIsDroppedAndSaid() throws {
        let imported = try ONNXImporter.importModel(contentsOf: try fixtureURL("tiny-cnn.onnx"))
        #expect(imported.notes.contains { $0.contains("Softmax") && $0.contains("logits") }, "\(imported.notes)")
        #expect(imported.opset == 13)
        #expect(imported.model.classCount == 10)
        #expect(imported.model.network.inputSize == Size2D(16, 16))
    }

    @Test func batchNormsAreFoldedIntoTheirConvolutions() throws {
        let imported = try ONNXImporter.importModel(contentsOf: try fixtureURL("tiny-cnn.onnx"))
        let operations = imported.graph.operations
        #expect(operations.filter { $0.opType == "Conv+BatchNormalization" }.count == 4)
        #expect(!operations.contains { $0.opType == "BatchNormalization" })
        // Unfolded, the same graph gives the same logits.
        let unfolded = try ONNXImporter.importModel(contentsOf: try fixtureURL("tiny-cnn.onnx"), options: ONNXImportOptions(foldsBatchNorm: false))
        #expect(unfolded.graph.operations.filter { $0.opType == "BatchNormalization" }.count == 4)
        let input = try #require(SafetensorsFile.read(contentsOf: try fixtureURL("tiny-cnn.maps.safetensors"))["input"])
        let folded = try imported.model.network.logits(for: input)
        #expect(try folded.relativeL2Distance(to: unfolded.model.network.logits(for: input)) < 1e-5)
    }

    @Test func activationSitesCarryTheNodeNamesAndOverridesSelectThem() throws {
        let network = try ONNXImporter.importModel(contentsOf: try fixtureURL("tiny-cnn.onnx")).model.network
        let sites = try network.activationSites()
        #expect(sites.map(\.name) == ["/Relu", "/Clip", "/Relu_1", "/Relu_2"])
        #expect(sites.map(\.kind) == [.relu, .relu6, .relu, .relu])

        let input = try #require(SafetensorsFile.read(contentsOf: try fixtureURL("tiny-cnn.maps.safetensors"))["input"])
        let tape = Tape(workers: .serial)
        let x = tape.input(input)
        let logits = try network.logits(x, on: tape)
        var seed = Tensor.zeros(try tape.shape(logits))
        seed[0, 3] = 1
        seed[1, 3] = 1
        let rules = BackwardRules().overriding(.name("/Relu_1"), with: GuidedBackpropRule())
        let report = try tape.backward(from: logits, seed: seed, withRespectTo: [x], rules: rules).report
        #expect(report.activationNodesRecorded == 4)
        #expect(report.activationNodesByRule[GuidedBackpropRule().description] == 1)
        #expect(report.activationNodesByRule[GradientRule().description] == 3)
    }

    @Test func storageTypesAndExternalDataGiveTheSameNetwork() throws {
        let reference = try SafetensorsFile.read(contentsOf: try fixtureURL("storage.safetensors"))
        let input = try #require(reference["input"])
        let expected = try #require(reference["logits"])
        for file in ["storage-float32.onnx", "storage-mixed.onnx", "external-data/model.onnx"] {
            let network = try ONNXImporter.importModel(contentsOf: try fixtureURL(file)).model.network
            let error = try network.logits(for: input).relativeL2Distance(to: expected)
            #expect(error < 1e-6, "\(file): relative L2 \(error) against onnxruntime")
        }
    }
}
