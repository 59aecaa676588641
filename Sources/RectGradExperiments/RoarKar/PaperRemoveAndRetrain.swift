import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradLayers
import RectGradZoo

/// What one invocation of ``PaperRemoveAndRetrain/run(share:progress:)`` did.
public struct PaperRoarKarRunSummary: Sendable, Hashable {
    /// Cells of the protocol in total.
    public var totalCells: Int
    /// Cells in the invocation's share.
    public var shareCells: Int
    /// Cells of the share that were already finished and were skipped.
    public var skippedCells: Int
    /// Cells trained and written by this invocation.
    public var finishedCells: [String]
}

/// The ROAR / KAR benchmark as the paper's notebook runs it (``PaperRoarKarConfiguration``), cell
/// by cell into a ``RoarKarFolder``.
///
/// Every cell — the unmodified reference or one (ranking, mode, p), times a repeat — is one
/// retraining of cifar-cnn from He-normal weights seeded by ``trainingSeed(_:repeatIndex:)``,
/// tested on the equally modified held-out images, and written to its own file the moment it
/// finishes. A rerun skips finished cells; ``run(share:progress:)`` runs only the cells whose key
/// a ``ShardSelection`` contains, so `n` workers (or machines) with shares `0/n … n−1/n` cover the
/// protocol exactly once. The pixel scores of every ranking are computed once per split and cached
/// in the folder; the ranking of an image is its cached scores plus the seeded tie-breaking noise,
/// recomputed identically by every cell.
///
/// ```swift
/// let run = PaperRemoveAndRetrain(network: network, folder: RoarKarFolder(path: "roar-run"))
/// let summary = try run.run(share: try ShardSelection(parsing: "0/4"))
/// let collection = RoarKarCollection(configuration: run.configuration, folder: run.folder)
/// ```
public struct PaperRemoveAndRetrain: Sendable {
    /// The explained network whose attributions (for its predicted class) rank the pixels.
    public var network: Network
    /// The protocol.
    public var configuration: PaperRoarKarConfiguration
    /// Where the cells and caches are written.
    public var folder: RoarKarFolder
    /// The threads its passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates a run.
    public init(network: Network, configuration: PaperRoarKarConfiguration = PaperRoarKarConfiguration(), folder: RoarKarFolder, workers: Workers = .default) {
        self.network = network
        self.workers = workers
        self.configuration = configuration
        self.folder = folder
    }

    /// The cells of `share` that have no finished result yet, in run order.
    public func pendingCells(share: ShardSelection) -> [RoarKarCell] {
        let fingerprint = configuration.fingerprint
        return configuration.cells.filter { share.contains(key: $0.key) && !folder.isFinished($0, fingerprint: fingerprint) }
    }

