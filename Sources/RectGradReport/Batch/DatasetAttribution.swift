import Foundation
import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradFormats
import RectGradImage
import RectGradZoo

/// How far a run has got, reported after every image.
public struct DatasetProgress: Sendable, Equatable {
    /// The images of the shard.
    public var total: Int
    /// Images an earlier run completed (skipped by this one).
    public var alreadyComplete: Int
    /// Images this run completed.
    public var completed: Int
    /// Images this run recorded as failed.
    public var failed: Int
    /// The image just finished.
    public var lastPath: String

    /// Images done in all (complete before, completed or failed now).
    public var done: Int { alreadyComplete + completed + failed }
}

/// What a run did.
public struct DatasetRunSummary: Sendable, Equatable {
    /// The images of the shard.
    public var total: Int
    /// Images an earlier run had completed.
    public var alreadyComplete: Int
    /// Images completed by this run.
    public var completed: Int
    /// Images recorded as failed by this run.
    public var failed: Int
    /// Whether the run stopped early on a ``RunCancellation``.
    public var cancelled: Bool
    /// The index file the run appended to.
    public var indexFile: URL
}

/// Streaming attribution of a dataset: images are decoded and prepared on a background thread a
/// bounded number of images ahead of the network, run through it in batches with every method
/// sharing one recorded forward pass, and each image's maps are written (atomically) as soon as
/// its batch is done, followed by its row in the index (``DatasetIndexRow``). Memory is bounded by
/// the batch and the decode-ahead queue, not by the number of images.
///
/// Batches are fixed slices of the shard's listing, padded to the batch size. Re-running into the
/// same output folder resumes: images that an index row in any index file of the folder records
/// as complete (same model, every requested method with the requested files, all of them present)
/// are not written again, and batches whose images are all complete are skipped, unless
/// ``DatasetRunConfiguration/overwrite``; a batch with work left is recomputed whole, so a resumed
/// run writes the same bytes as an uninterrupted one. A ``RunCancellation`` stops the run after
/// the image being written.
///
/// ```swift
/// let run = try DatasetAttribution(configuration: DatasetRunConfiguration(model: model, methods: [.rectGrad()]))
/// let items = try DatasetListing.folder(URL(fileURLWithPath: "photos"))
/// let summary = try run.run(items: items, output: URL(fileURLWithPath: "maps"))
/// ```
public struct DatasetAttribution: Sendable {
    /// The run's settings.
    public let configuration: DatasetRunConfiguration
    /// The memory every batch's passes reuse: each batch has the same shape, so after the first
    /// batch the passes take all their large buffers from here (no page faults).
    let buffers = TensorBufferPool()

    /// Checks the configuration.
    /// - Throws: ``DatasetError/invalidConfiguration(_:)`` for no methods, duplicate method names,
    ///   a batch size below 1 or nothing to write.
    public init(configuration: DatasetRunConfiguration) throws(DatasetError) {
        guard !configuration.methods.isEmpty else { throw .invalidConfiguration("no attribution method given") }
        guard Set(configuration.methods.map(\.name)).count == configuration.methods.count else {
            throw .invalidConfiguration("a method is given twice")
        }
        guard configuration.batchSize >= 1 else { throw .invalidConfiguration("the batch size must be at least 1, got \(configuration.batchSize)") }
        if let ahead = configuration.decodeAhead, ahead < 1 { throw .invalidConfiguration("the decode-ahead length must be at least 1, got \(ahead)") }
        guard configuration.outputs.arrays || configuration.outputs.heatmaps else { throw .invalidConfiguration("nothing to write: neither arrays nor heatmaps") }
        if let target = configuration.defaultTarget, !(0..<configuration.model.classCount).contains(target) {
            throw .invalidConfiguration("class \(target) is outside 0…\(configuration.model.classCount - 1) of \(configuration.model.name)")
        }
        self.configuration = configuration
    }

    /// The items of `items` in this run's shard, in listing order.
    public func shardItems(_ items: [DatasetItem]) -> [DatasetItem] {
        items.filter { configuration.shard.contains(key: $0.key) }
    }

