import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad train`: train a zoo model on the built-in dataset with Adam on the tape.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a zoo model on the built-in shapes dataset and save its weights.",
        discussion: """
        Draws --train-count training and --test-count held-out images of the built-in dataset \
        (seeded by --seed), initialises the model with He-normal weights from --seed, and trains it \
        with Adam (learning rate --learning-rate, β 0.9/0.999, ε 1e-8) on softmax cross-entropy in \
        mini-batches of --batch-size, reshuffled every epoch from --seed. Prints the loss and \
        accuracy of every epoch and the final held-out accuracy; with --out the weights are written \
        as safetensors (F32). `shapes-patch` pastes the paper's fixed random 10×10 patch into the \
        top-left corner of every image (training-dataset occlusion experiment). The defaults \
        reproduce the package's shipped model.
        """
    )

    /// The built-in datasets.
    enum DatasetName: String, ExpressibleByArgument, CaseIterable {
        case shapes
        case shapesPatch = "shapes-patch"

        var style: ShapesStyle {
            switch self {
            case .shapes: .standard
            case .shapesPatch: .standard.withOcclusionPatch()
            }
        }
    }

    @Option(name: .long, help: ArgumentHelp("The zoo model to train (a 32×32 input model: cifar-cnn).", valueName: "name"))
    var model = "cifar-cnn"

    @Option(name: .long, help: ArgumentHelp("The dataset.", valueName: "name"))
    var dataset: DatasetName = .shapes

    @Option(name: .long, help: ArgumentHelp("Passes over the training images.", valueName: "n"))
    var epochs = ShippedModel.recipe.epochs

    @Option(name: .long, help: ArgumentHelp("Seeds the images, the initial weights and the shuffling.", valueName: "n"))
    var seed = ShippedModel.recipe.seed

    @Option(name: .long, help: ArgumentHelp("The number of training images.", valueName: "n"))
    var trainCount = ShippedModel.recipe.trainCount

    @Option(name: .long, help: ArgumentHelp("The number of held-out images the accuracy is measured on.", valueName: "n"))
    var testCount = ShippedModel.recipe.testCount

    @Option(name: .long, help: ArgumentHelp("Examples per mini-batch.", valueName: "n"))
    var batchSize = ShippedModel.recipe.batchSize

    @Option(name: .long, help: ArgumentHelp("Adam's learning rate.", valueName: "lr"))
    var learningRate: Float = ShippedModel.recipe.learningRate

    @Flag(name: .long, help: "Measure the held-out accuracy after every epoch, not only at the end.")
    var evaluateEveryEpoch = false

    @Option(name: .long, help: ArgumentHelp("Write the trained weights to this safetensors file.", valueName: "file"))
    var out: String?

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    func validate() throws {
        if epochs < 1 { throw ValidationError("--epochs must be at least 1.") }
        if trainCount < 1 || trainCount > ShapesDataset.maximumCount { throw ValidationError("--train-count must lie in 1...\(ShapesDataset.maximumCount).") }
        if testCount < 1 || testCount > ShapesDataset.maximumCount { throw ValidationError("--test-count must lie in 1...\(ShapesDataset.maximumCount).") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1.") }
        if !(learningRate > 0) || !learningRate.isFinite { throw ValidationError("--learning-rate must be positive.") }
        if let out { try FileAccess.checkOutputFile(out, option: "--out", overwrite: true) }
    }

    func run() throws {
        let workers = threadOptions.workers()
        let entry = try Zoo.entry(named: model)
        let network = try entry.network(seed: seed)
        let imageShape = [1, 3, ShapesDataset.imageSize, ShapesDataset.imageSize]
        do { try network.validateInputShape(imageShape) } catch {
            throw ValidationError("\(model) does not take the dataset's 32×32 images (\(error)); train cifar-cnn.")
        }
        guard network.classCount == ShapesDataset.classCount else {
            throw ValidationError("\(model) has \(network.classCount) classes; the dataset has \(ShapesDataset.classCount).")
        }

        let clock = ContinuousClock()
        let start = clock.now
        let train = try ShapesDataset(split: .train, count: trainCount, seed: seed, style: dataset.style)
        let test = try ShapesDataset(split: .test, count: testCount, seed: seed, style: dataset.style)
        print("\(model) on \(dataset.rawValue): \(trainCount) training and \(testCount) held-out images (seed \(seed)), \(CLIInputs.grouped(network.parameterCount)) parameters")
        fflush(nil)

        let progress = ProgressLine()
        let trainer = Trainer(configuration: .init(epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed), workers: workers)
        let validation = evaluateEveryEpoch ? (test.images, test.labels) : nil
        let result = try trainer.train(network, images: train.images, labels: train.labels, validation: validation) { event in
            switch event {
            case .batchFinished(let epoch, let batch, let batchCount, let loss):
                progress.update("epoch \(epoch)/\(epochs)  batch \(batch)/\(batchCount)  loss \(String(format: "%.4f", loss))")
            case .epochFinished(let summary):
                progress.clear()
                var line = "epoch \(summary.epoch)/\(epochs)  loss \(String(format: "%.4f", summary.loss))  train \(Self.percent(summary.trainingAccuracy))"
                if let accuracy = summary.validationAccuracy { line += "  test \(Self.percent(accuracy))" }
                line += "  \(String(format: "%.1f", summary.seconds)) s"
                print(line)
                fflush(nil)
            }
        }
        let accuracy = try Evaluation.accuracy(of: result.network, on: test, workers: workers)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("test accuracy \(Self.percent(accuracy)) on \(testCount) held-out images; \(String(format: "%.1f", seconds)) s in total")

        if let out {
            var file = result.network.safetensors
            file.metadata = [
                "model": model, "dataset": dataset.rawValue, "seed": String(seed), "epochs": String(epochs),
                "train_count": String(trainCount), "test_count": String(testCount), "batch_size": String(batchSize),
                "learning_rate": String(learningRate), "test_accuracy": String(format: "%.4f", accuracy),
            ]
            try FileAccess.write(file.encoded(), to: out, option: "--out")
            print("wrote \(out)")
        }
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.1f %%", fraction * 100) }
}
