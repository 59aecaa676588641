import ArgumentParser
import Foundation
import RectifiedGradient

/// `--attack`: the attack's algorithm.
enum AttackKind: String, ExpressibleByArgument, CaseIterable {
    case pgd, fgsm
}

/// A pixel amount in [0, 1] units, written as a decimal (`0.0157`) or a fraction of 255 (`4/255`).
struct PixelAmount: ExpressibleByArgument {
    var value: Float

    init(_ value: Float) { self.value = value }

    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        switch parts.count {
        case 1:
            guard let value = Float(parts[0]) else { return nil }
            self.value = value
        case 2:
            guard let numerator = Float(parts[0]), let denominator = Float(parts[1]), denominator != 0 else { return nil }
            self.value = numerator / denominator
        default:
            return nil
        }
    }
}

/// `rectgrad experiment adversarial`.
struct ExperimentAdversarialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adversarial",
        abstract: "Attack images (PGD or FGSM) and compare every method's maps of the original and the adversarial image.",
        discussion: """
        Every image (the IMAGE files, or --shapes-count held-out images of the built-in shapes \
        dataset with the shipped cifar-cnn) is predicted, then attacked in [0, 1] pixel space: \
        untargeted PGD by default (ε = 4/255, step ε/4, 10 steps; --attack fgsm is one step of ε; \
        --target-class makes the attack targeted). Images whose decision did not change are left \
        out and counted. For the others, every method explains the original image for the old \
        class (O), the adversarial image for the new class (A) and for the old class (A′). The \
        report gives, per method, Spearman's ρ and SSIM of the magnitude maps |Σ_c map_c| of O and \
        A (how much the map changes) and of A and A′ (whether the map depends on the explained \
        class, so that it can follow the new decision), as mean ± standard deviation over images; \
        as a control, of O and N, the map of the original image under random ±ε sign noise. \
        Writes OUT/<method>/<threshold|no-threshold>/<original|adversarial|adversarial-old-class>/<n>.png \
        (threshold: the method's default final threshold, (95, 99.5) for the baselines; \
        no-threshold: (0.5, 99.5)), images/<n>-original.png and <n>-adversarial.png, report.html, \
        results.csv (one line per image and method), summary.csv, summary.md and figure.png. \
        The attack's options take the names --epsilon and --steps, so the method parameters here \
        are --percentile, --ig-steps and --smoothgrad-samples.
        """
    )

    @Argument(help: ArgumentHelp("PNG or JPEG files (none with --shapes-count).", valueName: "image"))
    var images: [String] = []

    @Option(name: .long, help: CLIInputs.orientationHelp)
    var orientation = OrientationHandling.applyEXIF

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: ArgumentHelp("Use this many held-out images of the built-in shapes dataset instead of files (default model: the shipped cifar-cnn).", valueName: "n"))
    var shapesCount: Int?

    @Option(name: .long, help: ArgumentHelp("The seed of the shapes images (default: the shipped model's, whose test split is held out).", valueName: "n"))
    var shapesSeed: UInt64 = ShippedModel.recipe.seed

    @Option(name: .long, help: ArgumentHelp("The attack.", valueName: "pgd|fgsm"))
    var attack = AttackKind.pgd

    @Option(name: .long, help: ArgumentHelp("The L∞ radius in [0, 1] pixel units, a decimal or a fraction such as 4/255 (default 4/255).", valueName: "e"))
    var epsilon = PixelAmount(4 / 255)

    @Option(name: .long, help: ArgumentHelp("PGD's step size (default ε/4).", valueName: "s"))
    var stepSize: PixelAmount?

    @Option(name: .long, help: ArgumentHelp("PGD's number of steps (default 10).", valueName: "n"))
    var steps: Int?

    @Flag(name: .long, help: "Start PGD from a uniformly random point of the ε-ball (seeded by --random-start-seed).")
    var randomStart = false

    @Option(name: .long, help: ArgumentHelp("The seed of --random-start.", valueName: "n"))
    var randomStartSeed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("Attack towards this class (index or name) instead of away from the prediction.", valueName: "class"))
    var targetClass: String?

    @Option(name: [.customLong("methods"), .customLong("method")], help: ArgumentHelp("Comma-separated methods (see `rectgrad attribute --help`) or 'all' (every method but occlusion).", valueName: "list"))
    var methods = "all"

    @Option(name: .long, help: ArgumentHelp("RectGrad's percentile q.", valueName: "q"))
    var percentile: Double = 98

    @Option(name: .long, help: ArgumentHelp("Integrated gradients' number of steps.", valueName: "m"))
    var igSteps = 50

    @Option(name: .long, help: ArgumentHelp("SmoothGrad's number of samples.", valueName: "n"))
    var smoothgradSamples = 50

    @Flag(name: .long, help: "Skip the control: the maps of the original image under random ±ε sign noise (N), compared with O.")
    var skipNoiseControl = false

    @Option(name: .long, help: ArgumentHelp("Images attacked and explained at once.", valueName: "n"))
    var batchSize = 8

    @Option(name: .long, help: ArgumentHelp("Images whose maps the HTML page shows (the first ones whose decision changed).", valueName: "n"))
    var showcase = 6

    @Option(name: .long, help: ArgumentHelp("The output folder.", valueName: "dir"))
    var out: String

    @OptionGroup var progressOptions: ProgressOptions

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    func validate() throws {
        if images.isEmpty && shapesCount == nil { throw ValidationError("Give image files or --shapes-count.") }
        if !images.isEmpty && shapesCount != nil { throw ValidationError("Give either image files or --shapes-count, not both.") }
        if let shapesCount, !(1...ShapesDataset.maximumCount).contains(shapesCount) {
            throw ValidationError("--shapes-count must be in 1...\(ShapesDataset.maximumCount), got \(shapesCount).")
        }
        if attack == .fgsm {
            if steps != nil { throw ValidationError("--steps applies to PGD only: FGSM is one step of ε (drop --steps or pass --attack pgd).") }
            if stepSize != nil { throw ValidationError("--step-size applies to PGD only: FGSM's step is ε (drop --step-size or pass --attack pgd).") }
            if randomStart { throw ValidationError("--random-start applies to PGD only.") }
        }
        if showcase < 0 { throw ValidationError("--showcase must be at least 0, got \(showcase).") }
        for image in images { try FileAccess.checkInputFile(image, option: "") }
        try FileAccess.checkOutputFolder(out, option: "--out", inputs: images)
        // Every setting that does not depend on the model is checked before anything loads.
        do { try experiment(targetClass: nil, workers: .serial).validate(classCount: Int.max) } catch { throw ValidationError("\(error)") }
        do { _ = try modelOptions.entry(defaultModel: defaultModel) } catch { throw ValidationError(OptionError(option: "--model", message: "\(error)").description) }
    }

    var defaultModel: String? { shapesCount == nil ? nil : ShippedModel.architecture }

    func parameters() -> MethodParameters {
        var parameters = MethodParameters()
        parameters.percentile = percentile
        parameters.steps = igSteps
        parameters.samples = smoothgradSamples
        return parameters
    }

    func methodNames() throws -> [MethodName] {
        var names: [MethodName] = []
        let items = methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw ValidationError("--methods needs at least one method name.") }
        for item in items {
            if item.lowercased() == "all" {
                names += MethodName.allCases.filter { $0 != .occlusion }
            } else {
                do { names.append(try MethodName(parsing: item)) } catch { throw ValidationError("--methods: \(error.reason)") }
            }
        }
        var seen = Set<MethodName>()
        return names.filter { seen.insert($0).inserted }
    }

    /// The experiment these options describe, with the target class resolved by the caller.
    func experiment(targetClass: Int?, workers: Workers) throws -> AdversarialExperiment {
        let goal: AdversarialAttack.Goal = targetClass.map { .targeted(class: $0) } ?? .untargeted
        let attack: AdversarialAttack
        switch self.attack {
        case .fgsm: attack = .fgsm(epsilon: epsilon.value, goal: goal)
        case .pgd:
            attack = .pgd(epsilon: epsilon.value, stepSize: stepSize?.value, steps: steps ?? 10, randomStart: randomStart, seed: randomStartSeed, goal: goal)
        }
        let parameters = parameters()
        let methods = try methodNames().map { name in
            do { return try name.method(parameters) } catch { throw ValidationError(OptionError(error).description) }
        }
        return AdversarialExperiment(attack: attack, methods: methods, batchSize: batchSize, workers: workers, includesNoiseControl: !skipNoiseControl)
    }

    /// `--target-class` as an index of `model`.
    func resolvedTargetClass(for model: Model) throws -> Int? {
        guard let targetClass else { return nil }
        if let index = Int(targetClass) { return index }
        if let index = model.classIndex(named: targetClass) { return index }
        throw OptionError(option: "--target-class", message: "\(model.name) has no class '\(targetClass)'\(Spelling.didYouMean(targetClass, in: model.classNames))")
    }

    /// The [0, 1] images at the model's input size, and their display names.
    func inputs(for model: Model) throws -> (images: [RGBImage], names: [String]) {
        if let shapesCount {
            let size = ShapesDataset.imageSize
            guard model.network.inputSize.height == size, model.network.inputSize.width == size else {
                throw OptionError(option: "--model", message: "--shapes-count needs a model with \(size)×\(size) inputs, \(model.name) takes \(model.network.inputSize.width)×\(model.network.inputSize.height)")
            }
            let dataset = try ShapesDataset(split: .test, count: shapesCount, seed: shapesSeed)
            let pictures = try (0..<shapesCount).map { try RGBImage(width: size, height: size, pixels: dataset.pixels(at: $0)) }
            return (pictures, (0..<shapesCount).map { "shapes test #\($0) (\(ShapeClass.allCases[dataset.labels[$0]]))" })
        }
        let pictures = try images.map { try model.preprocessing.prepared(CLIInputs.decodeImage($0, orientation: orientation)) }
        var names = images.map { ($0 as NSString).lastPathComponent }
        if Set(names).count < names.count {
            names = images.map { path in
                let url = URL(fileURLWithPath: path)
                return url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
            }
        }
        return (pictures, names)
    }

    func run() throws {
        let workers = threadOptions.workers()
        let loaded = try modelOptions.load(defaultModel: defaultModel, workers: workers)
        var model = loaded.model
        if shapesCount != nil && model.classCount == ShapeClass.allCases.count {
            // The shapes dataset's classes, not the architecture's CIFAR-10 names.
            model.classNames = ShapeClass.allCases.map(\.description)
        }
        let experiment = try experiment(targetClass: try resolvedTargetClass(for: model), workers: workers)
        do { try experiment.validate(classCount: model.classCount) } catch { throw CommandFailure(error.description) }
        let (pictures, names) = try inputs(for: model)
        let batch = try Tensor.concatenate(pictures.map { $0.tensor(scaling: .zeroToOne) })
        let outURL = URL(fileURLWithPath: out)
        try FileAccess.createFolder(out, option: "--out")
        let imagesFolder = outURL.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: imagesFolder, withIntermediateDirectories: true)
        let scale = max(1, 160 / max(model.network.inputSize.width, model.network.inputSize.height, 1))
        print("adversarial: \(pictures.count) images, \(model.name) (\(loaded.weightsDescription)); attack: \(experiment.attack); methods: \(experiment.methods.map(\.name).joined(separator: ", "))")
        fflush(nil)

        let progress = progressOptions.line()
        var showcase: [AdversarialReport.ShowcaseImage] = []
        let result = try experiment.run(images: batch, network: model.network, scaling: model.preprocessing.scaling, onImage: { outcome, maps in
            let n = AdversarialReport.fileNumber(outcome.index)
            let adversarial = try RGBImage(tensor: outcome.adversarialImage, scaling: .zeroToOne)
            try pictures[outcome.index].enlarged(by: scale).writePNG(to: imagesFolder.appendingPathComponent("\(n)-original.png"))
            try adversarial.enlarged(by: scale).writePNG(to: imagesFolder.appendingPathComponent("\(n)-adversarial.png"))
            try AdversarialReport.writeMaps(maps, methods: experiment.methods, imageIndex: outcome.index, to: outURL, scale: scale)
            if outcome.decisionChanged && showcase.count < self.showcase {
                showcase.append(.init(outcome: outcome, original: pictures[outcome.index], adversarial: adversarial, maps: maps))
            }
        }, progress: { progress.update($0) })
        progress.clear()

        let report = AdversarialReport(result: result, model: model, imageNames: names, showcase: showcase, tileScale: scale)
        let facts: [(String, String)] = [
            ("model", "\(model.name) (\(loaded.weightsDescription))"),
            ("images", shapesCount.map { "\($0) held-out shapes images (test split, seed \(shapesSeed))" } ?? "\(images.count) files"),
            ("attack", experiment.attack.description),
            ("ε", String(format: "%.6f = %.2f/255", experiment.attack.epsilon, experiment.attack.epsilon * 255)),
            ("methods", experiment.methods.map(\.name).joined(separator: ", ")),
            ("RectGrad percentile", "\(percentile)"),
            ("integrated gradients steps / SmoothGrad samples", "\(igSteps) / \(smoothgradSamples)"),
            ("wall time", String(format: "%.1f s", result.seconds)),
        ]
        try report.html(title: "Adversarial attack — \(model.name)", facts: facts, methods: experiment.methods)
            .write(to: outURL.appendingPathComponent("report.html"))
        try FileAccess.write(Data(report.csv().utf8), to: outURL.appendingPathComponent("results.csv").path, option: "--out")
        try FileAccess.write(Data(report.summaryCSV().utf8), to: outURL.appendingPathComponent("summary.csv").path, option: "--out")
        let markdown = report.markdownTable()
        try FileAccess.write(Data(markdown.utf8), to: outURL.appendingPathComponent("summary.md").path, option: "--out")
        if !showcase.isEmpty {
            try report.figure(methods: experiment.methods, includesInputs: shapesCount != nil).writePNG(to: outURL.appendingPathComponent("figure.png"))
        }

        print("\(result.outcomes.count) images: decision changed on \(result.changed.count), failed attacks (left out): \(result.failedCount)\(result.missedTargetCount > 0 ? ", changed but not to the target: \(result.missedTargetCount)" : "")\(skipNoiseControl ? "" : "; random ±ε sign noise changed \(result.noiseChangedCount)")")
        print(markdown)
        print(String(format: "wall time %.1f s", result.seconds))
        print("report: \(outURL.appendingPathComponent("report.html").path)")
    }
}