    /// Runs the shard's share of `items` into `output`.
    /// - Parameters:
    ///   - cancellation: checked after each image's writes.
    ///   - progress: called on the calling thread after each image.
    /// - Throws: ``DatasetError`` for an output that cannot be written, a corrupt index file, or
    ///   (with ``DatasetRunConfiguration/failFast``) the first failing image.
    public func run(
        items: [DatasetItem], output: URL, cancellation: RunCancellation = RunCancellation(),
        progress: (DatasetProgress) -> Void = { _ in }
    ) throws(DatasetError) -> DatasetRunSummary {
        let selected = shardItems(items)
        do { try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true) } catch {
            throw .cannotWrite(path: output.path, reason: error.localizedDescription)
        }
        let indexURL = output.appendingPathComponent(configuration.indexFileName)
        var complete = Set<String>()
        var keepLength: Int? = 0
        if !configuration.overwrite {
            keepLength = FileManager.default.fileExists(atPath: indexURL.path) ? try DatasetIndex.rows(of: indexURL).completeLength : nil
            complete = try completedKeys(in: output)
        }
        let appender = try IndexAppender(url: indexURL, truncatingTo: keepLength)
        // The shard's batches are fixed slices of its listing, whatever was done before: a batch
        // with an image still to do is recomputed whole (its complete images are not rewritten),
        // so every image is computed in the same company and at the same position as in an
        // uninterrupted run, and a resumed run writes the same bytes.
        let batchSize = configuration.batchSize
        let batches = stride(from: 0, to: selected.count, by: batchSize).map { Array(selected[$0..<min($0 + batchSize, selected.count)]) }
        let pendingBatches = batches.filter { $0.contains { !complete.contains($0.key) } }
        let alreadyComplete = selected.filter { complete.contains($0.key) }.count
        var state = DatasetProgress(total: selected.count, alreadyComplete: alreadyComplete, completed: 0, failed: 0, lastPath: "")

        let aheadBatches = max(1, (configuration.decodeAhead ?? 2 * batchSize) / batchSize)
        let queue = BoundedQueue<[DecodedInput]>(capacity: aheadBatches)
        let decoderDone = DispatchSemaphore(value: 0)
        let preprocessing = configuration.model.preprocessing
        let decoding = configuration.decoding
        // With more than one worker a thread decodes the next batches while the network runs;
        // with one, nothing runs off the calling thread: each batch is decoded when it is needed.
        let decodesAhead = configuration.workers.count > 1
        if decodesAhead {
            let decoder = Thread {
                for batch in pendingBatches {
                    let decoded = batch.map { DecodedInput.decode($0, preprocessing: preprocessing, options: decoding) }
                    guard queue.put(decoded) else { break }
                }
                queue.finish()
                decoderDone.signal()
            }
            decoder.name = "rectgrad-decode"
            decoder.start()
        }
        defer {
            if decodesAhead {
                queue.close()
                decoderDone.wait()
            }
        }
        var nextInline = 0
        func nextDecodedBatch() -> [DecodedInput]? {
            if decodesAhead { return queue.take() }
            guard nextInline < pendingBatches.count else { return nil }
            defer { nextInline += 1 }
            return pendingBatches[nextInline].map { DecodedInput.decode($0, preprocessing: preprocessing, options: decoding) }
        }

