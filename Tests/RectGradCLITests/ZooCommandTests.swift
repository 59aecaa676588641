import Foundation
import Testing
import RectifiedGradient

@Test func helpListsTheZooSubcommands() throws {
    let help = try rectgrad(["--help"])
    #expect(help.status == 0)
    for subcommand in ["models", "predict", "convert-pth"] {
        #expect(help.standardOutput.contains("  \(subcommand) "), "missing \(subcommand)")
    }
}

@Test func predictHelpFixesTheOptionShape() throws {
    let help = try rectgrad(["predict", "--help"])
    #expect(help.status == 0)
    // With `--threads` the usage line is too long to list every option; the options list has each shape.
    #expect(help.standardOutput.contains("USAGE: rectgrad predict [<options>] [<image> ...]"))
    for shape in ["--model <name>", "--weights <file>", "--allow-extra-weights", "--random-weights", "--weight-seed <n>",
                  "--resize <center-crop|stretch>", "--input <file>", "--output <file>", "--overwrite", "--top <k>",
                  "--orientation <exif|ignore>", "--threads <n>"] {
        // A long option's help starts on the next line.
        #expect(help.standardOutput.contains("  \(shape) ") || help.standardOutput.contains("  \(shape)\n"), "missing \(shape)")
    }
    #expect(help.standardOutput.contains("--input <file>          A preprocessed NCHW .npy array, run as is."))
    #expect(help.standardOutput.contains("--output <file>         Write the logits [N, classes] to this .npy file."))
    let convert = try rectgrad(["convert-pth", "--help"])
    #expect(convert.standardOutput.contains("USAGE: rectgrad convert-pth <in.pth> <out.safetensors> [--model <name>]"))
}

@Test func modelsListsParameterCountsAndInputSizes() throws {
    let result = try rectgrad(["models"])
    #expect(result.status == 0)
    let lines = result.standardOutput.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix("NAME") == true)
    #expect(lines.filter { line in Zoo.names.contains { line.hasPrefix($0 + " ") } }.count == Zoo.names.count)
    let resnet = try #require(lines.first { $0.hasPrefix("resnet50 ") })
    #expect(resnet.contains("25,557,032") && resnet.contains("3x224x224") && resnet.contains("1000"))
    let cifar = try #require(lines.first { $0.hasPrefix("cifar-cnn ") })
    #expect(cifar.contains("1,116,970") && cifar.contains("3x32x32") && cifar.contains("shipped"))
    // The preprocessing section states the policy and the numbers.
    #expect(result.standardOutput.contains("shorter side resized to 256 (antialiased bilinear), centre crop"))
    #expect(result.standardOutput.contains("(pixel / 255 − mean) / std, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)"))
    #expect(result.standardOutput.contains("pixel / 127.5 − 1"))
    let names = try rectgrad(["models", "--names-only"])
    #expect(names.standardOutput == Zoo.names.joined(separator: "\n") + "\n")
}

@Test func predictWritesTheLogitsOfTheLibrary() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = Tensor.randomUniform([2, 3, 32, 32], low: -1, high: 1, seed: 11)
    let inputURL = directory.appendingPathComponent("x.npy"), outputURL = directory.appendingPathComponent("logits.npy")
    try NumPyFile.write(input, to: inputURL)
    let result = try rectgrad(["predict", "--model", "cifar-cnn", "--random-weights", "--weight-seed", "3", "--input", inputURL.path, "--output", outputURL.path])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardError.contains("random weights (seed 3)"))
    let logits = try NumPyFile.read(contentsOf: outputURL)
    let expected = try Zoo.network(named: "cifar-cnn", seed: 3).logits(for: input)
    #expect(logits == expected)
}

