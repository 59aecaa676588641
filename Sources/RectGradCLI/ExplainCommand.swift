import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad explain`: images in, heatmaps and a self-contained HTML report out.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain images with several attribution methods and write heatmaps and an HTML report.",
        discussion: """
        Every image is brought to the model's input size (`rectgrad models` lists how) and explained \
        for its predicted class, the class --target names (index or name), or each of its --top-k \
        most probable classes. --methods takes the names of `rectgrad attribute --help`; \
        \(MethodOptions.allHelp). \
        The forward pass is recorded once per image and replayed backward for every rule-based \
        method. One PNG per image and method and a self-contained report.html (images embedded) \
        are written to --out. Maps are shown with the paper's final threshold (default 0.5,99.5) \
        and, for comparison, with its baseline final threshold (95,99.5).
        """
    )

    @Argument(help: ArgumentHelp("PNG or JPEG files.", valueName: "image"))
    var images: [String]

    @Option(name: .long, help: CLIInputs.orientationHelp)
    var orientation = OrientationHandling.applyEXIF

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: ArgumentHelp("Comma-separated methods (see `rectgrad attribute --help`) or 'all'.", valueName: "list"))
    var methods = ExplainCommand.defaultMethods.map(\.rawValue).joined(separator: ",")

    @Option(name: .long, help: ArgumentHelp("The display percentiles Q1,Q2.", valueName: "q1,q2"))
    var finalThreshold = "0.5,99.5"

    @Option(name: .long, help: ArgumentHelp("The output folder.", valueName: "dir"))
    var out = "rectgrad-report"

    @OptionGroup(title: "Classes") var targetOptions: TargetOptions

    @OptionGroup(title: "Method parameters") var methodOptions: MethodOptions

    @OptionGroup var progressOptions: ProgressOptions

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    /// The model explained without --model.
    static let defaultModel = "efficientnet-lite0"

    /// Every method but occlusion, whose cost grows with the pixel count.
    static let defaultMethods: [MethodName] = MethodName.allCases.filter { $0 != .occlusion }

    func validate() throws {
        if images.isEmpty { throw ValidationError("Give at least one image file.") }
        for image in images { try FileAccess.checkInputFile(image, option: "") }
        try FileAccess.checkOutputFolder(out, option: "--out", inputs: images)
        _ = try parsedMethods()
        do { _ = try FinalThreshold(parsing: finalThreshold) } catch { throw ValidationError("\(error)") }
        do { _ = try modelOptions.entry(defaultModel: Self.defaultModel) } catch { throw ValidationError(OptionError(option: "--model", message: "\(error)").description) }
    }

    func parsedMethods() throws -> [MethodName] {
        try methodOptions.methodNames(methods, option: "--methods")
    }

    func run() throws {
        let workers = threadOptions.workers()
        let loaded = try modelOptions.load(defaultModel: Self.defaultModel, workers: workers)
        let model = loaded.model
        let parameters = try methodOptions.parameters()
        var explainer = Explainer(model: model, methods: try parsedMethods(), parameters: parameters, workers: workers)
        explainer.output = try targetOptions.explainedOutput(for: model)
        let baselineChoice = try methodOptions.baselineChoice()
        let selection = try targetOptions.selection(for: model)
        let targets = try perImageTargets(selection)
        let estimate = WorkEstimate(methods: try explainer.methods.map { try $0.method(parameters) }, input: [images.count, model.network.inputChannels, model.network.inputSize.height, model.network.inputSize.width], classSets: targetOptions.topK ?? 1)
        if estimate.passes > WorkEstimate.reportThreshold { CLIInputs.note(estimate.description) }

        let progress = progressOptions.line()
        var explained: [ExplainedImage] = []
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for (index, path) in images.enumerated() {
                let name = (path as NSString).lastPathComponent
                let step = "image \(index + 1)/\(images.count) \(name)"
                progress.update(step)
                let image = try CLIInputs.decodeImage(path, orientation: orientation)
                var imageExplainer = explainer
                imageExplainer.parameters = try methodOptions.parameters(model: model, batch: try model.input(from: [image]), orientation: orientation)
                var classes: [Int?] = [targets[index]]
                if let topK = targetOptions.topK {
                    let input = try model.input(from: [image])
                    classes = try model.topClasses(model.network.logits(for: input, workers: workers), k: min(topK, model.classCount))[0].map(\.index)
                }
                for (rank, target) in classes.enumerated() {
                    // `photo-top2.jpg`: the report names files and headings after it.
                    let label = classes.count > 1 ? Self.rankedName(name, rank: rank + 1) : name
                    let classPart = classes.count > 1 ? ", class \(rank + 1)/\(classes.count)" : ""
                    do {
                        explained.append(try imageExplainer.explain(name: label, image: image, target: target) { progress.update("\(step)\(classPart): \($0)") })
                    } catch let error as AttributionError {
                        throw OptionError(error)
                    }
                }
            }
        }
        progress.clear()
        let report = ExplanationReport(images: explained, finalThreshold: try FinalThreshold(parsing: finalThreshold))
        let url = try report.write(to: URL(fileURLWithPath: out), title: "RectGrad explanations — \(model.name)", facts: [
            ("model", "\(model.name) (\(loaded.weightsDescription))"),
            ("preprocessing", model.preprocessing.description),
            ("methods", explainer.methods.map(\.rawValue).joined(separator: ", ")),
            ("RectGrad percentile", "\(methodOptions.percentile)"),
            ("final threshold", finalThreshold),
            ("integrated gradients steps", "\(methodOptions.steps)"),
            ("baseline", baselineChoice.description),
            ("explained output", explainer.output.description),
            ("SmoothGrad samples", "\(methodOptions.samples)"),
            ("total time", String(format: "%.2f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)),
        ])
        for image in explained {
            print("\(image.name): \(image.className) (\(String(format: "%.1f", Double(image.confidence) * 100)) %)")
        }
        print("report: \(url.path)")
    }

    /// `photo.jpg`, 2 → `photo-top2.jpg`.
    static func rankedName(_ name: String, rank: Int) -> String {
        let file = name as NSString
        let ext = file.pathExtension
        return file.deletingPathExtension + "-top\(rank)" + (ext.isEmpty ? "" : ".\(ext)")
    }

    /// The class of each image: `nil` for the predicted one.
    func perImageTargets(_ selection: TargetSelection) throws -> [Int?] {
        switch selection {
        case .predicted: return images.map { _ in nil }
        case .all(let target): return images.map { _ in target }
        case .perExample(let list):
            if list.count == 1 { return images.map { _ in list[0] } }
            guard list.count == images.count else {
                throw OptionError(option: "--target", message: "\(list.count) targets for \(images.count) images; give one for all or one per image")
            }
            return list
        }
    }
}
