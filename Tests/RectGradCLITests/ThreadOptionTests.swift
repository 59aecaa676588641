import Foundation
import Testing
import RectifiedGradient

/// `--threads N` (issue 15, item 6): on every command that computes, and absurd counts refused
/// with an error naming the option (or the environment variable it falls back to).
@Suite struct ThreadOptionTests {
    /// Every subcommand that runs a network, as typed after `rectgrad`.
    static let computingCommands: [[String]] = [
        ["attribute"], ["predict"], ["explain"], ["evaluate"], ["demo"], ["train"],
        ["experiment", "feature-occlusion"], ["experiment", "roar-kar"], ["experiment", "threshold-sweep"], ["experiment", "adversarial"],
    ]

    @Test("the help of every computing command lists --threads", arguments: computingCommands)
    func helpListsTheOption(_ command: [String]) throws {
        let result = try rectgrad(command + ["--help"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("--threads <n>"), "\(command.joined(separator: " ")) --help: \(result.standardOutput)")
    }

    @Test("absurd counts are refused naming --threads", arguments: ["0", "-3", "4097", "1000000", "two"])
    func absurdCounts(_ value: String) throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("x.npy")
        try NumPyFile.write(Tensor.randomUniform([1, 3, 32, 32], low: -1, high: 1, seed: 3), to: input)
        let expected = Int(value) == nil ? "--threads" : "--threads must be a number of threads in 1...4096, got \(value)"
        expectCleanFailure(try rectgrad(["predict", "--model", "cifar-cnn", "--input", input.path, "--threads=\(value)"]), mentioning: [expected])
        expectCleanFailure(try rectgrad(["train", "--train-count", "10", "--test-count", "10", "--epochs", "1", "--threads=\(value)"]), mentioning: [expected])
    }

    @Test("an absurd RECTGRAD_WORKERS is refused naming it; --threads takes precedence over it")
    func environmentVariable() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("x.npy")
        try NumPyFile.write(Tensor.randomUniform([1, 3, 32, 32], low: -1, high: 1, seed: 3), to: input)
        let arguments = ["predict", "--model", "cifar-cnn", "--input", input.path]
        expectCleanFailure(try rectgrad(arguments, environment: ["RECTGRAD_WORKERS": "0"]), mentioning: ["RECTGRAD_WORKERS must be a number of threads in 1...4096, got 0"])
        expectCleanFailure(try rectgrad(arguments, environment: ["RECTGRAD_WORKERS": "many"]), mentioning: ["RECTGRAD_WORKERS='many' is not a whole number"])
        let overridden = try rectgrad(arguments + ["--threads", "1"], environment: ["RECTGRAD_WORKERS": "0"])
        #expect(overridden.status == 0, "\(overridden.standardError)")
        let plain = try rectgrad(arguments + ["--threads", "2"])
        #expect(plain.status == 0 && plain.standardOutput == overridden.standardOutput, "\(plain.standardError)")
    }
}
