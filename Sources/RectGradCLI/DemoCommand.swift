import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad demo`: the paper's figures on the built-in dataset with the shipped model, no files or
/// network needed.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Explain held-out images of the built-in shapes dataset with the shipped model and every method.",
        discussion: """
        Needs nothing outside the package: the procedural shapes dataset (32×32, 10 classes, \
        cluttered backgrounds, exact object masks) is generated from a seed and the shipped \
        cifar-cnn was trained on it by this library (`rectgrad train`). Writes report.html with the \
        comparison figure (with and without the baseline final threshold), the threshold-percentile \
        sweep, and the table of attribution outside the object mask and total variation per method.
        """
    )

    @Option(name: .long, help: ArgumentHelp("The output folder.", valueName: "dir"))
    var out = "rectgrad-demo"

    @Option(name: .long, help: ArgumentHelp("Weights for cifar-cnn instead of the shipped ones.", valueName: "file"))
    var weights: String?

    @Option(name: .long, help: ArgumentHelp("shapes, or shapes-patch for the training-dataset occlusion experiment (with --weights of a model trained by `rectgrad train --dataset shapes-patch`).", valueName: "name"))
    var dataset: TrainCommand.DatasetName = .shapes

    @Option(name: .long, help: ArgumentHelp("Images the metrics table averages over.", valueName: "n"))
    var metricsImages = 40

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    func validate() throws {
        if metricsImages < 10 { throw ValidationError("--metrics-images must be at least 10 (one image per class is shown).") }
        try FileAccess.checkOutputFolder(out, option: "--out")
    }

    func run() throws {
        let workers = threadOptions.workers()
        let network = try ModelOptions.load(
            entry: Zoo.entry(named: ShippedModel.architecture), weights: weights, randomWeights: false, weightSeed: 0,
            allowExtraWeights: false).model.network
        let description = weights.map { "weights \(($0 as NSString).lastPathComponent)" }
            ?? "shipped weights trained by `rectgrad train` (\(ShippedModel.recipe.trainCount) images, \(ShippedModel.recipe.epochs) epochs)"
        var configuration = DemoConfiguration()
        configuration.metricsImages = metricsImages
        configuration.style = dataset.style
        if dataset == .shapesPatch && weights == nil {
            CLIInputs.note("the shipped model was trained without the patch; pass --weights of a model trained with `rectgrad train --dataset shapes-patch`")
        }
        let progress = ProgressLine()
        var step = 0
        let result = try Demo(network: network, weightsDescription: description, configuration: configuration, workers: workers)
            .run(writingTo: URL(fileURLWithPath: out)) { status in
                progress.update("demo [\(step)/4] \(status)")
                step += 1
            }
        progress.clear()
        print(String(format: "\(weights == nil ? "shipped model" : "model") test accuracy: %.1f %% (%d held-out images)", result.accuracy * 100, configuration.accuracyImages))
        print(String(format: "report: %@ (%.1f s)", result.reportURL.path, result.seconds))
    }
}
