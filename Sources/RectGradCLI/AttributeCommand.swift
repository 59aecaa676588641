import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad attribute`: attribution maps of a zoo model for a preprocessed array or images.
struct AttributeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribute",
        abstract: "Compute attribution maps (RectGrad and the methods it is compared with).",
        discussion: """
        Methods: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")); a comma-separated \
        list, or 'all'. \(MethodOptions.allHelp). --output X.npy writes a float32 NCHW array with the \
        input's shape, --output X.png a heatmap of one example; any other --output is a folder that \
        receives <method>[-<example>][-<class>].npy or .png per --format (the example part when there \
        are several and a file per example, the class part with --top-k; arrays hold the whole batch \
        unless --top-k). Several methods share one recorded forward pass. --input takes an already \
        preprocessed NCHW array; image files are brought to the model's input size and scaled as the \
        model expects. Without --weights the cached or shipped weights are used; --random-weights \
        explains a randomly initialised network. Before it starts, the command estimates its forward \
        and backward passes (integrated gradients: --steps per example, SmoothGrad: --samples, \
        occlusion: one per window) and refuses more than \(WorkEstimate.limit) unless --force. \
        Progress goes to standard error. Negative numbers are written with '=': --percentile=-1. \
        Dataset runs: given one folder (PNG and JPEG files at any depth) or --manifest, the command \
        streams the images in batches into the --output folder, writing per image and method \
        <path>.<method>.npy and the heatmaps <path>.<method>.png (without the final threshold) and \
        <path>.<method>.final-threshold.png (with it), mirroring the input tree, and a row per image \
        in index.jsonl (index-<i>-of-<n>.jsonl with --shard i/n). Rerunning resumes; --overwrite \
        recomputes. Exit status \(DatasetOptions.skippedImagesExitCode) when images were skipped, \
        128+signal when stopped by SIGINT/SIGTERM. See Docs/dataset-scale.md.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: ArgumentHelp("A preprocessed NCHW .npy array, run as is.", valueName: "file"))
    var input: String?

    @Argument(help: ArgumentHelp("Image files, resized and scaled as the model expects; or one folder for a dataset run.", valueName: "image"))
    var images: [String] = []

    @Option(name: .long, help: CLIInputs.orientationHelp)
    var orientation = OrientationHandling.applyEXIF

    @Option(name: .long, help: ArgumentHelp("The attribution method, a comma-separated list, or 'all'.", valueName: "method"))
    var method: String

    @Option(name: .long, help: ArgumentHelp("A .npy array, a .png heatmap, or a folder (several methods or classes, or PNGs of several examples).", valueName: "path"))
    var output: String

    @Option(name: .long, help: ArgumentHelp("What a folder --output receives: arrays, heatmaps or both (default npy).", valueName: OutputFormat.allCases.map(\.rawValue).joined(separator: "|")))
    var format: OutputFormat?

    @Flag(name: .long, help: "Replace existing output files.")
    var overwrite = false

    @Flag(name: .long, help: "Run even when the estimated number of passes exceeds the limit.")
    var force = false

    @OptionGroup(title: "Classes") var targetOptions: TargetOptions

    @OptionGroup(title: "Method parameters") var methodOptions: MethodOptions

    @OptionGroup(title: "Heatmaps") var heatmapOptions: HeatmapOptions

    @Option(name: .long, help: ArgumentHelp("Rows per forward pass for integrated gradients, SmoothGrad and occlusion (default: about 2^20 input values per chunk, at most 32).", valueName: "n"))
    var chunkSize: Int?

    @OptionGroup var progressOptions: ProgressOptions

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    @OptionGroup(title: "Dataset runs") var datasetOptions: DatasetOptions

    /// A single output file, or nil for a folder.
    var singleFile: OutputFormat? {
        let lowered = output.lowercased()
        if lowered.hasSuffix(".npy") { return .npy }
        if lowered.hasSuffix(".png") { return .png }
        return nil
    }

    func validate() throws {
        if isDatasetRun { return try validateDatasetRun() }
        if modelOptions.model == nil { throw ValidationError("Missing expected argument '--model <name>'.") }
        if input == nil && images.isEmpty { throw ValidationError("Give either --input X.npy or image files.") }
        if input != nil && !images.isEmpty { throw ValidationError("Give either --input or image files, not both.") }
        let inputs = images + [input].compactMap { $0 }
        let names = try methodOptions.methodNames(method, option: "--method")
        if let file = singleFile {
            if names.count > 1 { throw ValidationError("--output \(output) is one file, but --method gives \(names.count) methods; give a folder.") }
            if let topK = targetOptions.topK, topK > 1 { throw ValidationError("--output \(output) is one file, but --top-k \(topK) makes a map per class; give a folder.") }
            if file == .png && images.count > 1 { throw ValidationError("--output \(output) holds the heatmap of one image, but \(images.count) are given; give a folder.") }
            if let format, format != file { throw ValidationError("--format \(format.rawValue) does not fit --output \(output); give a folder for --format \(format.rawValue).") }
            try FileAccess.checkOutputFile(output, option: "--output", overwrite: overwrite, inputs: inputs)
        } else {
            try FileAccess.checkOutputFolder(output, option: "--output", inputs: inputs)
        }
        for path in inputs { try FileAccess.checkInputFile(path, option: path == input ? "--input" : "") }
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
        do { _ = try modelOptions.entry() } catch { throw ValidationError(OptionError(option: "--model", message: "\(error)").description) }
    }

    func run() throws {
        let workers = threadOptions.workers()
        if isDatasetRun { return try runDatasetRun(workers: workers) }
        let names = try methodOptions.methodNames(method, option: "--method")
        let loaded = try modelOptions.load(workers: workers)
        let model = loaded.model
        if modelOptions.weights == nil { CLIInputs.note("\(model.name) with \(loaded.weightsDescription)") }
        let batch = try readInput(model: model)
        let parameters = try methodOptions.parameters(model: model, batch: batch, orientation: orientation)
        let methods = try names.map { try $0.method(parameters) }
        let output = try targetOptions.explainedOutput(for: model)
        let examples = batch.shape[0]
        let estimate = WorkEstimate(methods: methods, input: batch.shape, classSets: targetOptions.topK ?? 1)
        if estimate.passes > WorkEstimate.reportThreshold { CLIInputs.note(estimate.description) }
        if estimate.passes > WorkEstimate.limit && !force {
            throw ValidationError("\(estimate.description), more than the limit of \(CLIInputs.grouped(WorkEstimate.limit)); reduce --steps, --samples, --top-k or the occlusion windows (--window, --stride), or pass --force.")
        }
        if singleFile == .png && examples > 1 {
            throw OptionError(option: "--output", message: "\(output) holds the heatmap of one example, but the input has \(examples); give a folder")
        }

        let first = try session(model: model, batch: batch, targets: try targetOptions.selection(for: model), output: output, workers: workers)
        let sets = try targetOptions.targetSets(for: model, logits: first.logits)
        let plan = try outputPlan(names: names, model: model, examples: examples, classSets: sets, logits: first.logits)
        let progress = progressOptions.line()
        defer { progress.clear() }
        var displayImages: [RGBImage]?
        for (rank, selection) in sets.enumerated() {
            let session = try selection.resolvesLike(first) ? first : self.session(model: model, batch: batch, targets: selection, output: output, workers: workers)
            let classPart = sets.count > 1 ? ", class \(rank + 1)/\(sets.count)" : ""
            for (index, method) in methods.enumerated() {
                let step = "\(method.name) (method \(index + 1)/\(methods.count)\(classPart))"
                progress.update(step)
                session.onProgress = { progress.update("\(step): \($0.completedRows)/\($0.totalRows) rows") }
                let result: AttributionResult
                do { result = try session.attribute(method) } catch let error as AttributionError { throw OptionError(error) }
                session.onProgress = nil
                progress.clear()
                for file in plan where file.rank == rank && file.method == index {
                    var line = "\(method.name): wrote \(file.url.path)"
                    switch file.content {
                    case .array(let example):
                        let map = try example.map { try result.map.example($0).reshaped([1] + Array(result.map.shape.dropFirst())) } ?? result.map
                        try CLIInputs.writeArray(map, to: file.url.path, option: "--output")
                        line += " \(map.shape)"
                    case .heatmap(let example):
                        // The input as the model sees it (the prepared photo, or the array's pixels).
                        let inputs = try displayImages ?? (0..<examples).map { try RGBImage(tensor: batch.example($0), scaling: model.preprocessing.scaling) }
                        displayImages = inputs
                        let image = try heatmapOptions.render(result.map, example: example, method: method, image: inputs[example])
                        try FileAccess.write(try image.encodePNG(), to: file.url.path, option: "--output")
                        line += " (\(heatmapOptions.heatmapView), \(heatmapOptions.heatmapSign) evidence) of example \(example)"
                    }
                    let targets = file.content.example.map { [result.targets[$0]] } ?? result.targets
                    line += ", targets \(targets.map(String.init).joined(separator: ","))"
                    if sets.count > 1 || targetOptions.target != nil { line += " (\(targets.map { model.className($0) }.joined(separator: ", ")))" }
                    if let completeness = result.completeness {
                        let gaps = file.content.example.map { [completeness.gaps[$0]] } ?? completeness.gaps
                        line += ", completeness gap " + gaps.map { String(format: "%.3g", $0) }.joined(separator: ",")
                    }
                    print(line)
                }
            }
        }
    }

    /// A session on `batch` explaining `targets`, its passes on `workers`.
    func session(model: Model, batch: Tensor, targets: TargetSelection, output: ExplainedOutput, workers: Workers) throws -> AttributionSession {
        do {
            return try AttributionSession(network: model.network, input: batch, targets: targets, chunkSize: chunkSize, workers: workers, buffers: .command, output: output)
        } catch let error as AttributionError {
            throw OptionError(error)
        }
    }

    // MARK: Output files

    /// One file to write: which class set and method it comes from, and what it holds.
    struct PlannedFile {
        enum Content {
            /// An array: the whole batch, or one example.
            case array(example: Int?)
            /// The heatmap of one example.
            case heatmap(example: Int)

            var example: Int? {
                switch self {
                case .array(let example): return example
                case .heatmap(let example): return example
                }
            }
        }
        var rank: Int
        var method: Int
        var content: Content
        var url: URL
    }

    /// Every file the run writes, checked before any work starts.
    func outputPlan(names: [MethodName], model: Model, examples: Int, classSets: [TargetSelection], logits: Tensor) throws -> [PlannedFile] {
        if let file = singleFile {
            return [PlannedFile(rank: 0, method: 0, content: file == .npy ? .array(example: nil) : .heatmap(example: 0), url: URL(fileURLWithPath: output))]
        }
        try FileAccess.createFolder(output, option: "--output")
        let folder = URL(fileURLWithPath: output, isDirectory: true)
        let format = format ?? .npy
        let perClass = targetOptions.topK != nil
        var plan: [PlannedFile] = []
        for (rank, selection) in classSets.enumerated() {
            let classes = try selection.resolve(logits: logits)
            for (index, name) in names.enumerated() {
                func stem(_ example: Int?) -> String {
                    var parts = [name.rawValue]
                    if let example, examples > 1 { parts.append(exampleLabel(example)) }
                    if perClass, let example { parts.append(TargetOptions.fileLabel(classes[example], model: model)) }
                    return parts.joined(separator: "-")
                }
                if format.writesArrays {
                    let perExample: [Int?] = perClass ? Array(0..<examples) : [nil]
                    for example in perExample {
                        plan.append(PlannedFile(rank: rank, method: index, content: .array(example: example), url: folder.appendingPathComponent("\(stem(example)).npy")))
                    }
                }
                if format.writesHeatmaps {
                    for example in 0..<examples {
                        plan.append(PlannedFile(rank: rank, method: index, content: .heatmap(example: example), url: folder.appendingPathComponent("\(stem(example)).png")))
                    }
                }
            }
        }
        for file in plan { try FileAccess.checkOutputFile(file.url.path, option: "--output", overwrite: overwrite) }
        return plan
    }

    /// `3` for `--input` rows, `3-cat` for the fourth image file `cat.jpg`.
    func exampleLabel(_ example: Int) -> String {
        guard images.indices.contains(example) else { return "\(example)" }
        let stem = ((images[example] as NSString).lastPathComponent as NSString).deletingPathExtension
        let cleaned = String(stem.map { $0.isLetter || $0.isNumber ? $0 : "-" })
        return "\(example)-\(cleaned)"
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
            throw OptionError(option: "--input", message: "\(source) has shape \(batch.shape), but \(network.name) expects \(expected)")
        }
        return batch
    }
}

extension TargetSelection {
    /// Whether this selection gives the targets `session` explains.
    func resolvesLike(_ session: AttributionSession) throws -> Bool {
        try resolve(logits: session.logits) == session.targets
    }
}

/// A mistake in a command-line option (of `attribute`, `explain` and their shared option groups), naming the option.
struct OptionError: Error, CustomStringConvertible {
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
        case AttributionError.baselineShapeMismatch:
            self.init(option: "--baseline", message: "\(error)")
        default:
            self.init(option: "", message: "\(error)")
        }
    }

    var description: String { option.isEmpty ? message : "\(option): \(message)" }
}
