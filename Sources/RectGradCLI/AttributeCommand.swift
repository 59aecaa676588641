import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad attribute`: attribution maps of a zoo model for a preprocessed array or images.
struct AttributeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribute",
        abstract: "Compute attribution maps (RectGrad and the methods it is compared with).",
        discussion: """
        Methods: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")), or 'all'.
        The output is a float32 NCHW .npy array with the input's shape; with --method all, --output \
        is a folder that receives one <method>.npy per method (the forward pass is recorded once and \
        replayed under every rule). --input takes an already preprocessed NCHW array; image files are \
        brought to the model's input size and scaled as the model expects. Without --weights the \
        cached or shipped weights are used; --random-weights explains a randomly initialised network. \
        Before it starts, the command estimates its forward and backward passes (integrated \
        gradients: --steps per example, SmoothGrad: --samples, occlusion: one per window) and \
        refuses more than \(WorkEstimate.limit) unless --force.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: ArgumentHelp("A preprocessed NCHW .npy array, run as is.", valueName: "file"))
    var input: String?

    @Argument(help: ArgumentHelp("Image files, resized and scaled as the model expects.", valueName: "image"))
    var images: [String] = []

    @Option(name: .long, help: CLIInputs.orientationHelp)
    var orientation = OrientationHandling.applyEXIF

    @Option(name: .long, help: ArgumentHelp("The attribution method, or 'all'.", valueName: "method"))
    var method: String

    @Option(name: .long, help: ArgumentHelp("The output .npy file (a folder with --method all).", valueName: "path"))
    var output: String

    @Flag(name: .long, help: "Replace existing output files.")
    var overwrite = false

    @Flag(name: .long, help: "Run even when the estimated number of passes exceeds the limit.")
    var force = false

    @Option(name: .long, help: ArgumentHelp("The explained class: one for every example, or a comma-separated list with one per example (default: the predicted class).", valueName: "k[,k…]"))
    var target: String?

    @Option(name: .long, help: ArgumentHelp("RectGrad's percentile q in [0, 100].", valueName: "q"))
    var percentile: Double = 98

    @Option(name: .long, help: ArgumentHelp("How RectGrad reads the percentile: nearest (the published float32 rule) or linear (NumPy's default).", valueName: "nearest|linear"))
    var interpolation = PercentileInterpolation.nearestFloat32

    @Option(name: .long, help: ArgumentHelp("RectGrad-const's threshold τ.", valueName: "t"))
    var tau: Float = 0

    @Option(name: .long, help: ArgumentHelp("RectGrad's importance score: signed (a·R) or absolute (|a·R|).", valueName: "signed|absolute"))
    var importance = ImportanceScore.signed

    @Option(name: .long, help: ArgumentHelp("The padding rule (default: on for the RectGrad family, off otherwise).", valueName: "on|off"))
    var borderRule: Switch?

    @Option(name: .long, help: ArgumentHelp("Integrated gradients' number of steps.", valueName: "m"))
    var steps = 50

    @Option(name: .long, help: ArgumentHelp("SmoothGrad's number of samples.", valueName: "n"))
    var samples = 50

    @Option(name: .long, help: ArgumentHelp("SmoothGrad's noise level (a fraction of each example's value range).", valueName: "s"))
    var noiseLevel: Float = 0.1

    @Option(name: .long, help: ArgumentHelp("SmoothGrad's noise seed.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("ε-LRP's ε.", valueName: "e"))
    var epsilon: Float = 1e-4

    @Option(name: .long, help: ArgumentHelp("Occlusion's window: K (1×K×K), H,W (1×H×W) or C,H,W.", valueName: "size"))
    var window = "1"

    @Option(name: .long, help: ArgumentHelp("Occlusion's stride, in the same forms as --window (default 1).", valueName: "size"))
    var stride = "1"

    @Option(name: .long, help: ArgumentHelp("Rows per forward pass for integrated gradients, SmoothGrad and occlusion (default: about 2^20 input values per chunk, at most 32).", valueName: "n"))
    var chunkSize: Int?

    func validate() throws {
        if modelOptions.model == nil { throw ValidationError("Missing expected argument '--model <name>'.") }
        if input == nil && images.isEmpty { throw ValidationError("Give either --input X.npy or image files.") }
        if input != nil && !images.isEmpty { throw ValidationError("Give either --input or image files, not both.") }
        let inputs = images + [input].compactMap { $0 }
        if method.lowercased() == "all" {
            try FileAccess.checkOutputFolder(output, option: "--output", inputs: inputs)
        } else {
            guard output.lowercased().hasSuffix(".npy") else {
                throw ValidationError("--output must be a .npy file (got '\(output)'); heatmap images are made by `rectgrad explain`.")
            }
            try FileAccess.checkOutputFile(output, option: "--output", overwrite: overwrite, inputs: inputs)
        }
        for path in inputs { try FileAccess.checkInputFile(path, option: path == input ? "--input" : "") }
        _ = try methodNames()
        // Every option value is checked once, also those the chosen method does not use.
        let parameters = try parameters()
        for name in MethodName.allCases {
            do { try name.method(parameters).validate() } catch { throw ValidationError(AttributeCommandError(error).description) }
        }
        _ = try targets()
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
    }

    func run() throws {
        let names = try methodNames()
        let parameters = try parameters()
        let methods = try names.map { try $0.method(parameters) }
        do { _ = try modelOptions.entry() } catch { throw AttributeCommandError(option: "--model", message: "\(error)") }
        let loaded = try modelOptions.load()
        let network = loaded.model.network
        if modelOptions.weights == nil { CLIInputs.note("\(loaded.model.name) with \(loaded.weightsDescription)") }
        let batch = try readInput(model: loaded.model)
        let estimate = WorkEstimate(methods: methods, input: batch.shape)
        if estimate.passes > WorkEstimate.reportThreshold { CLIInputs.note(estimate.description) }
        if estimate.passes > WorkEstimate.limit && !force {
            throw ValidationError("\(estimate.description), more than the limit of \(CLIInputs.grouped(WorkEstimate.limit)); reduce --steps, --samples or the occlusion windows (--window, --stride), or pass --force.")
        }

        let session: AttributionSession
        do {
            session = try AttributionSession(network: network, input: batch, targets: try targets(), chunkSize: chunkSize, workers: .command)
        } catch let error as AttributionError {
            throw AttributeCommandError(error)
        }
        let outputs: [URL]
        if method.lowercased() == "all" {
            try FileAccess.createFolder(output, option: "--output")
            let folder = URL(fileURLWithPath: output, isDirectory: true)
            outputs = names.map { folder.appendingPathComponent("\($0.rawValue).npy") }
            for url in outputs { try FileAccess.checkOutputFile(url.path, option: "--output", overwrite: overwrite) }
        } else {
            outputs = [URL(fileURLWithPath: output)]
        }
        for (method, url) in zip(methods, outputs) {
            let result: AttributionResult
            do { result = try session.attribute(method) } catch let error as AttributionError { throw AttributeCommandError(error) }
            try CLIInputs.writeArray(result.map, to: url.path, option: "--output")
            var line = "\(method.name): wrote \(url.path) \(result.map.shape), targets \(result.targets.map(String.init).joined(separator: ","))"
            if let completeness = result.completeness {
                line += ", completeness gap " + completeness.gaps.map { String(format: "%.3g", $0) }.joined(separator: ",")
            }
            print(line)
        }
    }

    // MARK: Options

    /// The methods `--method` names (every method for `all`).
    func methodNames() throws -> [MethodName] {
        if method.lowercased() == "all" { return MethodName.allCases }
        do { return [try MethodName(parsing: method)] } catch { throw ValidationError(AttributeCommandError(error).description) }
    }

    /// Every method parameter from the options, checked.
    func parameters() throws -> MethodParameters {
        var parameters = MethodParameters()
        parameters.percentile = percentile
        parameters.tau = tau
        parameters.importance = importance
        parameters.interpolation = interpolation
        parameters.masksConvolutionBorder = borderRule?.isOn
        parameters.steps = steps
        parameters.samples = samples
        parameters.noiseLevel = noiseLevel
        parameters.seed = seed
        parameters.epsilon = epsilon
        parameters.window = try Self.occlusionShape(window, option: "--window")
        parameters.stride = try Self.occlusionShape(stride, option: "--stride")
        return parameters
    }

    /// `--target`: nil (predicted), one class, or one class per example.
    func targets() throws -> TargetSelection {
        guard let target else { return .predicted }
        let parts = target.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let classes = try parts.map { part -> Int in
            guard let value = Int(part) else { throw ValidationError("--target must be a class index or a comma-separated list of them, got '\(target)'.") }
            return value
        }
        return classes.count == 1 ? .all(classes[0]) : .perExample(classes)
    }

    /// `K` → `[1, K, K]`, `H,W` → `[1, H, W]`, `C,H,W` → `[C, H, W]`.
    static func occlusionShape(_ text: String, option: String) throws -> [Int] {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count <= 3, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("\(option) must be K, H,W or C,H,W with positive integers, got '\(text)'.")
        }
        let sizes = values.compactMap { $0 }
        switch sizes.count {
        case 1: return [1, sizes[0], sizes[0]]
        case 2: return [1] + sizes
        default: return sizes
        }
    }

    // MARK: Input

    /// The input batch: the `.npy` array as is, or the images resized and scaled for the model.
    func readInput(model: Model) throws -> Tensor {
        let network = model.network
        let expected = "[N, \(network.inputChannels), \(network.inputSize.height), \(network.inputSize.width)]"
        let batch: Tensor
        let source: String
        if let input {
            batch = try NumPyFile.read(contentsOf: URL(fileURLWithPath: input))
            source = "--input \(input)"
        } else {
            batch = try CLIInputs.readImages(images, for: model, orientation: orientation)
            source = "the images"
        }
        do { try network.validateInputShape(batch.shape) } catch {
            throw AttributeCommandError(option: "--input", message: "\(source) has shape \(batch.shape), but \(network.name) expects \(expected)")
        }
        return batch
    }
}

/// An error of `rectgrad attribute`, naming the option it concerns.
struct AttributeCommandError: Error, CustomStringConvertible {
    /// The option, e.g. `--percentile`.
    var option: String
    /// What is wrong.
    var message: String

    init(option: String, message: String) {
        self.option = option
        self.message = message
    }

    /// Names the command-line option behind a library error.
    init(_ error: any Error) {
        switch error {
        case AttributionError.invalidParameter(let name, let reason):
            self.init(option: name == "method" ? "--method" : "--\(name)", message: reason)
        case AttributionError.targetOutOfRange, AttributionError.targetCountMismatch:
            self.init(option: "--target", message: "\(error)")
        case AttributionError.inputShapeMismatch(let message):
            self.init(option: "--input", message: message)
        default:
            self.init(option: "", message: "\(error)")
        }
    }

    var description: String { option.isEmpty ? message : "\(option): \(message)" }
}
