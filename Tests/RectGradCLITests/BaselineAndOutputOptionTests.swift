import Foundation
import Testing
import RectifiedGradient

/// `--baseline`, `--integration`, `--explained-output` and `layer-integrated-gradients` on
/// `rectgrad attribute` / `explain` (cifar-cnn with random weights of seed 0, whose input scaling
/// maps pixel 0 to −1).
@Suite struct BaselineAndOutputOptionTests {
    let cli = AttributeCommandTests()

    @Test func baselinesReachTheMethods() throws {
        let (folder, input, x) = try cli.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let network = try Zoo.network(named: "cifar-cnn", seed: 0)
        let file = folder.appendingPathComponent("baseline.npy")
        let fileBaseline = Tensor.randomUniform([3, 32, 32], low: -0.5, high: 0.5, seed: 77)
        try NumPyFile.write(fileBaseline, to: file)
        let cases: [([String], AttributionMethod)] = try [
            (["--method", "integrated-gradients", "--steps", "3", "--baseline", "constant:0.5"], .integratedGradients(steps: 3, baseline: .constant(0.5))),
            (["--method", "integrated-gradients", "--steps", "3", "--integration", "gauss-legendre"], AttributionMethod.saliency.integratedGaussLegendre(points: 3)),
            (["--method", "deeplift", "--baseline", "blur:1.5"], .deepLIFT(baseline: Baseline.blurred(x, sigma: 1.5))),
            // Black pixels are −1 in cifar-cnn's input space.
            (["--method", "occlusion", "--window", "3,8,8", "--stride", "8", "--baseline", "black"], .occlusion(window: [3, 8, 8], stride: [1, 8, 8], baseline: .constant(-1))),
            (["--method", "gradient-shap", "--samples", "3", "--baseline", file.path], .gradientSHAP(samples: 3, baselines: [.tensor(fileBaseline)])),
            (["--method", "layer-integrated-gradients", "--steps", "4", "--integration", "gauss-legendre", "--layer", "relu2"],
             .layerIntegratedGradients(layer: "relu2", quadrature: .gaussLegendre(points: 4))),
            (["--method", "layer-integrated-gradients", "--steps", "3", "--baseline", "constant:0.25"],
             .layerIntegratedGradients(quadrature: .riemannRight(steps: 3), baseline: .constant(0.25))),
        ]
        for (arguments, method) in cases {
            let output = folder.appendingPathComponent("out.npy")
            let run = try cli.attribute(["--model", "cifar-cnn", "--input", input.path, "--target", "4", "--output", output.path, "--overwrite"] + arguments)
            #expect(run.status == 0, "\(arguments): \(run.error)")
            let expected = try network.attribute(x, method: method, targets: .all(4)).map
            let map = try NumPyFile.read(contentsOf: output)
            #expect(try map.relativeL2Distance(to: expected) <= 1e-6, "\(arguments)")
            #expect(map.l2Norm() > 0, "\(arguments)")
        }
    }

    /// A uniform-noise baseline is seeded: the same seed gives the same map, another seed another.
    @Test func uniformNoiseIsSeeded() throws {
        let (folder, input, x) = try cli.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        func run(_ baseline: String) throws -> Tensor {
            let output = folder.appendingPathComponent("\(baseline).npy")
            let result = try cli.attribute(["--model", "cifar-cnn", "--input", input.path, "--method", "integrated-gradients", "--steps", "2",
                                            "--baseline", baseline, "--output", output.path, "--overwrite"])
            #expect(result.status == 0, "\(result.error)")
            return try NumPyFile.read(contentsOf: output)
        }
        let a = try run("uniform-noise:3"), b = try run("uniform-noise:3"), c = try run("uniform-noise:4")
        #expect(a == b)
        #expect(a != c)
        let zero = try Zoo.network(named: "cifar-cnn", seed: 0).attribute(x, method: .integratedGradients(steps: 2)).map
        #expect(a != zero)
    }

