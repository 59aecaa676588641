import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad evaluate`: sanity checks and faithfulness metrics of attribution methods, one HTML
/// report and CSV files.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Sanity checks (model and data randomisation) and faithfulness metrics (deletion/insertion, pixel flipping, sensitivity, localisation) of attribution methods.",
        discussion: """
        Explains held-out images of the built-in shapes dataset (--count, with the shapes model \
        cifar-cnn) or the given photos for the predicted class, with every --method (by default \
        the paper's methods, the LRP composites, Grad-CAM and Guided Grad-CAM), and runs the \
        --checks: randomisation (cascading and independent re-initialisation of the parameterised \
        layers, top first — Adebayo et al. 2018 — plus, on the shapes dataset, a network trained on \
        permuted labels), deletion (deletion and insertion curves and MoRF/LeRF pixel flipping with \
        a blurred or mean-colour fill, ties broken by seeded noise — Petsiuk et al. 2018), \
        sensitivity (max- and average-sensitivity under uniform input noise of --radius — Yeh et \
        al. 2019) and localisation (pointing game and relevance-mass accuracy against the shapes' \
        exact masks). Writes report.html (charts and tables), PNG charts and CSV files into --out.
        """
    )

    @Argument(help: ArgumentHelp("PNG or JPEG photos (instead of --count shapes images).", valueName: "image"))
    var images: [String] = []

    @Option(name: .long, help: CLIInputs.orientationHelp)
    var orientation = OrientationHandling.applyEXIF

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    @Option(name: .long, help: ArgumentHelp("Comma-separated methods, 'default' (\(EvaluationSettings.defaultMethods.map(\.rawValue).joined(separator: ", "))) or 'all' (every method but occlusion); the words may be combined, e.g. default,vargrad.", valueName: "list"))
    var method = "default"

    @Option(name: .long, help: ArgumentHelp("Comma-separated checks: randomisation, deletion, sensitivity, localisation, or 'all'.", valueName: "list"))
    var checks = "all"

    @Option(name: .long, help: ArgumentHelp("Held-out shapes images (without photos).", valueName: "n"))
    var count = 100

    @Option(name: .long, help: ArgumentHelp("Comma-separated layers at which model randomisation is evaluated (default: every parameterised layer; `rectgrad models --layers NAME` lists them).", valueName: "list"))
    var layers: String?

    @Option(name: .long, help: ArgumentHelp("Steps of the deletion and insertion curves (equal shares of the pixels).", valueName: "n"))
    var deletionSteps = 50

    @Option(name: .long, help: ArgumentHelp("What deleted pixels become: blur (a Gaussian blur of the image) or mean (its channel means).", valueName: "blur|mean"))
    var fill = FillChoice.blur

    @Option(name: .long, help: ArgumentHelp("The blur's σ in pixels (default 5 at 224 pixels, scaled to the width, at least 1).", valueName: "px"))
    var blurSigma: Double?

    @Option(name: .long, help: ArgumentHelp("The L∞ radius of the sensitivity noise, in the network's input units.", valueName: "r"))
    var radius: Float = 0.02

    @Option(name: .long, help: ArgumentHelp("Noise samples per image for sensitivity.", valueName: "n"))
    var sensitivitySamples = 10

    @Option(name: .long, help: ArgumentHelp("Seeds the noise, the random weights, the tie-breaking and the random ranking.", valueName: "n"))
    var evaluationSeed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("Training images of the permuted-label network (data randomisation, shapes only).", valueName: "n"))
    var permutedTrainCount = 5_000

    @Option(name: .long, help: ArgumentHelp("Epochs of the permuted-label network.", valueName: "n"))
    var permutedEpochs = 3

    @Flag(name: .long, help: "Skip the data-randomisation check (training on permuted labels).")
    var skipDataRandomisation = false

    @Option(name: .long, help: ArgumentHelp("The output folder (report.html, *.csv, *.png).", valueName: "dir"))
    var out: String

    @OptionGroup(title: "Method parameters") var methodOptions: MethodOptions

    /// What replaces deleted pixels.
    enum FillChoice: String, ExpressibleByArgument, CaseIterable {
        case blur, mean
    }

    func validate() throws {
        for image in images { try FileAccess.checkInputFile(image, option: "") }
        try FileAccess.checkOutputFolder(out, option: "--out", inputs: images)
        let settings = try self.settings()
        if !images.isEmpty, checks.lowercased().split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("locali") }) {
            throw ValidationError("--checks: localisation needs the shapes dataset's object masks; it cannot run on photos")
        }
        _ = settings
        do { _ = try modelOptions.entry() } catch { throw ValidationError(OptionError(option: "--model", message: "\(error)").description) }
    }

    /// The methods `--method` names: `default` stands for ``EvaluationSettings/defaultMethods``,
    /// `all` for every method but occlusion; in the order given, without repeats.
    func methodNames() throws -> [MethodName] {
        let items = method.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let expanded = items.flatMap { item in
            item.lowercased() == "default" ? EvaluationSettings.defaultMethods.map(\.rawValue) : [item]
        }
        return try methodOptions.methodNames(expanded.joined(separator: ","), option: "--method")
    }

    /// The library's settings from the options; errors name the option.
    func settings() throws -> EvaluationSettings {
        let names = try methodNames()
        let settings: EvaluationSettings
        do { settings = try librarySettings(methods: names) } catch { throw ValidationError(error.description) }
        if settings.layers?.isEmpty == true { throw ValidationError("--layers: needs at least one layer name") }
        return settings
    }

    /// The settings, checked by the library.
    private func librarySettings(methods: [MethodName]) throws(ExperimentError) -> EvaluationSettings {
        var settings = EvaluationSettings()
        settings.methods = methods
        settings.checks = try EvaluationCheck.parse(checks)
        if !images.isEmpty { settings.checks.removeAll { $0 == .localisation } }
        settings.imageCount = count
        settings.layers = layers.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        settings.perturbation.steps = deletionSteps
        settings.perturbation.seed = evaluationSeed
        if fill == .mean {
            settings.perturbation.fill = .channelMean
        } else if let blurSigma {
            settings.perturbation.fill = .blurred(sigma: blurSigma)
        }
        settings.radius = radius
        settings.sensitivitySamples = sensitivitySamples
        settings.seed = evaluationSeed
        settings.dataRandomisation = skipDataRandomisation || !images.isEmpty ? nil : DataRandomisation(
            training: TrainingConfiguration(epochs: permutedEpochs, batchSize: 100, learningRate: 1e-3, seed: evaluationSeed),
            trainCount: permutedTrainCount, seed: evaluationSeed)
        try settings.validate()
        return settings
    }

    func run() throws {
        let workers = threadOptions.workers()
        let settings = try settings()
        let loaded = try modelOptions.load(workers: workers)
        let model = loaded.model
        let network = model.network
        let names = settings.methods
        let parameters = try methodOptions.parameters()
        let methods = try names.map { try $0.method(parameters) }
        if let layers = settings.layers {
            let check = ModelRandomisation(network: network, methods: methods, layers: layers)
            do { _ = try check.evaluatedLayers() } catch { throw ValidationError(error.description) }
        }

        // The images: photos, or held-out shapes images with their masks.
        let input: Tensor
        var masks: [[Bool]]?
        let source: String
        if images.isEmpty {
            guard network.inputSize == Size2D(ShapesDataset.imageSize, ShapesDataset.imageSize), network.classCount == ShapesDataset.classCount else {
                throw ValidationError("--count: the built-in shapes images fit \(ShippedModel.architecture) (32×32, \(ShapesDataset.classCount) classes), not \(model.name); give photos (IMAGE...) for \(model.name)")
            }
            let test = try ShapesDataset(split: .test, count: settings.imageCount, seed: ShippedModel.recipe.seed)
            input = test.images
            masks = try (0..<settings.imageCount).map { try test.mask(at: $0) }
            source = "\(settings.imageCount) held-out shapes images (test split, seed \(ShippedModel.recipe.seed))"
        } else {
            input = try CLIInputs.readImages(images, for: model, orientation: orientation)
            // `folder/name.jpg`: photos of different folders often share a file name.
            source = images.map { path in
                let url = URL(fileURLWithPath: path)
                return url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
            }.joined(separator: ", ")
        }
        let imageCount = input.shape[0]
        print("evaluate \(model.name) (\(loaded.weightsDescription)) on \(source); methods: \(names.map(\.rawValue).joined(separator: ", ")); checks: \(settings.checks.map(\.rawValue).joined(separator: ", "))")
        fflush(nil)

        var report = EvaluationReportBuilder(modelName: model.name, weights: loaded.weightsDescription, source: source, methods: methods.map(\.name), settings: settings)
        let clock = ContinuousClock()
        let total = clock.now
        func timed<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
            let start = clock.now
            let value = try body()
            let seconds = (clock.now - start).seconds
            report.timings.append((label, seconds))
            print(String(format: "%@: %.1f s", label, seconds))
            fflush(nil)
            return value
        }

        let session = try AttributionSession(network: network, input: input, workers: workers, buffers: .command)
        let targets = session.targets
        let maps = try timed("attribution of every method") { try methods.map { try session.attribute($0).map } }

        if settings.checks.contains(.randomisation) {
            let check = ModelRandomisation(network: network, methods: methods, layers: settings.layers, seed: settings.seed)
            report.randomisation = try timed("model randomisation") {
                try check.run(input: input) { print("  \($0)"); fflush(nil) }
            }
            if let data = settings.dataRandomisation {
                let initial = try Zoo.entry(named: ShippedModel.architecture).network(seed: settings.seed)
                let trained = try timed("training on permuted labels (\(data.trainCount) images, \(data.training.epochs) epochs)") {
                    try data.trainPermuted(initial) { event in
                        if case .epochFinished(let summary) = event {
                            print(String(format: "  permuted labels, epoch %d: loss %.3f, training accuracy %.3f", summary.epoch, summary.loss, summary.trainingAccuracy))
                            fflush(nil)
                        }
                    }
                }
                let comparisons = try timed("data randomisation maps") {
                    try ModelRandomisation.compare(maps, network: trained.network, methods: methods, input: input, targets: targets, workers: workers)
                }
                let test = try ShapesDataset(split: .test, count: 2_000, seed: ShippedModel.recipe.seed)
                report.dataRandomisation = EvaluationReportBuilder.DataRandomisationOutcome(
                    settings: data, comparisons: comparisons,
                    permutedTestAccuracy: try Evaluation.accuracy(of: trained.network, on: test, workers: workers),
                    originalTestAccuracy: try Evaluation.accuracy(of: network, on: test, workers: workers),
                    finalTrainingAccuracy: trained.epochs.last?.trainingAccuracy ?? .nan)
            }
        }
        if settings.checks.contains(.deletion) {
            report.perturbation = try timed("deletion, insertion, pixel flipping") {
                var summaries: [PerturbationSummary] = []
                for (method, map) in zip(methods, maps) + [(nil, nil)] as [(AttributionMethod?, Tensor?)] {
                    let name = method?.name ?? "random"
                    summaries.append(try PerturbationSummary.measure(ranking: name, network: network, input: input, attribution: map, targets: targets, settings: settings.perturbation))
                    print("  \(name)"); fflush(nil)
                }
                return summaries
            }
        }
        if settings.checks.contains(.sensitivity) {
            let perturbations = try Sensitivity.uniformPerturbations(shape: Array(input.shape.dropFirst()), radius: settings.radius, count: settings.sensitivitySamples, seed: settings.seed)
            report.sensitivity = try timed("sensitivity") {
                try methods.map { method in
                    let figures = try Sensitivity.measure(network: network, method: method, input: input, targets: targets, perturbations: perturbations)
                    print("  \(method.name)"); fflush(nil)
                    return (method.name, figures)
                }
            }
        }
        if settings.checks.contains(.localisation), let masks {
            report.localisation = try timed("localisation") {
                try zip(methods, maps).map { method, map in
                    var hits = 0, masses: [Double] = []
                    for example in 0..<imageCount {
                        let relevance = try RelevanceOrder.relevance(of: map.example(example))
                        if try Localisation.pointingGameHit(relevance: relevance, mask: masks[example]) { hits += 1 }
                        if let mass = try Localisation.relevanceMassAccuracy(relevance: relevance, mask: masks[example]) { masses.append(mass) }
                    }
                    return EvaluationReportBuilder.LocalisationRow(method: method.name, pointingGame: Double(hits) / Double(imageCount), relevanceMass: masses.isEmpty ? .nan : masses.reduce(0, +) / Double(masses.count), definedMasses: masses.count)
                }
            }
            report.maskShare = masks.map { Double($0.filter { $0 }.count) / Double($0.count) }.reduce(0, +) / Double(imageCount)
        }
        report.totalSeconds = (clock.now - total).seconds
        let written = try report.write(to: out)
        print(String(format: "total %.1f s", report.totalSeconds))
        print("wrote \(written.joined(separator: ", ")) to \(out)")
    }
}

fileprivate extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
