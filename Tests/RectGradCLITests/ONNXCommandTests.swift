import Foundation
import Testing
import RectifiedGradient

/// A fixture of the ONNX tests (from `Scripts/fixtures/make_onnx_fixtures.py`), through the source tree.
private func onnxFixture(_ relativePath: String, file: String = #filePath) throws -> URL {
    let url = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("RectGradONNXTests/Fixtures").appendingPathComponent(relativePath)
    try #require(FileManager.default.fileExists(atPath: url.path), "missing \(url.path)")
    return url
}

@Suite struct ONNXCommandTests {
    @Test func inspectListsLayersAndActivationSites() throws {
        let result = try rectgrad(["models", "--inspect", try onnxFixture("tiny-cnn.onnx").path])
        #expect(result.status == 0, "\(result.standardError)")
        let output = result.standardOutput
        #expect(output.contains("ONNX opset 13"))
        #expect(output.contains("/Conv  Conv+BatchNormalization  conv 3×3 → 8 channels"))
        #expect(output.contains("Activation sites (4): ordinal, kind, name"))
        for site in ["0  relu  /Relu", "1  relu6  /Clip", "3  relu  /Relu_2"] { #expect(output.contains(site), "missing \(site)") }
        #expect(output.contains("note: the graph ends in Softmax"))
    }

    @Test func predictAndAttributeRunTheImportedModel() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let maps = try SafetensorsFile.read(contentsOf: try onnxFixture("tiny-cnn.maps.safetensors"))
        let input = try #require(maps["input"])
        let targets = try #require(maps["targets"]).scalars.map { String(Int($0)) }.joined(separator: ",")
        let inputURL = directory.appendingPathComponent("x.npy")
        try NumPyFile.write(input, to: inputURL)
        let model = try onnxFixture("tiny-cnn.onnx").path

        let logitsURL = directory.appendingPathComponent("logits.npy")
        let predict = try rectgrad(["predict", "--model", model, "--input", inputURL.path, "--output", logitsURL.path])
        #expect(predict.status == 0, "\(predict.standardError)")
        #expect(predict.standardError.contains("Softmax"))
        let logits = try NumPyFile.read(contentsOf: logitsURL)
        #expect(try logits.relativeL2Distance(to: try #require(maps["logits"])) < 1e-5)

        let mapURL = directory.appendingPathComponent("saliency.npy")
        let attribute = try rectgrad(["attribute", "--model", model, "--input", inputURL.path, "--method", "saliency",
                                      "--target", targets, "--output", mapURL.path])
        #expect(attribute.status == 0, "\(attribute.standardError)")
        let saliency = try NumPyFile.read(contentsOf: mapURL)
        #expect(try saliency.relativeL2Distance(to: try #require(maps["saliency"])) < 1e-4)
    }

    @Test func brokenFilesAndZooOptionsFailCleanly() throws {
        let unknown = try rectgrad(["predict", "--model", try onnxFixture("malformed/unknown-operator.onnx").path, "--input", "/nonexistent.npy"])
        expectCleanFailure(unknown, mentioning: [])
        let input = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: input) }
        let x = input.appendingPathComponent("x.npy")
        try NumPyFile.write(Tensor.zeros([1, 3, 4, 4]), to: x)
        let failed = try rectgrad(["predict", "--model", try onnxFixture("malformed/unknown-operator.onnx").path, "--input", x.path])
        expectCleanFailure(failed, mentioning: ["'mystery' (FancyActivation, opset 17)"])
        let weights = try rectgrad(["predict", "--model", try onnxFixture("tiny-cnn.onnx").path, "--weights", x.path, "--input", x.path])
        expectCleanFailure(weights, mentioning: ["--weights does not apply to an ONNX model"])
    }

    /// The experiments and `evaluate` take `--model file.onnx` like predict and attribute
    /// (the tiny-cnn fixture, 16×16, on a 32×32 picture).
    @Test func experimentsAndEvaluateRunTheImportedModel() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let picture = try RGBImage(width: 32, height: 32, pixels: (0..<(32 * 32 * 3)).map { UInt8(($0 * 53) % 256) })
        let image = folder.appendingPathComponent("pattern.png")
        try picture.writePNG(to: image)
        let model = try onnxFixture("tiny-cnn.onnx").path

        let sweepOut = folder.appendingPathComponent("sweep")
        let sweep = try rectgrad(["experiment", "threshold-sweep", image.path, "--model", model, "--percentiles", "0,90", "--taus", "", "--out", sweepOut.path])
        #expect(sweep.status == 0, "\(sweep.standardError)")
        #expect(sweep.standardError.contains("Softmax"))
        let maps = try FileManager.default.contentsOfDirectory(atPath: sweepOut.appendingPathComponent("maps").path).sorted()
        #expect(maps == ["pattern-rectgrad-q0.png", "pattern-rectgrad-q90.png"])

        let adversarialOut = folder.appendingPathComponent("adversarial")
        let adversarial = try rectgrad(["experiment", "adversarial", image.path, "--model", model, "--methods", "saliency", "--epsilon", "8/255", "--out", adversarialOut.path])
        #expect(adversarial.status == 0, "\(adversarial.standardError)")
        #expect(adversarial.standardOutput.contains("tiny-cnn"), "\(adversarial.standardOutput)")
        #expect(FileManager.default.fileExists(atPath: adversarialOut.appendingPathComponent("summary.csv").path))

        let evaluateOut = folder.appendingPathComponent("evaluate")
        let evaluate = try rectgrad(["evaluate", image.path, "--model", model, "--method", "saliency", "--checks", "randomisation,deletion",
                                     "--layers", "/Gemm", "--deletion-steps", "4", "--out", evaluateOut.path])
        #expect(evaluate.status == 0, "\(evaluate.standardError)")
        let randomisation = try String(contentsOf: evaluateOut.appendingPathComponent("randomisation.csv"), encoding: .utf8)
        #expect(randomisation.contains("/Gemm"), "\(randomisation)")

        let weights = try rectgrad(["experiment", "threshold-sweep", image.path, "--model", model, "--random-weights", "--out", sweepOut.path])
        expectCleanFailure(weights, mentioning: ["--random-weights does not apply to an ONNX model"])
    }
}
