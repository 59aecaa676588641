import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad explain`: images in, heatmaps and a self-contained HTML report out.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain images with several attribution methods and write heatmaps and an HTML report.",
        discussion: """
        Every image is brought to the model's input size (`rectgrad models` lists how) and explained for its predicted class. \
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

    @Option(name: .long, help: ArgumentHelp("RectGrad's percentile q in [0, 100].", valueName: "q"))
    var percentile: Double = 98

    @Option(name: .long, help: ArgumentHelp("The display percentiles Q1,Q2.", valueName: "q1,q2"))
    var finalThreshold = "0.5,99.5"

    @Option(name: .long, help: ArgumentHelp("Path points of integrated gradients.", valueName: "m"))
    var steps = 50

    @Option(name: .long, help: ArgumentHelp("Noise samples of SmoothGrad.", valueName: "n"))
    var samples = 50

    @Option(name: .long, help: ArgumentHelp("The output folder.", valueName: "dir"))
    var out = "rectgrad-report"

    /// The model explained without --model.
    static let defaultModel = "efficientnet-lite0"

    /// Every method but occlusion, whose cost grows with the pixel count.
    static let defaultMethods: [MethodName] = MethodName.allCases.filter { $0 != .occlusion }

    func validate() throws {
        if images.isEmpty { throw ValidationError("Give at least one image file.") }
        for image in images { try FileAccess.checkInputFile(image, option: "") }
        try FileAccess.checkOutputFolder(out, option: "--out", inputs: images)
        if !(0...100).contains(percentile) { throw ValidationError("--percentile must be in [0, 100], got \(percentile).") }
        if steps < 1 { throw ValidationError("--steps must be at least 1.") }
        if samples < 1 { throw ValidationError("--samples must be at least 1.") }
        _ = try parsedMethods()
        do { _ = try FinalThreshold(parsing: finalThreshold) } catch { throw ValidationError("\(error)") }
    }

    func parsedMethods() throws -> [MethodName] {
        if methods == "all" { return MethodName.allCases }
        return try methods.split(separator: ",").map { name in
            do { return try MethodName(parsing: String(name).trimmingCharacters(in: .whitespaces)) } catch {
                throw ValidationError("--methods: \(error)")
            }
        }
    }

    func run() throws {
        let loaded = try modelOptions.load(defaultModel: Self.defaultModel)
        let model = loaded.model
        var parameters = MethodParameters()
        parameters.percentile = percentile
        parameters.steps = steps
        parameters.samples = samples
        let explainer = Explainer(model: model, methods: try parsedMethods(), parameters: parameters)

        let progress = ProgressLine()
        var explained: [ExplainedImage] = []
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for (index, path) in images.enumerated() {
                progress.update("explain [\(index + 1)/\(images.count)] \((path as NSString).lastPathComponent)")
                let image = try CLIInputs.decodeImage(path, orientation: orientation)
                explained.append(try explainer.explain(name: (path as NSString).lastPathComponent, image: image))
            }
        }
        progress.clear()
        let report = ExplanationReport(images: explained, finalThreshold: try FinalThreshold(parsing: finalThreshold))
        let url = try report.write(to: URL(fileURLWithPath: out), title: "RectGrad explanations — \(model.name)", facts: [
            ("model", "\(model.name) (\(loaded.weightsDescription))"),
            ("preprocessing", model.preprocessing.description),
            ("methods", explainer.methods.map(\.rawValue).joined(separator: ", ")),
            ("RectGrad percentile", "\(percentile)"),
            ("final threshold", finalThreshold),
            ("integrated gradients steps", "\(steps)"),
            ("SmoothGrad samples", "\(samples)"),
            ("total time", String(format: "%.2f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)),
        ])
        for image in explained {
            print("\(image.name): \(image.className) (\(String(format: "%.1f", Double(image.confidence) * 100)) %)")
        }
        print("report: \(url.path)")
    }
}