@Test func predictPrintsTheTopClassesWithWeights() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    // Weights that make class 7 ("horse") win: zero everything, then bias dense6 towards 7.
    var network = try Zoo.network(named: "cifar-cnn", seed: 1)
    var values = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, Tensor.zeros($0.value.shape)) })
    var bias = Tensor.zeros([10])
    bias[flat: 7] = 5
    bias[flat: 2] = 4
    bias[flat: 9] = 1
    values["dense6.bias"] = bias
    network = try network.loadingParameters(values)
    let weightsURL = directory.appendingPathComponent("w.safetensors"), inputURL = directory.appendingPathComponent("x.npy")
    try network.safetensors.write(to: weightsURL)
    try NumPyFile.write(Tensor.randomNormal([2, 3, 32, 32], seed: 2), to: inputURL)
    let result = try rectgrad(["predict", "--model", "cifar-cnn", "--weights", weightsURL.path, "--input", inputURL.path, "--top", "3"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardError.isEmpty)
    let lines = result.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(lines.count == 8)
    #expect(lines[0] == "example 0:" && lines[4] == "example 1:")
    #expect(lines[1].hasSuffix("horse (7)") && lines[2].hasSuffix("bird (2)") && lines[3].hasSuffix("truck (9)"))
    // softmax: e⁵ / (e⁵ + e⁴ + e¹ + 7 · e⁰) = 148.41 / 212.73 → 69.77 % for class 7.
    #expect(lines[1].hasPrefix("69.77%"))
}

@Test func predictFailsReadablyOnBadInput() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let garbage = directory.appendingPathComponent("garbage.npy")
    try Data("not an array".utf8).write(to: garbage)
    expectCleanFailure(try rectgrad(["predict", "--model", "cifar-cnn", "--input", garbage.path]), mentioning: [garbage.path, "is not a NumPy .npy file"])

    let wrongShape = directory.appendingPathComponent("wrong.npy")
    try NumPyFile.write(Tensor.zeros([1, 3, 28, 28]), to: wrongShape)
    expectCleanFailure(try rectgrad(["predict", "--model", "cifar-cnn", "--input", wrongShape.path]), mentioning: ["[1, 3, 28, 28]", "expects [N, 3, 32, 32]"])

    expectCleanFailure(try rectgrad(["predict", "--model", "nope", "--input", wrongShape.path]), mentioning: ["unknown model 'nope'", "resnet50"])
    expectCleanFailure(try rectgrad(["predict", "--model", "cifar-cnn", garbage.path]), mentioning: [garbage.path, "unknown image format"])
    expectCleanFailure(try rectgrad(["predict", "--model", "cifar-cnn", "--input", wrongShape.path, garbage.path]), mentioning: ["not both"])
    expectCleanFailure(try rectgrad(["predict", "--model", "cifar-cnn"]), mentioning: ["Give either --input X.npy or image files."])
    expectCleanFailure(try rectgrad(["predict", "--model", "cifar-cnn", "--input", wrongShape.path, "--top", "0"]), mentioning: ["--top must be at least 1."])
    expectCleanFailure(
        try rectgrad(["predict", "--model", "cifar-cnn", "--input", directory.appendingPathComponent("missing.npy").path]),
        mentioning: ["missing.npy", "no such file"]
    )

    // Weights of another architecture name the first unexpected tensors.
    let weights = directory.appendingPathComponent("resnet.safetensors")
    try SafetensorsFile(tensors: [NamedParameter(name: "fc.weight", value: .zeros([10, 4]))]).write(to: weights)
    expectCleanFailure(
        try rectgrad(["predict", "--model", "cifar-cnn", "--weights", weights.path, "--input", wrongShape.path]),
        mentioning: [weights.path, "fc.weight"]
    )
    let truncated = directory.appendingPathComponent("truncated.safetensors")
    try Data([1, 2, 3]).write(to: truncated)
    expectCleanFailure(
        try rectgrad(["predict", "--model", "cifar-cnn", "--weights", truncated.path, "--input", wrongShape.path]),
        mentioning: [truncated.path, "truncated"]
    )
}

