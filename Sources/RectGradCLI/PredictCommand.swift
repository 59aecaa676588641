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
        is. Image files (PNG, JPEG) are resized to the model's input size and scaled as \
        `rectgrad models` lists. Without --output the top-K classes of every example are printed (ImageNet names for \
        1000-class models); with --output the logits [N, classes] are written as a float32 .npy \
        file. Without --weights the network has random He-initialised weights (see --seed).
        """
    )

    @Option(name: .long, help: ArgumentHelp("The zoo model (see `rectgrad models`).", valueName: "name"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Weights in safetensors format; names and shapes must match the model.", valueName: "file"))
    var weights: String?

    @Flag(name: .long, help: "Ignore tensors in --weights that the model does not have.")
    var allowExtraWeights = false

    @Option(name: .long, help: ArgumentHelp("A preprocessed NCHW .npy array, run as is.", valueName: "file"))
    var input: String?

    @Argument(help: ArgumentHelp("PNG or JPEG files, resized and scaled as the model expects.", valueName: "image"))
    var images: [String] = []

    @Option(name: .long, help: ArgumentHelp("Write the logits [N, classes] to this .npy file.", valueName: "file"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("The number of classes printed per example.", valueName: "k"))
    var top = 5

    @Option(name: .long, help: CLIInputs.orientationHelp)
    var orientation = "exif"

    @Option(name: .long, help: ArgumentHelp("The seed of the random weights used without --weights.", valueName: "n"))
    var seed: UInt64 = 0

    func validate() throws {
        if input == nil && images.isEmpty { throw ValidationError("Give either --input X.npy or image files.") }
        if input != nil && !images.isEmpty { throw ValidationError("Give either --input or image files, not both.") }
        if top < 1 { throw ValidationError("--top must be at least 1.") }
        _ = try CLIInputs.orientation(parsing: orientation)
    }

    func run() throws {
        let entry = try CLIInputs.entry(named: model)
        let network = try CLIInputs.network(for: entry, weights: weights, seed: seed, allowExtraNames: allowExtraWeights)
        if weights == nil { CLIInputs.note("no --weights given: \(entry.name) has random He-initialised weights (seed \(seed))") }
        let tensor: Tensor
        let labels: [String]
        if let input {
            tensor = try CLIInputs.readInput(input, for: network)
            labels = (0..<tensor.shape[0]).map { "example \($0)" }
        } else {
            tensor = try CLIInputs.readImages(images, preprocessing: entry.preprocessing, orientation: CLIInputs.orientation(parsing: orientation))
            labels = images
        }
        let logits = try network.logits(for: tensor, workers: .command)
        if let output {
            try CLIInputs.writeArray(logits, to: output)
            return
        }
        for (example, classes) in CLIInputs.topClasses(logits, k: min(top, entry.classCount)).enumerated() {
            print("\(labels[example]):")
            for item in classes {
                let name = item.index < entry.classNames.count ? entry.classNames[item.index] : "class \(item.index)"
                print("  " + String(format: "%6.2f%%", item.probability * 100) + "  \(name) (\(item.index))")
            }
        }
    }
}
