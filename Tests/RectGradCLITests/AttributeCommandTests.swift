import Foundation
import Testing
import RectifiedGradient

/// `rectgrad attribute`, run as a process on `cifar-cnn` with random weights.
@Suite struct AttributeCommandTests {
    /// The outcome of one run.
    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs the built `rectgrad` binary with `attribute` and `arguments`.
    func attribute(_ arguments: [String]) throws -> Run {
        #if os(macOS)
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent() ?? Bundle.main.bundleURL
        #else
        let products = Bundle.main.bundleURL
        #endif
        let binary = products.appendingPathComponent("rectgrad")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "rectgrad is not built at \(binary.path)")
        let process = Process()
        process.executableURL = binary
        // The expected maps are computed on cifar-cnn's random weights of seed 0 unless a test gives --weights.
        process.arguments = ["attribute"] + arguments + (arguments.contains("--weights") ? [] : ["--random-weights"])
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self), error: String(decoding: errorData, as: UTF8.self))
    }

    /// A scratch folder with a `[2, 3, 32, 32]` input `x.npy`.
    func scratch() throws -> (folder: URL, input: URL, tensor: Tensor) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-attribute-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tensor = Tensor.randomUniform([2, 3, 32, 32], low: -1, high: 1, seed: 21)
        let input = folder.appendingPathComponent("x.npy")
        try NumPyFile.write(tensor, to: input)
        return (folder, input, tensor)
    }

    /// Expects a readable failure naming `fragments`.
    func expectFailure(_ run: Run, mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status != 0 && run.status < 128, "status \(run.status)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(run.error.contains(fragment), "stderr: \(run.error)", sourceLocation: sourceLocation)
        }
        #expect(!run.error.contains("Fatal error"), sourceLocation: sourceLocation)
    }

    @Test func writesTheLibrarysMapWithPerExampleTargets() throws {
        let (folder, input, x) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("rectgrad.npy")
        let run = try attribute(["--model", "cifar-cnn", "--input", input.path, "--method", "rectgrad", "--percentile", "90", "--target", "3,7", "--output", output.path])
        #expect(run.status == 0, "stderr: \(run.error)")
        #expect(run.output.contains("targets 3,7"))
        let map = try NumPyFile.read(contentsOf: output)
        let network = try Zoo.network(named: "cifar-cnn", seed: 0)
        let expected = try network.attribute(x, method: .rectGrad(percentile: 90), targets: .perExample([3, 7])).map
        #expect(map.shape == [2, 3, 32, 32])
        #expect(map == expected)
        #expect(map.l2Norm() > 0)
    }

    @Test func optionsReachTheMethod() throws {
        let (folder, input, x) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let network = try Zoo.network(named: "cifar-cnn", seed: 0)
        let cases: [([String], AttributionMethod)] = try [
            (["--method", "rectgrad-const", "--tau", "0.01", "--border-rule", "off"], .rectGradConstant(tau: 0.01, masksConvolutionBorder: false)),
            (["--method", "saliency", "--border-rule", "on"], AttributionMethod.saliency.maskingConvolutionBorder(true)),
            (["--method", "rectgrad-prr", "--importance", "absolute", "--percentile", "80"], .rectGradPRR(percentile: 80, importance: .absolute)),
            (["--method", "rectgrad", "--interpolation", "linear", "--percentile", "95"], .rectGrad(percentile: 95, interpolation: .linear)),
            (["--method", "integrated-gradients", "--steps", "3"], .integratedGradients(steps: 3)),
            (["--method", "smoothgrad", "--samples", "2", "--noise-level", "0.2", "--seed", "5"], .smoothGrad(samples: 2, noiseLevel: 0.2, seed: 5)),
            (["--method", "epsilon-lrp", "--epsilon", "0.5"], .epsilonLRP(epsilon: 0.5)),
            (["--method", "occlusion", "--window", "3,8,8", "--stride", "8"], .occlusion(window: [3, 8, 8], stride: [1, 8, 8])),
        ]
        for (arguments, method) in cases {
            let output = folder.appendingPathComponent("out.npy")
            let run = try attribute(["--model", "cifar-cnn", "--input", input.path, "--target", "4", "--output", output.path, "--overwrite"] + arguments)
            #expect(run.status == 0, "\(arguments): \(run.error)")
            let expected = try network.attribute(x, method: method, targets: .all(4)).map
            #expect(try NumPyFile.read(contentsOf: output) == expected, "\(arguments)")
        }
    }

    @Test func imageFilesAreResizedAndScaled() throws {
        let (folder, _, x) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A 64×48 picture of the first input example, resized by the command to 32×32.
        let image = try RGBImage(tensor: try x.example(0).reshaped([1, 3, 32, 32]), scaling: .minusOneToOne).resized(width: 64, height: 48)
        let path = folder.appendingPathComponent("picture.png")
        try image.writePNG(to: path)
        let output = folder.appendingPathComponent("map.npy")
        let run = try attribute(["--model", "cifar-cnn", "--method", "guided-backprop", "--output", output.path, path.path])
        #expect(run.status == 0, "stderr: \(run.error)")
        let expectedInput = try image.resized(width: 32, height: 32).tensor(scaling: .minusOneToOne)
        let expected = try Zoo.network(named: "cifar-cnn", seed: 0).attribute(expectedInput, method: .guidedBackprop).map
        #expect(try NumPyFile.read(contentsOf: output) == expected)
    }

    @Test func allMethodsIntoAFolder() throws {
        let (folder, input, _) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("maps")
        let run = try attribute(["--model", "cifar-cnn", "--input", input.path, "--method", "all", "--steps", "2", "--samples", "2", "--window", "3,16,16", "--stride", "3,16,16", "--output", output.path])
        #expect(run.status == 0, "stderr: \(run.error)")
        for name in MethodName.allCases {
            let map = try NumPyFile.read(contentsOf: output.appendingPathComponent("\(name.rawValue).npy"))
            // Grad-CAM's and layer integrated gradients' maps have one channel (upsampled to the input).
            #expect(map.shape == ([.gradCAM, .layerIntegratedGradients].contains(name) ? [2, 1, 32, 32] : [2, 3, 32, 32]), "\(name)")
        }
    }

    @Test func errorsNameTheOption() throws {
        let (folder, input, _) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = ["--model", "cifar-cnn", "--input", input.path, "--output", folder.appendingPathComponent("o.npy").path]
        expectFailure(try attribute(base + ["--method", "gradcam"]), mentioning: ["--method", "gradcam", "rectgrad-prr"])
        expectFailure(try attribute(base + ["--method", "rectgrad", "--percentile", "150"]), mentioning: ["--percentile", "150"])
        expectFailure(try attribute(base + ["--method", "rectgrad", "--percentile", "-1"]), mentioning: ["--percentile"])
        expectFailure(try attribute(base + ["--method", "integrated-gradients", "--steps", "0"]), mentioning: ["--steps"])
        expectFailure(try attribute(base + ["--method", "smoothgrad", "--samples", "0"]), mentioning: ["--samples"])
        expectFailure(try attribute(base + ["--method", "saliency", "--target", "10"]), mentioning: ["--target", "10", "0..<10"])
        expectFailure(try attribute(base + ["--method", "saliency", "--target", "1,2,3"]), mentioning: ["--target", "3 targets", "2 examples"])
        expectFailure(try attribute(base + ["--method", "saliency", "--target", "x"]), mentioning: ["--target"])
        expectFailure(try attribute(base + ["--method", "rectgrad", "--importance", "abs"]), mentioning: ["--importance"])
        expectFailure(try attribute(base + ["--method", "rectgrad", "--border-rule", "maybe"]), mentioning: ["--border-rule"])
        expectFailure(try attribute(base + ["--method", "rectgrad", "--interpolation", "cubic"]), mentioning: ["--interpolation"])
        expectFailure(try attribute(base + ["--method", "occlusion", "--window", "3,40,40"]), mentioning: ["--window"])
        expectFailure(try attribute(base.map { $0 == "cifar-cnn" ? "alexnet" : $0 } + ["--method", "saliency"]), mentioning: ["--model", "alexnet"])
        let wrong = folder.appendingPathComponent("wrong.npy")
        try NumPyFile.write(Tensor.zeros([1, 3, 30, 32]), to: wrong)
        expectFailure(
            try attribute(["--model", "cifar-cnn", "--input", wrong.path, "--method", "saliency", "--output", folder.appendingPathComponent("o.npy").path]),
            mentioning: ["--input", "[1, 3, 30, 32]", "[N, 3, 32, 32]"]
        )
    }

    @Test func helpListsTheMethodsAndDefaults() throws {
        let run = try attribute(["--help"])
        #expect(run.status == 0)
        for name in MethodName.allCases { #expect(run.output.contains(name.rawValue), "\(name)") }
        for option in ["--percentile", "--tau", "--importance", "--border-rule", "--steps", "--samples", "--noise-level", "--seed", "--epsilon", "--window", "--stride", "--target"] {
            #expect(run.output.contains(option), "\(option)")
        }
        #expect(run.output.contains("default: 98"))
    }
}
