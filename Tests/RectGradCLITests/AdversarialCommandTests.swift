import Foundation
import RectifiedGradient
import Testing

@Test func experimentHelpListsTheAdversarialExperimentAndTheSweep() throws {
    let help = try rectgrad(["experiment", "--help"])
    #expect(help.status == 0)
    #expect(help.standardOutput.contains("adversarial") && help.standardOutput.contains("threshold-sweep"))
    let adversarial = try rectgrad(["experiment", "adversarial", "--help"])
    for option in ["--attack", "--epsilon", "--step-size", "--steps", "--random-start", "--target-class", "--methods", "--shapes-count", "--out"] {
        #expect(adversarial.standardOutput.contains(option), "\(option) missing from the help")
    }
}

@Test func badAttackSettingsNameTheOption() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-unused-adversarial").path
    let base = ["experiment", "adversarial", "--shapes-count", "2", "--out", out]
    expectCleanFailure(try rectgrad(base + ["--epsilon=-0.01"]), mentioning: ["--epsilon"])
    expectCleanFailure(try rectgrad(base + ["--epsilon", "1.5"]), mentioning: ["--epsilon"])
    expectCleanFailure(try rectgrad(base + ["--epsilon", "4/0"]), mentioning: ["--epsilon"])
    expectCleanFailure(try rectgrad(base + ["--steps", "0"]), mentioning: ["--steps"])
    expectCleanFailure(try rectgrad(base + ["--step-size", "0"]), mentioning: ["--step-size"])
    expectCleanFailure(try rectgrad(base + ["--attack", "fgsm", "--steps", "3"]), mentioning: ["--steps", "FGSM"])
    expectCleanFailure(try rectgrad(base + ["--attack", "fgsm", "--step-size", "0.01"]), mentioning: ["--step-size"])
    expectCleanFailure(try rectgrad(base + ["--attack", "bim"]), mentioning: ["--attack"])
    expectCleanFailure(try rectgrad(base + ["--target-class", "10"]), mentioning: ["--target-class"])
    expectCleanFailure(try rectgrad(base + ["--target-class", "dog"]), mentioning: ["--target-class"])
    expectCleanFailure(try rectgrad(base + ["--methods", "rectgard"]), mentioning: ["--methods"])
    expectCleanFailure(try rectgrad(["experiment", "adversarial", "--out", out]), mentioning: ["--shapes-count"])
    #expect(!FileManager.default.fileExists(atPath: out))
}

@Test func adversarialRunOnShapesWritesOneFileNamePerImageForBothMaps() throws {
    let out = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: out) }
    let run = try rectgrad(["experiment", "adversarial", "--shapes-count", "6", "--epsilon", "16/255", "--methods", "saliency,rectgrad", "--out", out.path])
    #expect(run.status == 0, "\(run.standardError)")
    let csv = try String(contentsOf: out.appendingPathComponent("results.csv"), encoding: .utf8)
    let lines = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    // Columns: n, image, …, decision_changed (7), …, method (10).
    let changed = Set(lines.filter { $0[7] == "true" }.map { $0[0] })
    let unchanged = Set(lines.filter { $0[7] == "false" }.map { $0[0] })
    #expect(changed.count + unchanged.count == 6)
    #expect(!changed.isEmpty, "ε = 16/255 should change some decisions")
    #expect(run.standardOutput.contains("failed attacks (left out): \(unchanged.count)"))
    let fileManager = FileManager.default
    for method in ["saliency", "rectgrad"] {
        for threshold in ["threshold", "no-threshold"] {
            for kind in ["original", "adversarial", "adversarial-old-class"] {
                let folder = out.appendingPathComponent(method).appendingPathComponent(threshold).appendingPathComponent(kind)
                let names = Set(try fileManager.contentsOfDirectory(atPath: folder.path))
                #expect(names == Set(changed.map { "\($0).png" }), "\(method)/\(threshold)/\(kind)")
            }
        }
    }
    // The baselines' "threshold" picture differs from the "no-threshold" one; RectGrad's are equal.
    let n = changed.sorted()[0]
    func picture(_ method: String, _ threshold: String) throws -> Data {
        try Data(contentsOf: out.appendingPathComponent("\(method)/\(threshold)/original/\(n).png"))
    }
    #expect(try picture("saliency", "threshold") != picture("saliency", "no-threshold"))
    #expect(try picture("rectgrad", "threshold") == picture("rectgrad", "no-threshold"))
    for file in ["report.html", "summary.csv", "summary.md", "figure.png", "images/\(n)-adversarial.png"] {
        #expect(fileManager.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
    }
}

@Test func thresholdSweepChecksItsOptionsAndWritesOneMapPerSetting() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let picture = try RGBImage(width: 32, height: 32, pixels: (0..<(32 * 32 * 3)).map { UInt8(($0 * 37) % 256) })
    let image = folder.appendingPathComponent("pattern.png")
    try picture.writePNG(to: image)
    let out = folder.appendingPathComponent("sweep")
    let base = ["experiment", "threshold-sweep", image.path, "--model", "cifar-cnn", "--out", out.path]
    expectCleanFailure(try rectgrad(base + ["--percentiles", "0,101"]), mentioning: ["--percentiles"])
    expectCleanFailure(try rectgrad(base + ["--percentiles", "10,x"]), mentioning: ["--percentiles"])
    expectCleanFailure(try rectgrad(base + ["--percentiles", "10,10"]), mentioning: ["given twice"])
    expectCleanFailure(try rectgrad(base + ["--taus", "nan"]), mentioning: ["--taus"])
    expectCleanFailure(try rectgrad(base + ["--percentiles", "", "--taus", ""]), mentioning: ["at least one"])
    expectCleanFailure(try rectgrad(base + ["--top-k", "2"]), mentioning: ["--top-k"])

    let run = try rectgrad(base)
    #expect(run.status == 0, "\(run.standardError)")
    let maps = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("maps").path).sorted()
    #expect(maps == (["0", "10", "20", "80", "90", "95", "99"].map { "pattern-rectgrad-q\($0).png" } + ["pattern-rectgrad-const-tau0.png"]).sorted())
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.html").path))
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("sweep.png").path))
}
