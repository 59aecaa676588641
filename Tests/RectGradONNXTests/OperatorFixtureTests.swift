import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradFormats
import RectGradONNX

/// Resize, LRN and erf-GELU against onnxruntime and PyTorch (fixtures from
/// `Scripts/fixtures/make_onnx_op_fixtures.py`).
@Suite struct OperatorFixtureTests {
    static let graphs = [
        "resize-nearest-scales-asymmetric-floor", "resize-nearest-sizes-half-pixel",
        "resize-nearest-sizes-align-corners-ceil", "resize-nearest-scales-tf-prefer-ceil",
        "resize-linear-scales-half-pixel", "resize-linear-sizes-pytorch-half-pixel",
        "resize-linear-sizes-align-corners", "resize-linear-scales-asymmetric",
        "resize-linear-axes-not-larger-symmetric", "lrn-size-3", "lrn-size-4", "lrn-size-5",
    ]

    /// Every output element of each graph (the operator's output, flattened) against onnxruntime
    /// (lrn-size-4: the script's float64 reference, onnxruntime refusing even sizes).
    @Test(arguments: graphs)
    func operatorMatchesOnnxruntime(_ name: String) throws {
        let reference = try SafetensorsFile.read(contentsOf: try fixtureURL("ops/ops.safetensors"))
        let input = try #require(reference["input"])
        let expected = try #require(reference[name])
        let imported = try ONNXImporter.importModel(contentsOf: try fixtureURL("ops/\(name).onnx"))
        let output = try imported.model.network.logits(for: input)
        #expect(output.shape == expected.shape)
        let worst = zip(output.scalars, expected.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(worst < 2e-6, "\(name): largest error \(worst)")
        let opTypes = Set(imported.graph.operations.map(\.opType))
        #expect(opTypes.contains(name.hasPrefix("lrn") ? "LRN" : "Resize"), "\(opTypes)")
    }

    /// A PyTorch export (opset 17): nn.GELU and a hand-written erf GELU (the other association
    /// order) become GELU sites named after their Erf nodes; nearest and bilinear upsampling are
    /// Resize. Logits, saliency and guided backprop (the spec's rule at GELU) against PyTorch.
    @Test func exportedGELUAndUpsamplingMatchPyTorch() throws {
        let imported = try ONNXImporter.importModel(contentsOf: try fixtureURL("ops/gelu-resize.onnx"))
        let sites = try imported.model.network.activationSites()
        #expect(sites.map(\.kind) == [.gelu(.erf), .gelu(.erf)])
        #expect(sites.allSatisfy { $0.name.hasSuffix("Erf") }, "\(sites.map(\.name))")
        let operations = imported.graph.operations
        #expect(!operations.contains { ["Erf", "Div", "Add", "Mul"].contains($0.opType) }, "\(operations.map(\.opType))")
        #expect(operations.filter { $0.opType == "Resize" }.count == 2)

        let maps = try SafetensorsFile.read(contentsOf: try fixtureURL("ops/gelu-resize.maps.safetensors"))
        let input = try #require(maps["input"])
        let targets = try #require(maps["targets"]).scalars.map { Int($0) }
        let session = try AttributionSession(network: imported.model.network, input: input, targets: .perExample(targets))
        let logitsError = try session.logits.relativeL2Distance(to: try #require(maps["logits"]))
        #expect(logitsError < 1e-5, "logits: relative L2 \(logitsError)")
        for (key, method) in [("saliency", AttributionMethod.saliency), ("guided-backprop", .guidedBackprop)] {
            let expected = try #require(maps[key])
            let result = try session.attribute(method)
            let error = try result.map.relativeL2Distance(to: expected)
            #expect(error <= 1e-4, "\(key): relative L2 \(error)")
            #expect(expected.l2Norm() > 0)
        }
    }

    @Test func erfOutsideGELUAndCubicResizeAreNamedErrors() throws {
        guard case .unsupportedOperator(let node, let reason)? = importError(try fixtureURL("ops/unsupported-erf.onnx")) else {
            Issue.record("\(String(describing: importError(try fixtureURL("ops/unsupported-erf.onnx"))))"); return
        }
        #expect(node.name == "lonely_erf" && node.opType == "Erf" && reason.contains("GELU"), "\(node) \(reason)")
        guard case .unsupportedOperator(let resize, let why)? = importError(try fixtureURL("ops/unsupported-resize-cubic.onnx")) else {
            Issue.record("\(String(describing: importError(try fixtureURL("ops/unsupported-resize-cubic.onnx"))))"); return
        }
        #expect(resize.name == "resize" && why.contains("cubic"), "\(resize) \(why)")
    }
}
