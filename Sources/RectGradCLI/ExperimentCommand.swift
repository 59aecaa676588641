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

/// `rectgrad experiment roar-kar`.
struct RoarKarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roar-kar",
        abstract: "Remove (ROAR) or keep (KAR) the top p % pixels of every image by each method's attribution, retrain, report test accuracy.",
        discussion: """
        Ranks the pixels of --train-count training and --test-count held-out images by the \
        channel-summed attribution of the explained model (the shipped cifar-cnn unless --weights) \
        for the true class (RectGrad family: positive part only), or in a seeded random order; \
        replaces the top p % (ROAR) or all but the top p % (KAR) by the per-channel mean of the \
        training images; retrains cifar-cnn from the same seeded initial weights for --epochs with \
        Adam; reports the accuracy on the equally modified held-out images. Writes results.md, \
        results.csv, roar.png and kar.png into --out. Every cell is one full training: the run \
        costs (rankings × percentages × 2 + 1) trainings.
        """
    )

    @OptionGroup var common: ExperimentOptions

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Rankings: method names and/or random.", valueName: "name"))
    var methods: [String] = ["rectgrad", "saliency", "gradient-x-input", "guided-backprop", "integrated-gradients", "random"]

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Percentages p of ranked pixels.", valueName: "p"))
    var percentages: [Double] = [10, 30, 50, 70, 90]

    @Option(name: .long, help: ArgumentHelp("Training images.", valueName: "n"))
    var trainCount = 10_000

    @Option(name: .long, help: ArgumentHelp("Held-out images.", valueName: "n"))
    var testCount = 2_000

    @Option(name: .long, help: ArgumentHelp("Epochs per retraining.", valueName: "n"))
    var epochs = 2

    @Option(name: .long, help: ArgumentHelp("Examples per mini-batch.", valueName: "n"))
    var batchSize = 100

    @Option(name: .long, help: ArgumentHelp("Adam's learning rate.", valueName: "lr"))
    var learningRate: Float = 1e-3

    @Option(name: .long, help: ArgumentHelp("Integrated-gradients steps.", valueName: "m"))
    var igSteps = 50

    @Option(name: .long, help: ArgumentHelp("SmoothGrad samples.", valueName: "n"))
    var smoothgradSamples = 50

    @Flag(name: .long, help: "Skip the retraining on unmodified images.")
    var skipUnmodified = false

    func run() throws {
        var configuration = RemoveAndRetrainConfiguration()
        configuration.rankings = try methods.flatMap { $0.split(separator: ",").map(String.init) }.map { try PixelRankingSource(parsing: $0) }
        configuration.percentages = percentages
        configuration.trainCount = trainCount
        configuration.testCount = testCount
        configuration.seed = common.seed
        configuration.epochs = epochs
        configuration.batchSize = batchSize
        configuration.learningRate = learningRate
        configuration.parameters.steps = igSteps
        configuration.parameters.samples = smoothgradSamples
        configuration.includesUnmodified = !skipUnmodified
        try configuration.validate()

        let network = try common.network()
        print("ROAR/KAR: \(configuration.rankings.map(\.description).joined(separator: ", ")); p = \(percentages.map { String(format: "%g", $0) }.joined(separator: ", ")); \(trainCount) training / \(testCount) test images, \(epochs) epochs, batch \(batchSize), lr \(learningRate), seed \(common.seed); explained model: \(common.weightsDescription)")
        fflush(nil)
        let progress = ProgressLine()
        let result = try RemoveAndRetrain(network: network, configuration: configuration).run { status in
            if status.contains(" batch ") {
                progress.update(status)
            } else {
                progress.clear()
                print(status)
                fflush(nil)
            }
        }
        progress.clear()
        let markdown = ExperimentTables.markdown(result)
        print(markdown)
        print(String(format: "total %.1f s", result.seconds))
        try common.write(markdown, to: "results.md")
        try common.write(ExperimentTables.csv(result), to: "results.csv")
        for (mode, chart) in ExperimentTables.charts(result) { try common.write(chart, to: "\(mode.rawValue).png") }
        print("wrote results.md, results.csv and charts to \(common.out)")
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
        """
    )

    @OptionGroup var common: ExperimentOptions

    @Option(name: .long, help: ArgumentHelp("The occluded layer (relu1…relu4, pool1, pool2).", valueName: "name"))
    var layer = "relu4"

    @Option(name: .long, help: ArgumentHelp("Held-out images.", valueName: "n"))
    var images = 500

    func run() throws {
        var configuration = FeatureOcclusionConfiguration()
        configuration.layer = layer
        configuration.seed = common.seed
        try configuration.validate()
        if images < 1 { throw ValidationError("--images must be at least 1.") }
        let network = try common.network()
        let test = try ShapesDataset(split: .test, count: images, seed: common.seed)
        let masks = try (0..<images).map { try test.mask(at: $0) }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try FeatureMapOcclusion(network: network, configuration: configuration).run(images: test.images, masks: masks, labels: test.labels)
        let elapsed = clock.now - start
        let markdown = ExperimentTables.markdown(result)
        print("feature-map occlusion of \(layer), \(images) held-out images (seed \(common.seed)), explained model: \(common.weightsDescription)")
        print(markdown)
        print(String(format: "%.1f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        try common.write(markdown, to: "results.md")
        try common.write(ExperimentTables.csv(result), to: "results.csv")
        try common.write(ExperimentTables.chart(result), to: "gap.png")
        print("wrote results.md, results.csv and gap.png to \(common.out)")
    }
}
