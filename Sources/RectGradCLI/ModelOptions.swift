import ArgumentParser
import Foundation
import RectifiedGradient

/// The options that choose a model and its weights, shared by every command that runs one.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The zoo model (see `rectgrad models`), or an ONNX classifier file (a path ending in .onnx).", valueName: "name"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Weights in safetensors format; names and shapes must match the model. Default: the cached weights (see `rectgrad models`), the shipped ones for cifar-cnn.", valueName: "file"))
    var weights: String?

    @Flag(name: .long, help: "Ignore tensors in --weights that the model does not have.")
    var allowExtraWeights = false

    @Flag(name: .long, help: "Use random He-initialised weights (seeded by --weight-seed) instead of trained ones.")
    var randomWeights = false

    @Option(name: .long, help: ArgumentHelp("The seed of --random-weights.", valueName: "n"))
    var weightSeed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("How photos reach the input size (default: the model's; `rectgrad models` lists it).", valueName: ResizeChoice.allCases.map(\.rawValue).joined(separator: "|")))
    var resize: ResizeChoice?

    /// Checks the combination of options.
    func validate() throws {
        if let model, ONNXModelFile.isONNXPath(model) { return try ONNXModelFile.validate(model, weights: weights, randomWeights: randomWeights) }
        if randomWeights && weights != nil { throw ValidationError("Give either --weights or --random-weights, not both.") }
        if let weights { try FileAccess.checkInputFile(weights, option: "--weights") }
    }

    /// The zoo entry named by `--model`, or `defaultModel`; `nil` for an ONNX file.
    func entry(defaultModel: String? = nil) throws -> ZooEntry? {
        guard let name = model ?? defaultModel else { throw ValidationError("Missing expected argument '--model <name>'.") }
        if ONNXModelFile.isONNXPath(name) { return nil }
        return try Zoo.entry(named: name)
    }

    /// The model named by `--model` (or `defaultModel`) with the weights the options choose (an
    /// ONNX file's import runs its forward pass on `workers`).
    func load(defaultModel: String? = nil, workers: Workers) throws -> LoadedModel {
        guard let entry = try entry(defaultModel: defaultModel) else {
            var loaded = try ONNXModelFile.load(model ?? "", workers: workers)
            if let resize { loaded.model.preprocessing = resize.applied(to: loaded.model.preprocessing) }
            return loaded
        }
        var loaded = try Self.load(
            entry: entry, weights: weights, randomWeights: randomWeights,
            weightSeed: weightSeed, allowExtraWeights: allowExtraWeights, workers: workers)
        if let resize { loaded.model.preprocessing = resize.applied(to: loaded.model.preprocessing) }
        return loaded
    }

    /// The model with its weights: `weights`, else random ones when `randomWeights`, else the cached
    /// or shipped weights, else an error that says where to put them. The one place the CLI loads
    /// a network; a weights file is read on `workers` (each large tensor in parts).
    static func load(entry: ZooEntry, weights: String?, randomWeights: Bool, weightSeed: UInt64, allowExtraWeights: Bool, workers: Workers = .serial) throws -> LoadedModel {
        if let weights {
            try FileAccess.checkInputFile(weights, option: "--weights")
            // The architecture shares the file's tensors (no random draws, no second copy).
            let model = try Self.fitted(entry, weights: SafetensorsFile.read(contentsOf: URL(fileURLWithPath: weights), workers: workers), source: weights, option: "--weights", allowExtraWeights: allowExtraWeights, workers: workers)
            return LoadedModel(model: model, weightsDescription: (weights as NSString).lastPathComponent)
        }
        if randomWeights {
            return LoadedModel(model: try entry.model(seed: weightSeed), weightsDescription: "random weights (seed \(weightSeed))")
        }
        if let cached = WeightsCache.defaultWeights(for: entry.name) {
            let model = try Self.fitted(entry, weights: SafetensorsFile.read(contentsOf: cached, workers: workers), source: cached.path, option: "the cached weights", allowExtraWeights: allowExtraWeights, workers: workers)
            return LoadedModel(model: model, weightsDescription: cached.lastPathComponent)
        }
        throw ValidationError("""
            \(entry.name) has no trained weights here: pass --weights FILE.safetensors, put them at \
            \(WeightsCache.cachedWeightsURL(for: entry.name).path)\(Self.fetchHint(for: entry.name)), \
            or pass --random-weights to explain a randomly initialised network.
            """)
    }
}