    @Test func explainedOutputsReachTheSession() throws {
        let (folder, input, x) = try cli.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let network = try Zoo.network(named: "cifar-cnn", seed: 0)
        // cifar-cnn's class 3 is "cat".
        let cases: [([String], ExplainedOutput)] = [
            (["--explained-output", "probability"], .probability),
            (["--explained-output", "log-probability"], .logProbability),
            (["--explained-output", "contrast:3"], .logitDifference(against: [3])),
            (["--explained-output", "contrast:cat"], .logitDifference(against: [3])),
        ]
        for (arguments, output) in cases {
            let path = folder.appendingPathComponent("out.npy")
            let run = try cli.attribute(["--model", "cifar-cnn", "--input", input.path, "--method", "saliency", "--target", "5", "--output", path.path, "--overwrite"] + arguments)
            #expect(run.status == 0, "\(arguments): \(run.error)")
            let expected = try AttributionSession(network: network, input: x, targets: .all(5), output: output).attribute(.saliency).map
            #expect(try NumPyFile.read(contentsOf: path) == expected, "\(arguments)")
        }
    }

    @Test func absurdValuesNameTheOption() throws {
        let (folder, input, _) = try cli.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let wrong = folder.appendingPathComponent("wrong.npy")
        try NumPyFile.write(Tensor.zeros([3, 16, 16]), to: wrong)
        let base = ["--model", "cifar-cnn", "--input", input.path, "--output", folder.appendingPathComponent("o.npy").path, "--method", "integrated-gradients"]
        let failures: [([String], [String])] = [
            (["--baseline", "constant:nan"], ["--baseline", "finite"]),
            (["--baseline", "constant:1e30"], ["--baseline"]),
            (["--baseline", "constant:"], ["--baseline"]),
            (["--baseline", "blur:0"], ["--baseline", "(0, 1000]"]),
            (["--baseline", "blur:-2"], ["--baseline"]),
            (["--baseline", "blurr:2"], ["--baseline", "did you mean 'blur'"]),
            (["--baseline", "zero:1"], ["--baseline", "no value"]),
            (["--baseline", "uniform-noise:-1"], ["--baseline", "seed"]),
            (["--baseline", folder.appendingPathComponent("missing.npy").path], ["--baseline", "missing.npy"]),
            (["--baseline", wrong.path], ["--baseline", "[3, 16, 16]"]),
            (["--integration", "simpson"], ["--integration"]),
            (["--explained-output", "prob"], ["--explained-output", "did you mean 'probability'"]),
            (["--explained-output", "contrast"], ["--explained-output", "contrast:CLASS"]),
            (["--explained-output", "contrast:10"], ["--explained-output", "outside"]),
            (["--explained-output", "contrast:unicorn"], ["--explained-output", "unicorn"]),
            (["--explained-output", "logit:2"], ["--explained-output", "no value"]),
            (["--method", "layer-integrated-gradients", "--layer", "features.99", "--steps", "2"], ["--layer", "features.99"]),
        ]
        for (arguments, fragments) in failures {
            cli.expectFailure(try cli.attribute(base + arguments), mentioning: fragments)
        }
    }

    @Test func explainTakesTheOptions() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = folder.appendingPathComponent("picture.png")
        try RGBImage(tensor: Tensor.randomUniform([1, 3, 32, 32], low: -1, high: 1, seed: 41), scaling: .minusOneToOne).writePNG(to: image)
        let out = folder.appendingPathComponent("report")
        let run = try rectgrad(["explain", "--model", "cifar-cnn", "--random-weights", image.path, "--methods", "integrated-gradients,layer-integrated-gradients",
                                "--steps", "2", "--baseline", "blur:2", "--explained-output", "log-probability", "--out", out.path])
        #expect(run.status == 0, "\(run.standardError)")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("log-probability") && html.contains("blur:2.0"))
        let bad = try rectgrad(["explain", "--model", "cifar-cnn", "--random-weights", image.path, "--baseline", "fog", "--out", out.path])
        #expect(bad.status != 0 && bad.standardError.contains("--baseline"), "\(bad.standardError)")
    }
}
