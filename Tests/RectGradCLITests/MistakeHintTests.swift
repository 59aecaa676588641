import Foundation
import Testing
import RectifiedGradient

/// Hints for common mistakes: close names, negative numbers, weights of another model, and the
/// listing of a model's layers.
@Suite struct MistakeHintTests {
    @Test func mistypedModelsAndMethodsGetCloseMatches() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("x.npy")
        try NumPyFile.write(Tensor.zeros([1, 3, 32, 32]), to: input)
        let out = folder.appendingPathComponent("o.npy").path
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cn", "--random-weights", "--method", "saliency", "--input", input.path, "--output", out]),
            mentioning: ["--model", "unknown model 'cifar-cn'", "did you mean 'cifar-cnn'?"])
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--random-weights", "--method", "rectgard", "--input", input.path, "--output", out]),
            mentioning: ["--method", "unknown method 'rectgard'", "did you mean 'rectgrad'"])
        expectCleanFailure(
            try rectgrad(["explain", "--model", "cifar-cnn", "--random-weights", "--methods", "saliency,smoothgrd", input.path]),
            mentioning: ["--methods", "did you mean 'smoothgrad'"])
        expectCleanFailure(try rectgrad(["predict", "--model", "resnet5", "--input", input.path]), mentioning: ["did you mean", "'resnet50'"])
    }

    @Test func negativeNumbersAfterASpaceAreExplained() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("x.npy")
        try NumPyFile.write(Tensor.zeros([1, 3, 32, 32]), to: input)
        let base = ["attribute", "--model", "cifar-cnn", "--random-weights", "--method", "rectgrad-const", "--input", input.path, "--output", folder.appendingPathComponent("o.npy").path]
        expectCleanFailure(try rectgrad(base + ["--percentile", "-1"]), mentioning: ["Missing value", "write --percentile=-1"])
        // Written with '=', the value arrives and the range check names it.
        expectCleanFailure(try rectgrad(base + ["--percentile=-1"]), mentioning: ["--percentile", "-1"])
        let tau = try rectgrad(base + ["--tau=-0.5"])
        #expect(tau.status == 0, "\(tau.standardError)")
        // Help and version still go to standard output with status 0.
        let help = try rectgrad(["attribute", "--help"])
        #expect(help.status == 0 && help.standardOutput.contains("USAGE: rectgrad attribute"))
    }

    @Test func weightsOfAnotherModelAreRecognised() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("x.npy")
        try NumPyFile.write(Tensor.zeros([1, 3, 224, 224]), to: input)
        let weights = folder.appendingPathComponent("cifar.safetensors")
        try Zoo.network(named: "cifar-cnn", seed: 2).safetensors.write(to: weights)
        let run = try rectgrad(["predict", "--model", "resnet18", "--weights", weights.path, "--input", input.path])
        expectCleanFailure(run, mentioning: ["--weights \(weights.path) does not fit resnet18", "missing (bn1.weight, bn1.bias", "unexpected (conv1.bias", "with another shape (conv1.weight [64, 3, 7, 7] (file: [32, 3, 3, 3]))", "the file fits cifar-cnn", "--model cifar-cnn"])

        // A file missing one tensor fits nothing; every missing tensor is listed.
        var tensors = try Zoo.network(named: "cifar-cnn", seed: 2).parameters
        tensors.removeAll { $0.name == "conv2.bias" || $0.name == "dense6.weight" }
        let partial = folder.appendingPathComponent("partial.safetensors")
        try SafetensorsFile(tensors: tensors).write(to: partial)
        let small = folder.appendingPathComponent("small.npy")
        try NumPyFile.write(Tensor.zeros([1, 3, 32, 32]), to: small)
        expectCleanFailure(
            try rectgrad(["predict", "--model", "cifar-cnn", "--weights", partial.path, "--input", small.path]),
            mentioning: ["2 missing (conv2.bias, dense6.weight)", "fits no zoo model", "rectgrad models --layers cifar-cnn"])
    }

    @Test func modelsListsLayersAndActivationSites() throws {
        let run = try rectgrad(["models", "--layers", "cifar-cnn"])
        #expect(run.status == 0, "\(run.standardError)")
        for fragment in ["cifar-cnn: input [3, 32, 32]", "conv1: weight [32, 3, 3, 3], bias [32]", "dense6: weight [10, ", "Activation sites (5)", "0  relu  relu1", "4  relu  relu5"] {
            #expect(run.standardOutput.contains(fragment), "\(fragment): \(run.standardOutput)")
        }
        expectCleanFailure(try rectgrad(["models", "--layers", "efficientnet-lite"]), mentioning: ["--layers", "did you mean 'efficientnet-lite0'"])
    }
}
