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