extension ModelOptions {
    /// ` (Scripts/fetch-efficientnet-lite.sh lite1 does that)` for the zoo models whose pretrained
    /// weights a script of the package fetches, else nothing.
    static func fetchHint(for model: String) -> String {
        let prefix = "efficientnet-lite"
        guard model.hasPrefix(prefix), ["0", "1", "2"].contains(model.dropFirst(prefix.count)) else { return "" }
        return " (Scripts/fetch-efficientnet-lite.sh lite\(model.dropFirst(prefix.count)) does that)"
    }

    /// `entry` with the tensors of `file`; when they do not fit, an error listing every missing,
    /// unexpected and mis-shaped tensor and naming the zoo models the file does fit.
    static func fitted(_ entry: ZooEntry, weights file: SafetensorsFile, source: String, option: String, allowExtraWeights: Bool, workers: Workers = .serial) throws -> Model {
        do {
            return try entry.model(weights: file, source: source, allowExtraNames: allowExtraWeights, workers: workers)
        } catch let error as WeightsError {
            switch error.reason {
            case .missingTensor, .unexpectedTensors, .shapeMismatch: break
            default: throw error
            }
            let fit = try entry.fit(of: file)
            let others = Zoo.entries(fitting: file).map(\.name).filter { $0 != entry.name }
            var message = "\(option) \(source) does not fit \(entry.name): \(fit.summary())"
            if others.isEmpty {
                message += "; it fits no zoo model (`rectgrad models --layers \(entry.name)` lists the expected names and shapes)"
            } else {
                message += "; the file fits \(others.joined(separator: " and ")) (pass --model \(others[0]))"
            }
            if fit.missing.isEmpty && fit.misshapen.isEmpty && !allowExtraWeights { message += "; --allow-extra-weights ignores the unexpected tensors" }
            throw CommandFailure(message)
        }
    }
}

/// A model and a description of its weights for notes and reports.
struct LoadedModel {
    var model: Model
    /// The weights file's name, or `random weights (seed n)`.
    var weightsDescription: String
}

/// Where the CLI looks for weights that were not given with `--weights`:
/// `$RECTGRAD_CACHE_DIR/weights/<model>.safetensors` when that variable is set, else
/// `$XDG_CACHE_HOME/rectgrad/weights/` (default `~/.cache/rectgrad/weights/`), then
/// `.cache/weights/` of the working folder; for `cifar-cnn` the package's shipped weights.
enum WeightsCache {
    /// The cache folder of weights.
    static var directory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let root = environment["RECTGRAD_CACHE_DIR"], !root.isEmpty {
            return URL(fileURLWithPath: root).appendingPathComponent("weights")
        }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("rectgrad").appendingPathComponent("weights")
    }

    /// Where the cached weights of `model` belong.
    static func cachedWeightsURL(for model: String) -> URL {
        directory.appendingPathComponent("\(model).safetensors")
    }

    /// The first existing default weights of `model`, if any.
    static func defaultWeights(for model: String) -> URL? {
        let candidates = [
            cachedWeightsURL(for: model),
            URL(fileURLWithPath: ".cache/weights/\(model).safetensors"),
        ]
        if let found = candidates.first(where: { FileAccess.entry(at: $0.path) == .regularFile }) { return found }
        if model == ShippedModel.architecture { return ShippedModel.weightsURL }
        return nil
    }
}