    /// Runs every unfinished cell of `share`, writing each result as soon as it is known.
    /// - Parameter progress: status lines (ranking, batch progress, each cell's accuracy).
    /// - Throws: ``ExperimentError`` for invalid settings or a folder of another protocol; data,
    ///   attribution and training errors.
    public func run(share: ShardSelection = .whole, progress: (String) -> Void = { _ in }) throws -> PaperRoarKarRunSummary {
        let c = configuration
        try c.validate()
        try folder.claim(c)
        let shareCells = c.cells.filter { share.contains(key: $0.key) }
        let pending = pendingCells(share: share)
        var summary = PaperRoarKarRunSummary(totalCells: c.cells.count, shareCells: shareCells.count, skippedCells: shareCells.count - pending.count, finishedCells: [])
        progress("share \(share): \(shareCells.count) of \(c.cells.count) cells, \(summary.skippedCells) already finished, \(pending.count) to run")
        guard !pending.isEmpty else { return summary }

        progress("drawing \(c.trainCount) training and \(c.testCount) test images")
        let train = try ShapesDataset(split: .train, count: c.trainCount, seed: c.seed, style: c.style)
        let test = try ShapesDataset(split: .test, count: c.testCount, seed: c.seed, style: c.style)
        let fill = try PixelRanking.channelMeans(of: train.images)
        var current: (ranking: PixelRankingSource, train: [[Int]], test: [[Int]])?
        let clock = ContinuousClock()
        for cell in pending {
            let trainImages: Tensor, testImages: Tensor
            switch cell.kind {
            case .unmodified:
                (trainImages, testImages) = (train.images, test.images)
            case .modified(let ranking, let mode, let p):
                if current?.ranking != ranking {
                    current = nil
                    current = (ranking, try orders(ranking, dataset: train, progress: progress), try orders(ranking, dataset: test, progress: progress))
                }
                guard let orders = current else { continue }

                trainImages = try RemoveAndRetrain.replacing(images: train.images, orders: orders.train, percentage: p, mode: mode, fill: fill)
                testImages = try RemoveAndRetrain.replacing(images: test.images, orders: orders.test, percentage: p, mode: mode, fill: fill)
            }
            let start = clock.now
            let seed = Self.trainingSeed(c.seed, repeatIndex: cell.repeatIndex)
            let fresh = try CifarCNN.network(c.architecture, name: "cifar-cnn", initialization: .heNormal(seed: seed))
            let trainer = Trainer(configuration: TrainingConfiguration(epochs: c.epochs, batchSize: c.batchSize, learningRate: c.learningRate, seed: seed), workers: workers)
            let trained = try trainer.train(fresh, images: trainImages, labels: train.labels) { event in
                if case .batchFinished(let epoch, let batch, let batchCount, _) = event, batch % 20 == 0 || batch == batchCount {
                    progress("\(cell.key): epoch \(epoch)/\(c.epochs) batch \(batch)/\(batchCount)")
                }
            }
            let accuracy = try Evaluation.accuracy(of: trained.network, images: testImages, labels: test.labels, workers: workers)
            let seconds = (clock.now - start).seconds
            try folder.write(RoarKarCellResult(cell: cell, accuracy: accuracy, epochTrainingAccuracies: trained.epochs.map(\.trainingAccuracy), seconds: seconds, fingerprint: c.fingerprint))
            summary.finishedCells.append(cell.key)
            progress(String(format: "%@: test accuracy %.2f %% (%.0f s)", cell.key, accuracy * 100, seconds))
        }
        return summary
    }

    /// Computes and caches the pixel scores of every method ranking for both splits (those already
    /// cached are kept), without training: run it once, then copy the folder to every machine so
    /// that no worker repeats the attribution.
    /// - Returns: the rankings whose scores were computed now.
    /// - Throws: ``ExperimentError`` for invalid settings or a folder of another protocol; data
    ///   and attribution errors.
    @discardableResult
    public func prepareRankings(progress: (String) -> Void = { _ in }) throws -> [PixelRankingSource] {
        let c = configuration
        try c.validate()
        try folder.claim(c)
        progress("drawing \(c.trainCount) training and \(c.testCount) test images")
        let train = try ShapesDataset(split: .train, count: c.trainCount, seed: c.seed, style: c.style)
        let test = try ShapesDataset(split: .test, count: c.testCount, seed: c.seed, style: c.style)
        var computed: [PixelRankingSource] = []
        for ranking in c.rankings where ranking != .random {
            var fresh = false
            for dataset in [train, test] {
                let plane = dataset.images.shape[2] * dataset.images.shape[3]
                if folder.cachedScores(ranking: ranking.description, split: dataset.split, imageCount: dataset.count, pixelCount: plane) == nil {
                    fresh = true
                    _ = try scores(ranking, dataset: dataset, progress: progress)
                }
            }
            if fresh { computed.append(ranking) }
            progress("\(ranking): scores cached")
        }
        return computed
    }

