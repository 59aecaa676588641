import ArgumentParser
import RectifiedGradient

/// The `rectgrad` command-line tool.
///
/// `main.swift` is top-level code, so the entry point is the explicit call at the end of this file
/// (an `@main` attribute is not allowed in a module with a `main.swift` and other source files).
struct RectGrad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rectgrad",
        abstract: "Explain convolutional networks with Rectified Gradient and other attribution methods.",
        version: RectifiedGradientVersion.string,
        subcommands: [
            DemoCommand.self,
            ExplainCommand.self,
            AttributeCommand.self,
            PredictCommand.self,
            ModelsCommand.self,
            TrainCommand.self,
            ConvertPthCommand.self,
            ExperimentCommand.self,
            EvaluateCommand.self,
            ReportCommand.self,
            DatasetCommand.self,
        ]
    )
}

// The command owns its process: OpenBLAS is held to one thread and its helper threads, started
// when it loaded and still polling for work, are ended before anything else runs (the library's
// kernels split products among their own workers; see `ThreadOptions`).
ThreadOptions.holdOpenBLASToOneThread()

do {
    var command = try RectGrad.parseAsRoot()
    try command.run()
} catch {
    NegativeNumberHint.exit(withError: error, arguments: Array(CommandLine.arguments.dropFirst()))
}
