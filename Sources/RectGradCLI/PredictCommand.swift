import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad predict`: run a zoo model on a preprocessed array (or images).
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a zoo model and print the top classes or write the logits.",
        discussion: """
        --input takes an already preprocessed NCHW float32 (or float64) .npy array and runs it as \
        is. Image files (PNG, JPEG) are brought to the model's input size and scaled as \
        `rectgrad models` lists. Without --output the top-K classes of every example are printed (ImageNet names for \
        1000-class models); with --output the logits [N, classes] are written as a float32 .npy \
        file. Without --weights the cached or shipped weights are used (see `rectgrad models`); \
        --random-weights runs a randomly initialised network.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    @Option(name: .long, help: ArgumentHelp("A preprocessed NCHW .npy array, run as is.", valueName: "file"))
    var input: String?

    @Argument(help: ArgumentHelp("PNG or JPEG files, resized and scaled as the model expects.", valueName: "image"))
    var images: [String] = []

    @Option(name: .long, help: ArgumentHelp("Write the logits [N, classes] to this .npy file.", valueName: "file"))
    var output: String?

    @Flag(name: .long, help: "Replace an existing --output file.")
    var overwrite = false

    @Option(name: .long, help: ArgumentHelp("The number of classes printed per example.", valueName: "k"))
    var top = 5

    @Option(name: .long, help: CLIInputs.orientationHelp)
    var orientation = OrientationHandling.applyEXIF

    func validate() throws {
        if modelOptions.model == nil { throw ValidationError("Missing expected argument '--model <name>'.") }
        if input == nil && images.isEmpty { throw ValidationError("Give either --input X.npy or image files.") }
        if input != nil && !images.isEmpty { throw ValidationError("Give either --input or image files, not both.") }
        if top < 1 { throw ValidationError("--top must be at least 1.") }
        if let output { try FileAccess.checkOutputFile(output, option: "--output", overwrite: overwrite, inputs: images + [input].compactMap { $0 }) }
    }

    func run() throws {
        let workers = threadOptions.workers()
        let loaded = try modelOptions.load(workers: workers)
        let model = loaded.model
        if modelOptions.weights == nil { CLIInputs.note("\(model.name) with \(loaded.weightsDescription)") }
        let tensor: Tensor
        let labels: [String]
        if let input {
            tensor = try CLIInputs.readInput(input, for: model.network)
            labels = (0..<tensor.shape[0]).map { "example \($0)" }
        } else {
            tensor = try CLIInputs.readImages(images, for: model, orientation: orientation)
            labels = images
        }
        let logits = try model.network.logits(for: tensor, workers: workers)
        try NonFinite.check(logits, model: model, input: tensor, workers: workers)
        if let output {
            try CLIInputs.writeArray(logits, to: output, option: "--output")
            return
        }
        for (example, classes) in try model.topClasses(logits, k: min(top, model.classCount)).enumerated() {
            print("\(labels[example]):")
            for item in classes {
                print("  " + String(format: "%6.2f%%", item.probability * 100) + "  \(item.name) (\(item.index))")
            }
        }
    }
}
