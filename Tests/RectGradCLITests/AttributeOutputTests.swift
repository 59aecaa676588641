import Foundation
import Testing
import RectifiedGradient

/// `rectgrad attribute`: what `all` runs, progress, heatmap PNGs, classes by name and --top-k
/// (cifar-cnn with random weights of seed 0, the library's maps as the reference).
@Suite struct AttributeOutputTests {
    /// A scratch folder with a `[n, 3, 32, 32]` input `x.npy`.
    func scratch(examples: Int = 1) throws -> (folder: URL, input: String, x: Tensor) {
        let folder = try temporaryDirectory()
        let x = Tensor.randomUniform([examples, 3, 32, 32], low: -1, high: 1, seed: 31)
        let input = folder.appendingPathComponent("x.npy")
        try NumPyFile.write(x, to: input)
        return (folder, input.path, x)
    }

    func attribute(_ arguments: [String]) throws -> CLIResult {
        try rectgrad(["attribute", "--model", "cifar-cnn", "--random-weights"] + arguments)
    }

    func files(_ folder: URL) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
    }

    @Test func allLeavesOcclusionOutUnlessAskedFor() throws {
        let (folder, input, _) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = ["--input", input, "--steps", "2", "--samples", "2"]
        let plain = folder.appendingPathComponent("plain")
        let run = try attribute(base + ["--method", "all", "--output", plain.path])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(try files(plain) == Set(MethodName.allCases.filter { $0 != .occlusion }.map { "\($0.rawValue).npy" }))
        // Named explicitly, or with --window, occlusion joins.
        let named = folder.appendingPathComponent("named")
        #expect(try attribute(base + ["--method", "all,occlusion", "--stride", "8", "--output", named.path]).status == 0)
        #expect(try files(named).contains("occlusion.npy") && files(named).count == MethodName.allCases.count)
        let windowed = folder.appendingPathComponent("windowed")
        #expect(try attribute(base + ["--method", "all", "--window", "16", "--stride", "16", "--output", windowed.path]).status == 0)
        #expect(try files(windowed).count == MethodName.allCases.count)
        let help = try rectgrad(["attribute", "--help"])
        // The help wraps its lines where the method list ends; compare with the words joined.
        #expect(help.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains("every method but occlusion"))
    }

    @Test func progressReachesALogAtEveryStepWhenAskedTo() throws {
        let (folder, input, _) = try scratch(examples: 2)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try attribute(["--input", input, "--method", "saliency,integrated-gradients", "--steps", "4", "--chunk-size", "3",
                                 "--progress-interval", "0", "--output", folder.appendingPathComponent("maps").path])
        #expect(run.status == 0, "\(run.standardError)")
        // 2 examples × 4 steps in chunks of 3 rows.
        for line in ["progress: saliency (method 1/2)", "progress: integrated-gradients (method 2/2)",
                     "progress: integrated-gradients (method 2/2): 3/8 rows", "progress: integrated-gradients (method 2/2): 8/8 rows"] {
            #expect(run.standardError.contains(line + "\n"), "\(run.standardError)")
        }
        // Results stay on standard output.
        #expect(!run.standardOutput.contains("progress"))
        // By default (5 s between lines) a run this short prints none.
        let quiet = try attribute(["--input", input, "--method", "saliency", "--output", folder.appendingPathComponent("q.npy").path])
        #expect(quiet.status == 0 && !quiet.standardError.contains("progress:"))
    }

    @Test func aPNGOutputIsTheLibrarysHeatmap() throws {
        let (folder, input, x) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let scaling = try Zoo.entry(named: "cifar-cnn").preprocessing.scaling
        let photo = try RGBImage(tensor: x, scaling: scaling)
        let network = try Zoo.network(named: "cifar-cnn", seed: 0)
        let map = try network.attribute(x, method: .guidedBackprop).map
        for (sign, view) in [(HeatmapSign.all, HeatmapView.heatmap), (.positive, .blended), (.absolute, .masked)] {
            let output = folder.appendingPathComponent("map-\(sign)-\(view).png")
            let run = try attribute(["--input", input, "--method", "guided-backprop", "--heatmap-sign", sign.rawValue, "--heatmap-view", view.rawValue, "--output", output.path])
            #expect(run.status == 0, "\(run.standardError)")
            let written = try ImageDecoding.decode(contentsOf: output)
            // Guided backprop is not in the RectGrad family: the baseline final threshold (95, 99.5).
            let normalized = try Heatmap.normalizedMap(map, sign: sign, finalThreshold: (95, 99.5))
            #expect(written == (try Heatmap.render(normalized, sign: sign, view: view, image: photo)), "\(sign) \(view)")
        }
        // --final-threshold replaces the method's.
        let output = folder.appendingPathComponent("clipped.png")
        #expect(try attribute(["--input", input, "--method", "guided-backprop", "--final-threshold", "0,100", "--output", output.path]).status == 0)
        let unclipped = try Heatmap.render(try Heatmap.normalizedMap(map, sign: .all, finalThreshold: (0, 100)), sign: .all)
        #expect(try ImageDecoding.decode(contentsOf: output) == unclipped)
    }

    @Test func classesByNameAndTopK() throws {
        let (folder, input, x) = try scratch(examples: 2)
        defer { try? FileManager.default.removeItem(at: folder) }
        let network = try Zoo.network(named: "cifar-cnn", seed: 0)
        // "cat" is CIFAR-10 class 3; a list gives one class per example.
        let byName = folder.appendingPathComponent("name.npy")
        let run = try attribute(["--input", input, "--method", "saliency", "--target", "cat,Truck", "--output", byName.path])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(try NumPyFile.read(contentsOf: byName) == network.attribute(x, method: .saliency, targets: .perExample([3, 9])).map)
        #expect(run.standardOutput.contains("targets 3,9 (cat, truck)"))

        // --top-k 2: a file per example and class, named with the class, holding that class's map.
        let top = folder.appendingPathComponent("top")
        let topRun = try attribute(["--input", input, "--method", "saliency", "--top-k", "2", "--format", "both", "--output", top.path])
        #expect(topRun.status == 0, "\(topRun.standardError)")
        let ranked = try Zoo.entry(named: "cifar-cnn").model(seed: 0).topClasses(network.logits(for: x), k: 2)
        for example in 0..<2 {
            for score in ranked[example] {
                let stem = "saliency-\(example)-\(score.index)-\(CIFAR10Classes.names[score.index])"
                let file = top.appendingPathComponent("\(stem).npy")
                let expected = try network.attribute(x, method: .saliency, targets: .all(score.index)).map.example(example)
                #expect(try NumPyFile.read(contentsOf: file).scalars == expected.scalars, "\(stem)")
                #expect(FileManager.default.fileExists(atPath: top.appendingPathComponent("\(stem).png").path), "\(stem)")
            }
        }
        #expect(try files(top).count == 8)
    }

    @Test func outputMistakesAreNamed() throws {
        let (folder, input, _) = try scratch(examples: 2)
        defer { try? FileManager.default.removeItem(at: folder) }
        let png = folder.appendingPathComponent("m.png").path
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency", "--output", png]), mentioning: ["--output", "2", "folder"])
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency,deeplift", "--output", png]), mentioning: ["--output", "2 methods", "folder"])
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency", "--top-k", "2", "--output", png]), mentioning: ["--top-k", "folder"])
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency", "--format", "png", "--output", folder.appendingPathComponent("m.npy").path]), mentioning: ["--format png"])
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency", "--target", "automobil", "--output", folder.path + "/a.npy"]), mentioning: ["--target", "automobil", "did you mean 'automobile'"])
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency", "--target", "3", "--top-k", "2", "--output", folder.path]), mentioning: ["--target", "--top-k"])
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency", "--top-k", "0", "--output", folder.path]), mentioning: ["--top-k"])
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency", "--heatmap-sign", "both", "--output", png]), mentioning: ["--heatmap-sign", "positive"])
        expectCleanFailure(try attribute(["--input", input, "--method", "saliency", "--final-threshold", "90,10", "--output", png]), mentioning: ["final-threshold"])
    }
}
