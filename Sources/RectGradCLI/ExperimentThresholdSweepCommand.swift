import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad experiment threshold-sweep`: the paper's Figure 1 on photos.
struct ExperimentThresholdSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threshold-sweep",
        abstract: "RectGrad at several percentiles q and RectGrad-const at τ on images: one map per setting (the paper's Figure 1).",
        discussion: """
        Every image is brought to the model's input size and explained for its predicted class (or \
        --target) by RectGrad at each --percentiles q (default 0,10,20,80,90,95,99, the paper's) and \
        RectGrad-const at each --taus τ (default 0); one recorded forward pass per image serves every \
        setting. Writes maps/<image>-<setting>.png, sweep.png (all images, one column per setting) \
        and report.html (rows = images, columns = settings) into --out.
        """
    )

    @Argument(help: ArgumentHelp("PNG or JPEG files.", valueName: "image"))
    var images: [String]

    @Option(name: .long, help: CLIInputs.orientationHelp)
    var orientation = OrientationHandling.applyEXIF

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    @Option(name: .long, help: ArgumentHelp("RectGrad's percentiles, comma-separated, each in [0, 100] (empty: none).", valueName: "q,q,…"))
    var percentiles = ThresholdSweep.paperPercentiles.map { String(Int($0)) }.joined(separator: ",")

    @Option(name: .long, help: ArgumentHelp("RectGrad-const's thresholds, comma-separated (empty: none; write negative values as --taus=-0.1).", valueName: "t,t,…"))
    var taus = "0"

    @Option(name: .long, help: ArgumentHelp("How RectGrad reads the percentile: nearest (the published float32 rule) or linear (NumPy's default).", valueName: "nearest|linear"))
    var interpolation = PercentileInterpolation.nearestFloat32

    @Option(name: .long, help: ArgumentHelp("The importance score: signed (a·R) or absolute (|a·R|).", valueName: "signed|absolute"))
    var importance = ImportanceScore.signed

    @Option(name: .long, help: ArgumentHelp("The padding rule.", valueName: "on|off"))
    var borderRule = Switch.on

    @Option(name: .long, help: ArgumentHelp("The display percentiles Q1,Q2 of every map.", valueName: "q1,q2"))
    var finalThreshold = "0.5,99.5"

    @OptionGroup(title: "Classes") var targetOptions: TargetOptions

    @Option(name: .long, help: ArgumentHelp("The output folder.", valueName: "dir"))
    var out: String

    /// The model swept without --model.
    static let defaultModel = "efficientnet-lite0"

    func validate() throws {
        if images.isEmpty { throw ValidationError("Give at least one image file.") }
        if targetOptions.topK != nil { throw ValidationError("--top-k does not apply to the sweep; give --target or nothing (the predicted class).") }
        for image in images { try FileAccess.checkInputFile(image, option: "") }
        try FileAccess.checkOutputFolder(out, option: "--out", inputs: images)
        do { _ = try FinalThreshold(parsing: finalThreshold) } catch { throw ValidationError("\(error)") }
        do { try sweep(workers: .serial).validate() } catch let error as ExperimentError { throw ValidationError(error.description) }
        do { _ = try modelOptions.entry(defaultModel: Self.defaultModel) } catch { throw ValidationError(OptionError(option: "--model", message: "\(error)").description) }
    }

    /// Comma-separated finite numbers.
    static func numbers(_ text: String, option: String) throws -> [Double] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let value = Double(part.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw ValidationError("\(option) must be comma-separated numbers, got '\(text)'.")
            }
            return value
        }
    }

    /// The sweep these options describe.
    func sweep(workers: Workers) throws -> ThresholdSweep {
        let qs = percentiles.trimmingCharacters(in: .whitespaces).isEmpty ? [] : try Self.numbers(percentiles, option: "--percentiles")
        let ts = taus.trimmingCharacters(in: .whitespaces).isEmpty ? [] : try Self.numbers(taus, option: "--taus")
        var parameters = MethodParameters()
        parameters.interpolation = interpolation
        parameters.importance = importance
        parameters.masksConvolutionBorder = borderRule.isOn
        return ThresholdSweep(
            settings: qs.map { .rectGrad(percentile: $0) } + ts.map { .rectGradConstant(tau: Float($0)) },
            parameters: parameters, workers: workers)
    }

    func run() throws {
        let workers = threadOptions.workers()
        let loaded = try modelOptions.load(defaultModel: Self.defaultModel, workers: workers)
        let model = loaded.model
        let sweep = try sweep(workers: workers)
        let targets = try targetOptions.selection(for: model)
        let clock = ContinuousClock()
        var rows: [ThresholdSweepReport.Row] = []
        let elapsed = try clock.measure {
            for (index, path) in images.enumerated() {
                let prepared = try model.preprocessing.prepared(CLIInputs.decodeImage(path, orientation: orientation))
                let input = prepared.tensor(scaling: model.preprocessing.scaling)
                let imageTargets: TargetSelection
                switch targets {
                case .perExample(let list) where list.count > 1:
                    guard list.count == images.count else {
                        throw OptionError(option: "--target", message: "\(list.count) targets for \(images.count) images; give one for all or one per image")
                    }
                    imageTargets = .all(list[index])
                default: imageTargets = targets
                }
                let result: ThresholdSweepResult
                do { result = try sweep.run(input: input, network: model.network, targets: imageTargets) } catch let error as AttributionError { throw OptionError(error) }
                let target = result.targets[0]
                let probability = try SoftmaxCrossEntropy.softmax(result.logits)[flat: target]
                rows.append(ThresholdSweepReport.Row(
                    name: Self.displayName(path, among: images), image: prepared,
                    classLabel: "\(model.className(target)) (\(String(format: "%.1f", Double(probability) * 100)) %)", maps: result.maps[0]))
                print("\(Self.displayName(path, among: images)): \(rows[rows.count - 1].classLabel)")
                fflush(nil)
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let report = ThresholdSweepReport(settings: sweep.settings, rows: rows, finalThreshold: try FinalThreshold(parsing: finalThreshold))
        let url = try report.write(to: URL(fileURLWithPath: out), title: "RectGrad threshold sweep — \(model.name)", facts: [
            ("model", "\(model.name) (\(loaded.weightsDescription))"),
            ("settings", sweep.settings.map(\.description).joined(separator: ", ")),
            ("interpolation / importance / padding rule", "\(interpolation.rawValue) / \(importance.rawValue) / \(borderRule.rawValue)"),
            ("final threshold", finalThreshold),
            ("wall time", String(format: "%.1f s", seconds)),
        ])
        print(String(format: "wall time %.1f s", seconds))
        print("report: \(url.path)")
    }

    /// The file name, or `folder/name` when another image has the same file name.
    static func displayName(_ path: String, among paths: [String]) -> String {
        let name = (path as NSString).lastPathComponent
        guard paths.filter({ ($0 as NSString).lastPathComponent == name }).count > 1 else { return name }
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().lastPathComponent + "/" + name
    }
}