    /// The pixel orders (most important first) of every image of `dataset`: the cached or freshly
    /// computed scores plus the seeded tie-breaking noise, or a seeded random permutation.
    func orders(_ ranking: PixelRankingSource, dataset: ShapesDataset, progress: (String) -> Void) throws -> [[Int]] {
        let plane = dataset.images.shape[2] * dataset.images.shape[3]
        switch ranking {
        case .random:
            return (0..<dataset.count).map { PixelRanking.randomOrder(pixelCount: plane, seed: RemoveAndRetrain.rankingSeed(configuration.seed, split: dataset.split, index: $0)) }
        case .method:
            let scores = try self.scores(ranking, dataset: dataset, progress: progress)
            return try scores.enumerated().map { index, imageScores in
                try PixelRanking.order(imageScores, tieBreakingNoise: configuration.tieBreakingNoise, seed: Self.noiseSeed(configuration.seed, split: dataset.split, index: index))
            }
        }
    }

    /// The per-pixel scores of every image of `dataset` for `ranking` (a method): read from the
    /// folder's cache, or computed for the explained network's predicted classes and cached.
    /// - Throws: ``ExperimentError`` for the random ranking; attribution and folder errors.
    public func scores(_ ranking: PixelRankingSource, dataset: ShapesDataset, progress: (String) -> Void = { _ in }) throws -> [[Float]] {
        guard case .method(let name) = ranking else {
            throw ExperimentError.invalidOption(name: "methods", reason: "the random ranking has no scores")
        }
        let images = dataset.images
        let n = dataset.count, plane = images.shape[2] * images.shape[3], perImage = images.count / max(n, 1)
        if let cached = folder.cachedScores(ranking: ranking.description, split: dataset.split, imageCount: n, pixelCount: plane) {
            return cached
        }
        let predicted = try predictions(dataset: dataset, progress: progress)
        let method = try name.method(configuration.parameters)
        progress("\(ranking): attributing \(n) \(dataset.split.rawValue) images (predicted class)")
        var scores: [[Float]] = []
        scores.reserveCapacity(n)
        let batch = configuration.attributionBatchSize
        for first in stride(from: 0, to: n, by: batch) {
            let count = min(batch, n - first)
            let input = try Tensor(shape: [count] + Array(images.shape.dropFirst()), scalars: Array(images.scalars[(first * perImage)..<((first + count) * perImage)]))
            let session = try AttributionSession(network: network, input: input, targets: .perExample(Array(predicted[first..<(first + count)])), workers: workers)
            let map = try session.attribute(method).map
            for example in 0..<count {
                scores.append(try PixelRanking.scores(of: map.example(example), positivePartOnly: method.isRectGradFamily))
            }
            progress("\(ranking): \(dataset.split.rawValue) batch \(first / batch + 1)/\((n + batch - 1) / batch)")
        }
        try folder.storeScores(scores, ranking: ranking.description, split: dataset.split)
        return scores
    }

    /// The explained network's predicted classes for `dataset` (cached in the folder).
    public func predictions(dataset: ShapesDataset, progress: (String) -> Void = { _ in }) throws -> [Int] {
        if let cached = folder.cachedPredictions(split: dataset.split, count: dataset.count, classCount: network.classCount) {
            return cached
        }
        progress("predicting \(dataset.count) \(dataset.split.rawValue) images with the explained network")
        let classes = try Evaluation.predictions(of: network, images: dataset.images, workers: workers)
        try folder.storePredictions(classes, split: dataset.split)
        return classes
    }

    /// The seed of the initial weights and shuffling of a repeat (SplitMix64-style mix).
    public static func trainingSeed(_ seed: UInt64, repeatIndex: Int) -> UInt64 {
        RemoveAndRetrain.rankingSeed(seed ^ 0x5245_5045_4154, split: .train, index: repeatIndex)
    }

    /// The seed of the tie-breaking noise of image `index` of `split`.
    public static func noiseSeed(_ seed: UInt64, split: DatasetSplit, index: Int) -> UInt64 {
        RemoveAndRetrain.rankingSeed(seed ^ 0x4E4F_4953_4531, split: split, index: index)
    }
}
