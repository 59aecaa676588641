import Foundation
import Testing

@Test func experimentHelpListsBothExperiments() throws {
    let root = try rectgrad(["--help"])
    #expect(root.status == 0 && root.standardOutput.contains("  experiment "))
    let help = try rectgrad(["experiment", "--help"])
    #expect(help.status == 0)
    #expect(help.standardOutput.contains("roar-kar") && help.standardOutput.contains("feature-occlusion"))
    let roar = try rectgrad(["experiment", "roar-kar", "--help"])
    #expect(roar.standardOutput.contains("--percentages") && roar.standardOutput.contains("--train-count"))
}

@Test func experimentErrorsNameTheOption() throws {
    let unknown = try rectgrad(["experiment", "roar-kar", "--out", "/tmp/unused", "--methods", "nope"])
    #expect(unknown.status != 0 && unknown.standardError.contains("--methods"))
    let layer = try rectgrad(["experiment", "feature-occlusion", "--out", FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-unused").path, "--images", "2", "--layer", "conv9"])
    #expect(layer.status != 0 && layer.standardError.contains("--layer"))
}

@Test func paperRoarKarOptionsAreCheckedByName() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-roar-unused-\(UUID().uuidString)").path
    for (arguments, option) in [
        (["--percentages", "100"], "--percentages"), (["--percentages", "0"], "--percentages"),
        (["--repeats", "0"], "--repeats"), (["--methods", "nope"], "--methods"),
        (["--cells", "2/2"], "--cells"), (["--cells", "1of2"], "--cells"), (["--protocol", "fast"], "--protocol"),
    ] {
        let result = try rectgrad(["experiment", "roar-kar", "--out", out] + arguments)
        #expect(result.status != 0 && result.standardError.contains(option), "\(arguments): \(result.standardError)")
    }
    #expect(!FileManager.default.fileExists(atPath: out + "/cells"))
    let quick = try rectgrad(["experiment", "roar-kar", "--out", out, "--protocol", "quick", "--cells", "0/2"])
    #expect(quick.status != 0 && quick.standardError.contains("--cells"))
}

@Test func collectNeedsARunFolder() throws {
    let folder = try temporaryDirectory()
    let result = try rectgrad(["experiment", "roar-kar", "collect", folder.path])
    #expect(result.status != 0 && result.standardError.contains("protocol.json"))
    let missing = try rectgrad(["experiment", "roar-kar", "collect", folder.appendingPathComponent("absent").path])
    #expect(missing.status != 0 && missing.standardError.contains("not a folder"))
}

@Test func paperFeatureOcclusionOptionsAreCheckedByName() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-unused").path
    for (arguments, option) in [(["--orders", "0"], "--orders"), (["--fractions", "0"], "--fractions"), (["--images-per-class", "0"], "--images-per-class")] {
        let result = try rectgrad(["experiment", "feature-occlusion", "--out", out] + arguments)
        #expect(result.status != 0 && result.standardError.contains(option), "\(arguments): \(result.standardError)")
    }
}
