import Foundation
import Testing
import RectifiedGradient

/// `rectgrad explain` with the method and class options it shares with `attribute`
/// (cifar-cnn with random weights, a 32×32 picture).
@Suite struct ExplainCommandTests {
    func scratch() throws -> (folder: URL, image: String) {
        let folder = try temporaryDirectory()
        let x = Tensor.randomUniform([1, 3, 32, 32], low: -1, high: 1, seed: 41)
        let image = folder.appendingPathComponent("picture.png")
        try RGBImage(tensor: x, scaling: .minusOneToOne).writePNG(to: image)
        return (folder, image.path)
    }

    func explain(_ arguments: [String]) throws -> CLIResult {
        try rectgrad(["explain", "--model", "cifar-cnn", "--random-weights"] + arguments)
    }

    func pngs(_ folder: URL) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".png") && $0 != "comparison.png" })
    }

    @Test func methodOptionsTargetsAndProgress() throws {
        let (folder, image) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("report")
        let run = try explain([image, "--methods", "saliency,occlusion,rectgrad-const", "--window", "3,8,8", "--stride", "8", "--tau", "0.5",
                               "--target", "dog", "--progress-interval", "0", "--out", out.path])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("picture.png: dog ("), "\(run.standardOutput)")
        #expect(try pngs(out) == ["picture-saliency.png", "picture-occlusion.png", "picture-rectgrad-const.png"])
        for line in ["progress: image 1/1 picture.png", "progress: image 1/1 picture.png: occlusion (method 2/3)", "occlusion (method 2/3): 16/16 rows"] {
            #expect(run.standardError.contains(line), "\(line): \(run.standardError)")
        }
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("dog"))
    }

    @Test func allWithoutWindowLeavesOcclusionOut() throws {
        let (folder, image) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("report")
        let run = try explain([image, "--methods", "all", "--steps", "2", "--samples", "2", "--out", out.path])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(try pngs(out) == Set(MethodName.allCases.filter { $0 != .occlusion }.map { "picture-\($0.rawValue).png" }))
    }

    @Test func topKExplainsEachClass() throws {
        let (folder, image) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("report")
        let run = try explain([image, "--methods", "saliency", "--top-k", "3", "--out", out.path])
        #expect(run.status == 0, "\(run.standardError)")
        // The three most probable classes, in order.
        let model = try Zoo.entry(named: "cifar-cnn").model(seed: 0)
        let decoded = try ImageDecoding.decode(contentsOf: URL(fileURLWithPath: image))
        let top = try model.topClasses(model.network.logits(for: model.input(from: [decoded])), k: 3)[0]
        let lines = run.standardOutput.split(separator: "\n").filter { $0.hasPrefix("picture-top") }
        for (rank, score) in top.enumerated() {
            #expect(lines.count == 3 && lines[rank].hasPrefix("picture-top\(rank + 1).png: \(score.name) ("), "\(lines)")
        }
        #expect(try pngs(out) == ["picture-top1-saliency.png", "picture-top2-saliency.png", "picture-top3-saliency.png"])
    }

    @Test func mistakesAreNamed() throws {
        let (folder, image) = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("report").path
        expectCleanFailure(try explain([image, "--target", "unicorn", "--out", out]), mentioning: ["--target", "no class 'unicorn'"])
        expectCleanFailure(try explain([image, "--target", "1,2", "--out", out]), mentioning: ["--target", "2 targets for 1 images"])
        expectCleanFailure(try explain([image, "--epsilon=-1", "--out", out]), mentioning: ["--epsilon"])
        expectCleanFailure(try explain([image, "--window", "0", "--out", out]), mentioning: ["--window"])
        expectCleanFailure(try explain([image, "--percentile", "-5", "--out", out]), mentioning: ["write --percentile=-5"])
    }
}