        var cancelled = false
        func record(_ row: DatasetIndexRow) throws(DatasetError) {
            try appender.append(row)
            if row.status == .ok { state.completed += 1 } else { state.failed += 1 }
            state.lastPath = row.path
            progress(state)
            if row.status == .failed, configuration.failFast { throw .imageFailed(path: row.path, reason: row.error ?? "failed") }
            if cancellation.isCancelled { cancelled = true }
        }
        batchLoop: while !cancelled, !cancellation.isCancelled, let decoded = nextDecodedBatch() {
            var batch: [DecodedImage] = []
            for input in decoded {
                switch input {
                case .failure(let item, let reason):
                    // An image completed earlier that cannot be read now keeps its files and row.
                    guard !complete.contains(item.key) else { continue }
                    try record(.failure(path: item.key, error: reason))
                    if cancelled { break batchLoop }
                case .image(let image):
                    batch.append(image)
                }
            }
            if !batch.isEmpty { try process(batch, skipping: complete, output: output, cancellation: cancellation, record: record) }
        }
        cancelled = cancelled || (cancellation.isCancelled && state.done < state.total)
        return DatasetRunSummary(
            total: state.total, alreadyComplete: state.alreadyComplete, completed: state.completed, failed: state.failed,
            cancelled: cancelled, indexFile: indexURL)
    }

    // MARK: Resuming

    /// The keys the index files of `output` record as complete for this configuration.
    func completedKeys(in output: URL) throws(DatasetError) -> Set<String> {
        var keys = Set<String>()
        for file in DatasetIndex.files(in: output) {
            for row in try DatasetIndex.rows(of: file).rows where row.status == .ok && isComplete(row, output: output) {
                keys.insert(row.path)
            }
        }
        return keys
    }

    /// Whether `row` covers every method and file this configuration writes, and the files exist.
    func isComplete(_ row: DatasetIndexRow, output: URL) -> Bool {
        guard row.model == configuration.model.name, let records = row.methods else { return false }
        var recorded: [String: [String]] = [:]
        for record in records { recorded[record.method] = record.files }
        for method in configuration.methods {
            let expected = configuration.outputs.files(key: row.path, method: method.name)
            guard let files = recorded[method.name], Set(expected).isSubset(of: Set(files)) else { return false }
            for file in expected where !FileManager.default.fileExists(atPath: output.appendingPathComponent(file).path) { return false }
        }
        return true
    }

    // MARK: One batch

    /// Attributes one batch and writes the files and row of each image not in `complete`,
    /// stopping after an image when the cancellation is set (`record` notes it).
    func process(_ batch: [DecodedImage], skipping complete: Set<String>, output: URL, cancellation: RunCancellation, record: (DatasetIndexRow) throws(DatasetError) -> Void) throws(DatasetError) {
        let model = configuration.model
        let outcome: BatchOutcome
        do { outcome = try attribute(batch) } catch {
            for image in batch where !complete.contains(image.item.key) {
                try record(.failure(path: image.item.key, error: "attribution failed: \(error)"))
                if cancellation.isCancelled { return }
            }
            return
        }
        for (example, image) in batch.enumerated() where !complete.contains(image.item.key) {
            let key = image.item.key
            var records: [DatasetIndexRow.MethodRecord] = []
            var inputFile: String?
            do {
                if configuration.outputs.heatmaps {
                    let file = MapOutputs.inputFile(key: key)
                    try AtomicFile.write(try image.prepared.encodePNG(), to: output.appendingPathComponent(file))
                    inputFile = file
                }
                for (method, result) in zip(configuration.methods, outcome.results) {
                    let files = try writeMaps(result.result, example: example, key: key, method: method, image: image.prepared, output: output)
                    records.append(DatasetIndexRow.MethodRecord(
                        method: method.name, gap: result.result.completeness?.gaps[example], seconds: result.seconds, files: files))
                }
            } catch let error as DatasetError {
                throw error
            } catch {
                try record(.failure(path: key, error: "the maps cannot be written: \(error)"))
                if cancellation.isCancelled { return }
                continue
            }
            let predicted = outcome.top[example]
            let target = outcome.targets[example]
            try record(DatasetIndexRow(
                path: key, status: .ok, width: image.width, height: image.height, model: model.name,
                predicted: .init(index: predicted.index, name: model.className(predicted.index), confidence: predicted.probability),
                target: .init(index: target, name: model.className(target), source: outcome.targetSources[example]),
                input: inputFile, methods: records))
            if cancellation.isCancelled { return }
        }
    }

    /// The results of every method on one batch.
    struct BatchOutcome {
        var results: [(result: AttributionResult, seconds: Double)]
        var top: [ClassScore]
        var targets: [Int]
        var targetSources: [DatasetIndexRow.TargetClass.Source]
    }

    /// Runs every method on `images`, padded with copies of the last image to the configured
    /// batch size, so every forward and backward pass of a run has the same shape. The matrix
    /// kernels choose their code path by shape (a batch of one takes matrix–vector products, small
    /// batches OpenBLAS's small-matrix kernels), and their sums round differently in the last bits
    /// from one path to another; with one shape for every batch, an image's maps and logits do
    /// not depend on which batch it fell into, so a resumed, a sharded and a whole run write the
    /// same bytes.
    func attribute(_ images: [DecodedImage]) throws -> BatchOutcome {
        let network = configuration.model.network
        var batch = images
        if let last = images.last, images.count < configuration.batchSize {
            batch += Array(repeating: last, count: configuration.batchSize - images.count)
        }
        let input = try Tensor.concatenate(batch.map(\.input))
        var session = try AttributionSession(network: network, input: input, targets: .predicted, chunkSize: configuration.chunkSize, workers: configuration.workers, buffers: buffers)
        var sources: [DatasetIndexRow.TargetClass.Source] = []
        var wanted: [Int] = []
        for (example, image) in batch.enumerated() {
            if let target = image.item.target {
                wanted.append(target)
                sources.append(.manifest)
            } else if let target = configuration.defaultTarget {
                wanted.append(target)
                sources.append(.option)
            } else {
                wanted.append(session.targets[example])
                sources.append(.predicted)
            }
        }
        for (example, target) in wanted.enumerated() where !(0..<configuration.model.classCount).contains(target) {
            throw DatasetError.invalidConfiguration("\(batch[example].item.key): class \(target) is outside 0…\(configuration.model.classCount - 1)")
        }
        if wanted != session.targets {
            session = try AttributionSession(network: network, input: input, targets: .perExample(wanted), chunkSize: configuration.chunkSize, workers: configuration.workers, buffers: buffers)
        }
        // SmoothGrad's noise: every image draws the stream of a lone image, not its batch position's.
        try session.useNoiseStreams(Array(repeating: 0, count: batch.count))
        let top = try ClassScore.top(session.logits, k: 1).map { $0[0] }
        let clock = ContinuousClock()
        var results: [(result: AttributionResult, seconds: Double)] = []
        for method in configuration.methods {
            let start = clock.now
            let result = try session.attribute(method)
            let elapsed = clock.now - start
            let seconds = (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / Double(images.count)
            results.append((result, seconds))
        }
        return BatchOutcome(results: results, top: top, targets: wanted, targetSources: sources)
    }

    /// Writes one example's files for one method; returns their paths relative to `output`.
    func writeMaps(_ result: AttributionResult, example: Int, key: String, method: AttributionMethod, image: RGBImage, output: URL) throws -> [String] {
        let outputs = configuration.outputs
        let map = try result.map.example(example).reshaped([1] + Array(result.map.shape.dropFirst()))
        var files: [String] = []
        if outputs.arrays {
            let file = MapOutputs.arrayFile(key: key, method: method.name)
            try AtomicFile.write(NumPyFile.encode(map), to: output.appendingPathComponent(file))
            files.append(file)
        }
        if outputs.heatmaps {
            for (file, threshold) in [(MapOutputs.heatmapFile(key: key, method: method.name), outputs.plainThreshold),
                                      (MapOutputs.thresholdedHeatmapFile(key: key, method: method.name), outputs.finalThreshold)] {
                let normalized = try Heatmap.normalizedMap(map, sign: outputs.sign, finalThreshold: threshold.pair)
                let picture = try Heatmap.render(normalized, sign: outputs.sign, view: outputs.view, image: image)
                try AtomicFile.write(try picture.encodePNG(), to: output.appendingPathComponent(file))
                files.append(file)
            }
        }
        return files
    }
}

/// An image decoded and prepared for the network, or why it could not be.
enum DecodedInput: Sendable {
    case image(DecodedImage)
    case failure(DatasetItem, String)

    static func decode(_ item: DatasetItem, preprocessing: Preprocessing, options: ImageDecoding.Options) -> DecodedInput {
        let data: Data
        do { data = try Data(contentsOf: item.url) } catch {
            let reason = FileManager.default.fileExists(atPath: item.url.path) ? "cannot be read" : "no such file"
            return .failure(item, "\(item.url.path): \(reason)")
        }
        do {
            let image = try ImageDecoding.decode(data: data, options: options)
            let prepared = try preprocessing.prepared(image)
            return .image(DecodedImage(item: item, width: image.width, height: image.height, prepared: prepared, input: prepared.tensor(scaling: preprocessing.scaling)))
        } catch {
            return .failure(item, "\(item.url.path): \(error)")
        }
    }
}

/// One decoded image: its item, stored size, the prepared image and the network input `[1, 3, H, W]`.
struct DecodedImage: Sendable {
    var item: DatasetItem
    var width: Int
    var height: Int
    var prepared: RGBImage
    var input: Tensor
}
