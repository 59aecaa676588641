import Foundation
import Testing
import RectifiedGradient

/// Mistakes and hostile values on the command line: each ends with a clean error in words and a
/// non-zero status, before any long computation.
@Suite struct HostileInputTests {
    /// A scratch folder with a valid `[1, 3, 32, 32]` input `x.npy`.
    func scratch() throws -> (folder: URL, input: String) {
        let folder = try temporaryDirectory()
        let input = folder.appendingPathComponent("x.npy")
        try NumPyFile.write(Tensor.randomUniform([1, 3, 32, 32], low: -1, high: 1, seed: 3), to: input)
        return (folder, input.path)
    }

    @Test func foldersAndDevicesAreNamedAsSuch() throws {
        let (folder, input) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("a.npy").path
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--input", folder.path, "--output", out]),
            mentioning: ["--input \(folder.path) is a folder, not a file"])
        expectCleanFailure(
            try rectgrad(["convert-pth", folder.path, out]), mentioning: ["\(folder.path) is a folder, not a file"])
        expectCleanFailure(
            try rectgrad(["predict", "--model", "cifar-cnn", "--input", "/dev/zero"]), mentioning: ["/dev/zero is not a regular file"])
        expectCleanFailure(
            try rectgrad(["predict", "--model", "cifar-cnn", "--weights", "/dev/zero", "--input", input]),
            mentioning: ["--weights /dev/zero is not a regular file"])
        expectCleanFailure(
            try rectgrad(["predict", "--model", "cifar-cnn", folder.appendingPathComponent("missing.png").path]),
            mentioning: ["missing.png: no such file"])
    }

    @Test func outputsAreNotOverwrittenByAccident() throws {
        let (folder, input) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("map.npy").path
        let first = try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--input", input, "--output", out])
        #expect(first.status == 0, "\(first.standardError)")
        let original = try Data(contentsOf: URL(fileURLWithPath: out))
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "rectgrad", "--input", input, "--output", out]),
            mentioning: ["--output \(out) exists; pass --overwrite to replace it"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == original)
        let again = try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "rectgrad", "--input", input, "--output", out, "--overwrite"])
        let replaced = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(again.status == 0 && replaced != original)

        // The input itself, under its own name or another spelling of it.
        let inputBytes = try Data(contentsOf: URL(fileURLWithPath: input))
        for spelling in [input, folder.path + "/./x.npy"] {
            expectCleanFailure(
                try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--input", input, "--output", spelling, "--overwrite"]),
                mentioning: ["is the input \(input)"])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == inputBytes)

        // --method all writes into a folder, so a file name is refused, and so is an existing file.
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "all", "--input", input, "--output", out]),
            mentioning: ["--output \(out) is one file, but --method gives \(MethodName.allCases.count - 1) methods; give a folder"])
        let existing = folder.appendingPathComponent("maps").path
        try Data().write(to: URL(fileURLWithPath: existing))
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "all", "--input", input, "--output", existing]),
            mentioning: ["--output \(existing) is a file, but a folder is needed here"])
        // A heatmap name writes a PNG, not a NumPy file under a PNG name.
        let png = folder.appendingPathComponent("map.png")
        #expect(try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--input", input, "--output", png.path]).status == 0)
        #expect(try ImageDecoding.decode(contentsOf: png).width == 32)
        // An output folder that does not exist.
        expectCleanFailure(
            try rectgrad(["predict", "--model", "cifar-cnn", "--input", input, "--output", folder.appendingPathComponent("no/such/logits.npy").path]),
            mentioning: ["the folder it would go in does not exist"])
    }

    @Test func workThatWouldTakeHoursIsRefusedBeforeItStarts() throws {
        let (folder, input) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("map.npy").path
        let clock = ContinuousClock()
        let start = clock.now
        // Options beyond their documented bounds are refused outright…
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "integrated-gradients", "--steps", "1000000000", "--input", input, "--output", out]),
            mentioning: ["--steps: must be in 1...100000, got 1000000000"])
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "smoothgrad", "--samples", "1000000000", "--input", input, "--output", out]),
            mentioning: ["--samples: must be in 1...100000"])
        // …and work that multiplies up within them is estimated and refused unless --force.
        let big = folder.appendingPathComponent("big.npy")
        try NumPyFile.write(Tensor.zeros([100, 3, 32, 32]), to: big)
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "integrated-gradients", "--steps", "3000", "--input", big.path, "--output", out]),
            mentioning: ["estimated 300,000 forward/backward passes", "--force"])
        // Occlusion with a 1×1×1 window on 3×32×32 is 3,072 windows + 1 pass per example.
        expectCleanFailure(
            try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "occlusion", "--input", big.path, "--output", out]),
            mentioning: ["estimated 307,300 forward/backward passes"])
        #expect(clock.now - start < .seconds(60))
    }

    @Test func anOverflowInsideTheNetworkIsAnErrorNamingTheLayer() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("huge.npy")
        try NumPyFile.write(Tensor(repeating: 3e38, shape: [1, 3, 32, 32]), to: input)
        let predict = try rectgrad(["predict", "--model", "cifar-cnn", "--input", input.path])
        expectCleanFailure(predict, mentioning: ["NaN or infinite", "first at layer"])
        #expect(!predict.standardOutput.contains("nan"))
        let out = folder.appendingPathComponent("map.npy")
        for method in ["saliency", "integrated-gradients", "rectgrad"] {
            expectCleanFailure(
                try rectgrad(["attribute", "--model", "cifar-cnn", "--method", method, "--steps", "2", "--input", input.path, "--output", out.path]),
                mentioning: ["NaN or infinite"])
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(method) wrote a map")
        }
    }

    /// The message names the cache file and, for the EfficientNet-Lites, the script that fetches their weights.
    @Test(arguments: [("resnet18", nil), ("efficientnet-lite1", "(Scripts/fetch-efficientnet-lite.sh lite1 does that)")] as [(String, String?)])
    func imageNetModelsRefuseRandomWeightsUnlessAsked(model: String, hint: String?) throws {
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let process = Process()
        process.executableURL = productsDirectory().appendingPathComponent("rectgrad")
        process.arguments = ["predict", "--model", model, "--input", "/nonexistent.npy"]
        process.environment = ["RECTGRAD_CACHE_DIR": cache.path, "HOME": cache.path]
        let error = Pipe()
        process.standardError = error
        process.standardOutput = Pipe()
        try process.run()
        let text = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(text.contains("\(model) has no trained weights here") && text.contains("--random-weights"), "\(text)")
        #expect(text.contains(cache.appendingPathComponent("weights/\(model).safetensors").path))
        #expect(text.contains("fetch-efficientnet-lite") == (hint != nil), "\(text)")
        if let hint { #expect(text.contains(hint), "\(text)") }
    }

    @Test func versionIsPrinted() throws {
        let result = try rectgrad(["--version"])
        #expect(result.status == 0 && result.standardOutput == RectifiedGradientVersion.string + "\n")
    }
}