@Test func convertPthWritesSafetensors() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = directory.appendingPathComponent("module.safetensors")
    let result = try rectgrad(["convert-pth", try formatsFixture("pth/module.pth").path, output.path])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput == "wrote 7 tensors to \(output.path) (skipped 1 num_batches_tracked counters)\n")
    let expected = try SafetensorsFile.read(contentsOf: formatsFixture("pth/module-expected.safetensors"))
    #expect(try SafetensorsFile.read(contentsOf: output).tensors == expected.tensors)

    let exists = try rectgrad(["convert-pth", try formatsFixture("pth/module.pth").path, output.path])
    expectCleanFailure(exists, mentioning: [output.path, "exists; pass --overwrite"])
    let refused = try rectgrad(["convert-pth", try formatsFixture("pth/malicious.pth").path, output.path, "--overwrite"])
    expectCleanFailure(refused, mentioning: ["posix.system", "refused"])
    let mismatch = try rectgrad(["convert-pth", try formatsFixture("pth/module.pth").path, output.path, "--model", "cifar-cnn", "--overwrite"])
    expectCleanFailure(mismatch, mentioning: ["module.pth", "0.weight"])
}

@Test func predictDecodesResizesAndScalesImages() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    // Two 40×24 gradients, resized to cifar-cnn's 32×32 and scaled with pixel / 127.5 − 1.
    var images: [RGBImage] = []
    var paths: [String] = []
    for index in 0..<2 {
        var pixels = [UInt8]()
        for y in 0..<24 {
            for x in 0..<40 { pixels += [UInt8(x * 6), UInt8(y * 10), UInt8(index * 200)] }
        }
        let image = try RGBImage(width: 40, height: 24, pixels: pixels)
        let url = directory.appendingPathComponent("image\(index).png")
        try image.writePNG(to: url)
        images.append(image)
        paths.append(url.path)
    }
    let output = directory.appendingPathComponent("logits.npy")
    let result = try rectgrad(["predict", "--model", "cifar-cnn", "--random-weights", "--weight-seed", "4", "--output", output.path] + paths)
    #expect(result.status == 0, "\(result.standardError)")
    let resized = try images.map { try $0.resized(width: 32, height: 32) }
    let expected = try Zoo.network(named: "cifar-cnn", seed: 4).logits(for: Tensor.concatenate(resized.map { $0.tensor(scaling: .minusOneToOne) }))
    #expect(try NumPyFile.read(contentsOf: output) == expected)

    let printed = try rectgrad(["predict", "--model", "cifar-cnn", "--top", "1"] + paths)
    let lines = printed.standardOutput.split(separator: "\n").map(String.init)
    #expect(lines.count == 4)
    #expect(lines[0] == paths[0] + ":" && lines[2] == paths[1] + ":")
}

@Test func orientationOptionNamesItsValues() throws {
    let result = try rectgrad(["predict", "--model", "cifar-cnn", "--orientation", "sideways", "x.png"])
    #expect(result.status != 0)
    #expect(result.standardError.contains("The value 'sideways' is invalid for '--orientation <exif|ignore>'"))
}

@Test func convertPthWritesHalfPrecisionOnRequest() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = directory.appendingPathComponent("module-f16.safetensors")
    let result = try rectgrad(["convert-pth", try formatsFixture("pth/module.pth").path, output.path, "--dtype", "f16"])
    #expect(result.status == 0, "\(result.standardError)")
    let bytes = try Data(contentsOf: output)
    #expect(String(decoding: bytes.prefix(400), as: UTF8.self).contains(#""dtype":"F16""#))
    // Every value is the F32 value to within half a unit in the last place of a half (2^-11 relative).
    let expected = try SafetensorsFile.read(contentsOf: formatsFixture("pth/module-expected.safetensors"))
    let halves = try SafetensorsFile.read(contentsOf: output)
    #expect(halves.tensors.map(\.name) == expected.tensors.map(\.name))
    for (half, full) in zip(halves.tensors, expected.tensors) {
        for (a, b) in zip(half.value.scalars, full.value.scalars) {
            #expect(abs(a - b) <= abs(b) * 0x1p-11 + 0x1p-25, "\(half.name): \(a) vs \(b)")
        }
    }
    let unknown = try rectgrad(["convert-pth", try formatsFixture("pth/module.pth").path, output.path, "--dtype", "f8"])
    expectCleanFailure(unknown, mentioning: ["--dtype must be f32, f16 or bf16, got 'f8'."])
}
