import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad experiment`: the paper's retraining and feature-map experiments on the built-in dataset.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run the paper's experiments: ROAR/KAR, feature-map occlusion, the adversarial attack, the threshold sweep.",
        subcommands: [
            RoarKarCommand.self, FeatureOcclusionCommand.self,
            ExperimentAdversarialCommand.self,
            ExperimentThresholdSweepCommand.self,
        ]
    )
}

/// Options shared by the experiments.
struct ExperimentOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Weights of the explained cifar-cnn instead of the shipped ones.", valueName: "file"))
    var weights: String?

    @Option(name: .long, help: ArgumentHelp("Seeds the images, initial weights, shuffling and random orders.", valueName: "n"))
    var seed: UInt64 = ShippedModel.recipe.seed

    @Option(name: .long, help: ArgumentHelp("The output folder (results.md, results.csv, PNG charts).", valueName: "dir"))
    var out: String

    func validate() throws {
        try FileAccess.checkOutputFolder(out, option: "--out")
    }

    /// The explained cifar-cnn: --weights, or the shipped weights.
    func network() throws -> Network {
        try ModelOptions.load(entry: Zoo.entry(named: ShippedModel.architecture), weights: weights, randomWeights: false, weightSeed: 0, allowExtraWeights: false).model.network
    }

    var weightsDescription: String { weights.map { "weights \(($0 as NSString).lastPathComponent)" } ?? "the shipped cifar-cnn" }

    func write(_ text: String, to name: String) throws {
        try FileAccess.createFolder(out, option: "--out")
        try FileAccess.write(Data(text.utf8), to: URL(fileURLWithPath: out).appendingPathComponent(name).path, option: "--out")
    }

    func write(_ chart: LineChart, to name: String) throws {
        try FileAccess.createFolder(out, option: "--out")
        try FileAccess.write(chart.render().encodePNG(), to: URL(fileURLWithPath: out).appendingPathComponent(name).path, option: "--out")
    }
}

/// `rectgrad experiment feature-occlusion`.
struct FeatureOcclusionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feature-occlusion",
        abstract: "Occlude growing fractions of one layer's background (or object) activations and report the logit gap.",
        discussion: """
        For --images held-out images, runs the explained model up to --layer; a position of that \
        layer's map is background when its block of the input holds no object pixel. Sets a growing \
        fraction of the background positions (all channels) to zero — in a seeded random order or \
        from the highest gradient importance Σ_c a·∂S/∂a down — and, as a control, of the object \
        positions, then reports the mean gap between the true-class logit and the best other logit \
        and the accuracy. Writes results.md, results.csv and gap.png into --out.

        --protocol paper (the default) runs the paper's notebook instead: the first \
        convolution's output (relu1); every background UNIT (channel × position) is occluded in \
        random order, 100 fractions from 0 to 1, logits averaged over --orders random orders, on \
        --images-per-class correctly classified held-out images of each class. --protocol quick \
        runs the protocol above (positions, four orders, --images, --layer relu4).
        """
    )

    @OptionGroup var common: ExperimentOptions

    @Option(name: .long, help: ArgumentHelp("The occluded layer (relu1…relu4, pool1, pool2; paper: relu1, quick: relu4).", valueName: "name"))
    var layer: String?

    @Option(name: .customLong("protocol"), help: ArgumentHelp("paper (the notebook's) or quick (the earlier one).", valueName: "name"))
    var experimentProtocol: ExperimentProtocol = .paper

    @OptionGroup var paper: PaperFeatureOcclusionOptions

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    @Option(name: .long, help: ArgumentHelp("Held-out images.", valueName: "n"))
    var images = 500

    func run() throws {
        let workers = threadOptions.workers()
        if experimentProtocol == .paper { return try runPaper(workers: workers) }
        var configuration = FeatureOcclusionConfiguration()
        configuration.layer = layer ?? "relu4"
        configuration.seed = common.seed
        try configuration.validate()
        if images < 1 { throw ValidationError("--images must be at least 1.") }
        let network = try common.network()
        let test = try ShapesDataset(split: .test, count: images, seed: common.seed)
        let masks = try (0..<images).map { try test.mask(at: $0) }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try FeatureMapOcclusion(network: network, configuration: configuration, workers: workers).run(images: test.images, masks: masks, labels: test.labels)
        let elapsed = clock.now - start
        let markdown = ExperimentTables.markdown(result)
        print("feature-map occlusion of \(configuration.layer), \(images) held-out images (seed \(common.seed)), explained model: \(common.weightsDescription)")
        print(markdown)
        print(String(format: "%.1f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        try common.write(markdown, to: "results.md")
        try common.write(ExperimentTables.csv(result), to: "results.csv")
        try common.write(ExperimentTables.chart(result), to: "gap.png")
        print("wrote results.md, results.csv and gap.png to \(common.out)")
    }
}