/// The same command gives the same bytes whatever the number of workers.
@Test func attributeWritesTheSameBytesForAnyWorkerCount() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("x.npy")
    try NumPyFile.write(Tensor.randomUniform([2, 3, 32, 32], low: -1, high: 1, seed: 8), to: input)
    var outputs: [Data] = []
    // `--threads 1` and `--threads 2`, and the environment variable the option replaced (still read
    // when the option is absent) for 4.
    for workers in [1, 2, 4] {
        let output = folder.appendingPathComponent("maps-\(workers)")
        let process = Process()
        process.executableURL = productsDirectory().appendingPathComponent("rectgrad")
        process.arguments = ["attribute", "--model", "cifar-cnn", "--input", input.path, "--method", "all", "--steps", "3", "--samples", "2",
                             "--window", "3,8,8", "--stride", "3,8,8", "--output", output.path] + (workers < 4 ? ["--threads", String(workers)] : [])
        process.environment = workers < 4 ? [:] : ["RECTGRAD_WORKERS": String(workers)]
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var bytes = Data()
        for name in MethodName.allCases { bytes += try Data(contentsOf: output.appendingPathComponent("\(name.rawValue).npy")) }
        outputs.append(bytes)
    }
    #expect(outputs[0] == outputs[1] && outputs[0] == outputs[2])
}
