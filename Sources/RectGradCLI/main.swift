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

do {
    var command = try RectGrad.parseAsRoot()
    try command.run()
} catch {
    NegativeNumberHint.exit(withError: error, arguments: Array(CommandLine.arguments.dropFirst()))
}
