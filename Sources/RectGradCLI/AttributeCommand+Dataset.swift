import ArgumentParser
import Foundation
import RectifiedGradient

/// `attribute`'s dataset mode: a folder (recursive PNG/JPEG) or `--manifest` streamed through
/// ``DatasetAttribution`` into an output folder with an index, resumable and shardable.
extension AttributeCommand {
    /// Whether the command runs on a dataset: `--manifest`, or a single folder argument.
    var isDatasetRun: Bool {
        datasetOptions.manifest != nil || (images.count == 1 && FileAccess.entry(at: images[0]) == .folder)
    }

    /// The dataset's folder, if a folder was given.
    var datasetFolder: String? { datasetOptions.manifest == nil ? images.first : nil }

    func validateDatasetRun() throws {
        if modelOptions.model == nil { throw ValidationError("Missing expected argument '--model <name>'.") }
        if input != nil { throw ValidationError("--input takes a preprocessed array; a dataset run takes a folder or --manifest, not both.") }
        if datasetOptions.manifest != nil && !images.isEmpty { throw ValidationError("Give either a folder or --manifest, not both.") }
        if singleFile != nil { throw ValidationError("--output \(output) names one file; a dataset run writes into a folder.") }
        if let topK = targetOptions.topK { throw ValidationError("--top-k \(topK) is not available for a dataset run; give --target or a manifest target column.") }
        _ = try methodOptions.methodNames(method, option: "--method")
        switch try methodOptions.baselineChoice() {
        case .zero, .constant: break
        case let choice: throw ValidationError("--baseline \(choice) depends on each image; a dataset run takes zero or constant:V.")
        }
        if targetOptions.explainedOutput != nil { throw ValidationError("--explained-output is not available for a dataset run (its maps explain the logit).") }
        if let manifest = datasetOptions.manifest { try FileAccess.checkInputFile(manifest, option: "--manifest") }
        try FileAccess.checkOutputFolder(output, option: "--output", inputs: [datasetOptions.manifest ?? images[0]])
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
        do { _ = try modelOptions.entry() } catch { throw ValidationError(OptionError(option: "--model", message: "\(error)").description) }
    }

    func runDatasetRun(workers: Workers) throws {
        let names = try methodOptions.methodNames(method, option: "--method")
        var parameters = try methodOptions.parameters()
        if case .constant(let value) = try methodOptions.baselineChoice() { parameters.baseline = .constant(value) }
        let methods = try names.map { try $0.method(parameters) }
        let loaded = try modelOptions.load(workers: workers)
        let model = loaded.model
        if modelOptions.weights == nil { CLIInputs.note("\(model.name) with \(loaded.weightsDescription)") }

        let network = model.network
        let estimate = WorkEstimate(methods: methods, input: [1, network.inputChannels, network.inputSize.height, network.inputSize.width])
        if estimate.passes > WorkEstimate.limit && !force {
            throw ValidationError("\(estimate.description) per image, more than the limit of \(CLIInputs.grouped(WorkEstimate.limit)); reduce --steps, --samples or the occlusion windows (--window, --stride), or pass --force.")
        }
        let defaultTarget: Int?
        switch try targetOptions.selection(for: model) {
        case .predicted: defaultTarget = nil
        case .all(let index): defaultTarget = index
        case .perExample: throw OptionError(option: "--target", message: "a dataset run takes one class for every image; give per-image targets in a manifest")
        }
        let outputFolder = URL(fileURLWithPath: output, isDirectory: true)
        let items: [DatasetItem]
        if let manifest = datasetOptions.manifest {
            items = try DatasetListing.manifest(URL(fileURLWithPath: manifest), classNames: model.classNames)
        } else {
            items = try DatasetListing.folder(URL(fileURLWithPath: images[0], isDirectory: true), excluding: outputFolder)
        }
        let format = format ?? .both
        var outputs = MapOutputs(arrays: format.writesArrays, heatmaps: format.writesHeatmaps, sign: heatmapOptions.heatmapSign, view: heatmapOptions.heatmapView)
        if heatmapOptions.finalThreshold != nil { outputs.finalThreshold = DisplayPercentiles(try heatmapOptions.threshold(for: .saliency)) }
        let configuration = DatasetRunConfiguration(
            model: model, methods: methods, outputs: outputs, batchSize: datasetOptions.batchSize, shard: try datasetOptions.shardSelection(),
            overwrite: overwrite, failFast: datasetOptions.failFast, defaultTarget: defaultTarget,
            decoding: ImageDecoding.Options(orientation: orientation), chunkSize: chunkSize, workers: workers)
        let run: DatasetAttribution
        do { run = try DatasetAttribution(configuration: configuration) } catch { throw CommandFailure("\(error)") }

        let cancellation = RunCancellation()
        let trap = InterruptTrap(cancellation: cancellation)
        defer { trap.restore() }
        let line = progressOptions.line()
        let meter = RateMeter()
        let summary = try run.run(items: items, output: outputFolder, cancellation: cancellation) { progress in
            line.update(meter.describe(progress))
        }
        line.clear()
        var message = "\(summary.completed) image\(summary.completed == 1 ? "" : "s") attributed"
        if summary.alreadyComplete > 0 { message += ", \(summary.alreadyComplete) already complete" }
        if summary.failed > 0 { message += ", \(summary.failed) failed (recorded in the index)" }
        message += " of \(summary.total)"
        if configuration.shard.count > 1 { message += " in shard \(configuration.shard) of \(items.count) images" }
        message += "; index \(summary.indexFile.path)"
        if summary.cancelled { message += "; stopped early: rerun the same command to resume" }
        print(message)
        if summary.cancelled { throw ExitCode(128 + (trap.receivedSignal ?? SIGINT)) }
        if summary.failed > 0 { throw ExitCode(DatasetOptions.skippedImagesExitCode) }
    }
}

/// Images per second and time left from a run's progress, counting only the images this process
/// worked on (not those an earlier run completed).
final class RateMeter {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init() { start = clock.now }

    /// `attribute: 120/1500 images (2 failed), 45.1 images/s, 0:31 left`.
    func describe(_ progress: DatasetProgress) -> String {
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let worked = progress.completed + progress.failed
        var text = "attribute: \(progress.done)/\(progress.total) images"
        if progress.failed > 0 { text += " (\(progress.failed) failed)" }
        if worked > 0, seconds > 0 {
            let rate = Double(worked) / seconds
            text += String(format: ", %.1f images/s", rate)
            let left = Double(progress.total - progress.done) / rate
            if left.isFinite { text += ", \(Self.clockTime(left)) left" }
        }
        return text
    }

    /// `75` → `1:15`, `3725` → `1:02:05`.
    static func clockTime(_ seconds: Double) -> String {
        let total = Int(min(seconds, 1e9).rounded())
        let (hours, minutes, secs) = (total / 3600, (total / 60) % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
