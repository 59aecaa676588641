import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradLayers
import RectGradZoo

/// What ranks the pixels of an image in the ROAR / KAR benchmark: an attribution method, or the
/// seeded random baseline.
public enum PixelRankingSource: Sendable, Hashable, CustomStringConvertible {
    /// The map of an attribution method for the image's true class (RectGrad family: positive part only).
    case method(MethodName)
    /// A seeded random order per image (the benchmark's baseline).
    case random

    /// Parses a method name or `random`.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for `methods`, listing the valid names.
    public init(parsing text: String) throws(ExperimentError) {
        if text.lowercased() == "random" {
            self = .random
            return
        }
        guard let name = MethodName(rawValue: text.lowercased()) else {
            throw .invalidOption(name: "methods", reason: "unknown ranking '\(text)'; valid: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")), random")
        }
        self = .method(name)
    }

    /// The display name (the method's command-line name, or `random`).
    public var description: String {
        switch self {
        case .method(let name): name.rawValue
        case .random: "random"
        }
    }
}

/// The protocol of a ROAR / KAR run.
public struct RemoveAndRetrainConfiguration: Sendable {
    /// The pixel rankings compared.
    public var rankings: [PixelRankingSource] = [
        .method(.rectGrad), .method(.saliency), .method(.gradientTimesInput), .method(.guidedBackprop),
        .method(.integratedGradients), .random,
    ]
    /// The percentages p of ranked pixels (the spec's 10, 30, 50, 70, 90).
    public var percentages: [Double] = [10, 30, 50, 70, 90]
    /// ROAR, KAR or both.
    public var modes: [RetrainingMode] = [.removeTop, .keepTop]
    /// Training images drawn from the built-in dataset (seed ``seed``).
    public var trainCount = 10_000
    /// Held-out images the accuracy is measured on.
    public var testCount = 2_000
    /// Seeds the images, the initial weights of every retrained network, the shuffling and the
    /// random ranking.
    public var seed: UInt64 = 1
    /// Passes over the (modified) training images per retraining.
    public var epochs = 2
    /// Examples per mini-batch.
    public var batchSize = 100
    /// Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// The attribution methods' parameters (e.g. fewer integrated-gradients steps).
    public var parameters = MethodParameters()
    /// The dataset style.
    public var style: ShapesStyle = .standard
    /// The architecture retrained from scratch (cifar-cnn).
    public var architecture: CifarCNN.Configuration = .standard
    /// Also retrain on the unmodified images (the reference accuracy).
    public var includesUnmodified = true
    /// Images attributed at once.
    public var attributionBatchSize = 50

    /// The defaults.
    public init() {}

    /// Checks the settings.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming the setting.
    public func validate() throws(ExperimentError) {
        guard !rankings.isEmpty else { throw .invalidOption(name: "methods", reason: "at least one ranking is needed") }
        guard !percentages.isEmpty else { throw .invalidOption(name: "percentages", reason: "at least one percentage is needed") }
        for p in percentages { _ = try PixelRanking.count(percentage: p, of: 1) }
        guard !modes.isEmpty else { throw .invalidOption(name: "modes", reason: "ROAR, KAR or both") }
        guard (1...ShapesDataset.maximumCount).contains(trainCount) else { throw .invalidOption(name: "train-count", reason: "must lie in 1...\(ShapesDataset.maximumCount)") }
        guard (1...ShapesDataset.maximumCount).contains(testCount) else { throw .invalidOption(name: "test-count", reason: "must lie in 1...\(ShapesDataset.maximumCount)") }
        guard epochs >= 1 else { throw .invalidOption(name: "epochs", reason: "must be at least 1") }
        guard batchSize >= 1 else { throw .invalidOption(name: "batch-size", reason: "must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw .invalidOption(name: "learning-rate", reason: "must be positive") }
        guard attributionBatchSize >= 1 else { throw .invalidOption(name: "attribution-batch-size", reason: "must be at least 1") }
        if rankings.contains(.method(.occlusion)) {
            throw .invalidOption(name: "methods", reason: "occlusion is too slow to rank whole training sets; leave it out")
        }
    }
}

/// The accuracy of one retrained network.
public struct RetrainingOutcome: Sendable, Hashable {
    /// The ranking (method name or `random`).
    public var ranking: String
    /// ROAR or KAR.
    public var mode: RetrainingMode
    /// The percentage p of ranked pixels removed (ROAR) or kept (KAR).
    public var percentage: Double
    /// Test accuracy of the network retrained on the modified images, on the modified test images.
    public var accuracy: Double
    /// Wall-clock seconds of the retraining and its evaluation.
    public var seconds: Double
}

/// What a ROAR / KAR run measured.
public struct RemoveAndRetrainResult: Sendable {
    /// The protocol.
    public var configuration: RemoveAndRetrainConfiguration
    /// Accuracy of the network trained the same way on the unmodified images, when measured.
    public var unmodifiedAccuracy: Double?
    /// One outcome per ranking × mode × percentage, in that nesting order.
    public var outcomes: [RetrainingOutcome]
    /// Seconds spent ranking the training and test images, per ranking.
    public var rankingSeconds: [String: Double]
    /// How each ranking orders the held-out images, in the order of the rankings.
    public var rankingStatistics: [RankingStatistics] = []
    /// Wall-clock seconds of the whole run.
    public var seconds: Double

    /// The accuracy of one cell, if it was measured.
    public func accuracy(ranking: String, mode: RetrainingMode, percentage: Double) -> Double? {
        outcomes.first { $0.ranking == ranking && $0.mode == mode && $0.percentage == percentage }?.accuracy
    }
}

/// How a ranking orders the held-out images, measured against their object masks.
public struct RankingStatistics: Sendable, Hashable {
    /// The ranking (method name or `random`).
    public var ranking: String
    /// Mean share of pixels whose score equals another pixel's score in the same image (their
    /// order is row-major; RectGrad's positive part leaves many exact zeros).
    public var tiedFraction: Double
    /// Mean share of the top p % pixels that lie on the object, per configured percentage.
    public var topOnObject: [Double]
    /// Mean share of the image covered by the object.
    public var objectFraction: Double

    /// Creates statistics.
    public init(ranking: String, tiedFraction: Double, topOnObject: [Double], objectFraction: Double) {
        self.ranking = ranking
        self.tiedFraction = tiedFraction
        self.topOnObject = topOnObject
        self.objectFraction = objectFraction
    }

    /// Measures `orders` (one per image, most important first) with the images' `scores` (`nil`
    /// for the random ranking, which has no ties) against their `masks`.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` when the sizes disagree.
    public static func measure(ranking: String, orders: [[Int]], scores: [[Float]]?, masks: [[Bool]], percentages: [Double]) throws(ExperimentError) -> RankingStatistics {
        guard !orders.isEmpty, orders.count == masks.count, scores.map({ $0.count == orders.count }) ?? true,
              zip(orders, masks).allSatisfy({ $0.count == $1.count }) else {
            throw .invalidOption(name: "orders", reason: "\(orders.count) orders, \(masks.count) masks")
        }
        var tied = 0.0, object = 0.0
        var top = [Double](repeating: 0, count: percentages.count)
        for (index, order) in orders.enumerated() {
            let mask = masks[index], n = Double(order.count)
            if let imageScores = scores?[index] {
                var counts: [Float: Int] = [:]
                for score in imageScores { counts[score, default: 0] += 1 }
                tied += Double(counts.values.filter { $0 > 1 }.reduce(0, +)) / n
            }
            object += Double(mask.filter { $0 }.count) / n
            for (k, p) in percentages.enumerated() {
                let count = try PixelRanking.count(percentage: p, of: order.count)
                if count > 0 { top[k] += Double(order.prefix(count).filter { mask[$0] }.count) / Double(count) }
            }
        }
        let images = Double(orders.count)
        return RankingStatistics(ranking: ranking, tiedFraction: tied / images, topOnObject: top.map { $0 / images }, objectFraction: object / images)
    }
}

/// The ROAR / KAR benchmark (Hooker et al., 2019) on the built-in shapes dataset, as the paper
/// evaluates RectGrad: rank the pixels of every training and test image by an attribution of the
/// explained network, replace the top p % (ROAR) or all but the top p % (KAR) by the per-channel
/// training-set mean, retrain cifar-cnn from scratch on the modified training images and report
/// its accuracy on the modified test images. A better ranking makes ROAR accuracy fall faster and
/// KAR accuracy stay higher; a random ranking is the baseline.
///
/// Attributions explain the image's true class. Every retraining starts from the same He-normal
/// weights (seed ``RemoveAndRetrainConfiguration/seed``) and shuffles in the same order, so cells
/// differ only by their images.
///
/// ```swift
/// var configuration = RemoveAndRetrainConfiguration()
/// configuration.trainCount = 2_000
/// let result = try RemoveAndRetrain(network: try Demo.shippedNetwork(), configuration: configuration).run()
/// print(ExperimentTables.markdown(result))
/// ```
public struct RemoveAndRetrain: Sendable {
    /// The explained network whose attributions rank the pixels.
    public var network: Network
    /// The protocol.
    public var configuration: RemoveAndRetrainConfiguration
    /// The threads its passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates a run that ranks pixels with `network`'s attributions.
    public init(network: Network, configuration: RemoveAndRetrainConfiguration = RemoveAndRetrainConfiguration(), workers: Workers = .default) {
        self.network = network
        self.workers = workers
        self.configuration = configuration
    }

    /// Runs every retraining.
    /// - Parameter progress: called with a short status line as the run proceeds (batch progress,
    ///   and `"<mode> <ranking> p=<p>: test accuracy <a> %"` when a retraining finishes).
    /// - Throws: ``ExperimentError`` for invalid settings; data, attribution and training errors.
    public func run(progress: (String) -> Void = { _ in }) throws -> RemoveAndRetrainResult {
        let c = configuration
        try c.validate()
        let clock = ContinuousClock()
        let start = clock.now
        progress("drawing \(c.trainCount) training and \(c.testCount) test images")
        let train = try ShapesDataset(split: .train, count: c.trainCount, seed: c.seed, style: c.style)
        let test = try ShapesDataset(split: .test, count: c.testCount, seed: c.seed, style: c.style)
        let fill = try PixelRanking.channelMeans(of: train.images)

        var unmodified: Double?
        if c.includesUnmodified {
            unmodified = try retrain(trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels, label: "unmodified", progress: progress)
        }
        var outcomes: [RetrainingOutcome] = []
        var rankingSeconds: [String: Double] = [:]
        var statistics: [RankingStatistics] = []
        for source in c.rankings {
            progress("\(source): ranking the pixels of \(c.trainCount + c.testCount) images")
            let rankingStart = clock.now
            let trainOrders = try orders(source, images: train.images, labels: train.labels, split: .train)
            let (testOrders, testScores) = try ranked(source, images: test.images, labels: test.labels, split: .test)
            rankingSeconds[source.description] = (clock.now - rankingStart).seconds
            statistics.append(try RankingStatistics.measure(
                ranking: source.description, orders: testOrders, scores: testScores,
                masks: try (0..<c.testCount).map { try test.mask(at: $0) }, percentages: c.percentages
            ))
            progress(String(format: "%@: ranked in %.1f s", source.description, rankingSeconds[source.description] ?? 0))
            for mode in c.modes {
                for p in c.percentages {
                    let cellStart = clock.now
                    let modifiedTrain = try Self.replacing(images: train.images, orders: trainOrders, percentage: p, mode: mode, fill: fill)
                    let modifiedTest = try Self.replacing(images: test.images, orders: testOrders, percentage: p, mode: mode, fill: fill)
                    let accuracy = try retrain(
                        trainImages: modifiedTrain, trainLabels: train.labels, testImages: modifiedTest, testLabels: test.labels,
                        label: "\(mode) \(source) p=\(formattedPercentage(p))", progress: progress
                    )
                    outcomes.append(RetrainingOutcome(ranking: source.description, mode: mode, percentage: p, accuracy: accuracy, seconds: (clock.now - cellStart).seconds))
                }
            }
        }
        return RemoveAndRetrainResult(configuration: c, unmodifiedAccuracy: unmodified, outcomes: outcomes, rankingSeconds: rankingSeconds, rankingStatistics: statistics, seconds: (clock.now - start).seconds)
    }

    /// The pixel order (most important first) of every image of a batch `[N, C, H, W]`: the
    /// channel-summed attribution of `network` for the image's label (positive part only for the
    /// RectGrad family), or a random order seeded by `(seed, split, index)`.
    /// - Throws: ``ExperimentError`` and attribution errors.
    public func orders(_ source: PixelRankingSource, images: Tensor, labels: [Int], split: DatasetSplit) throws -> [[Int]] {
        try ranked(source, images: images, labels: labels, split: split).orders
    }

    /// The orders and, for a method, the per-pixel scores they sort.
    func ranked(_ source: PixelRankingSource, images: Tensor, labels: [Int], split: DatasetSplit) throws -> (orders: [[Int]], scores: [[Float]]?) {
        guard images.rank == 4, images.shape[0] == labels.count else {
            throw ExperimentError.invalidOption(name: "images", reason: "\(images.shape) does not match \(labels.count) labels")
        }
        let n = labels.count, plane = images.shape[2] * images.shape[3], perImage = images.count / max(n, 1)
        switch source {
        case .random:
            return ((0..<n).map { PixelRanking.randomOrder(pixelCount: plane, seed: Self.rankingSeed(configuration.seed, split: split, index: $0)) }, nil)
        case .method(let name):
            let method = try name.method(configuration.parameters)
            var result: [[Int]] = [], scores: [[Float]] = []
            result.reserveCapacity(n)
            scores.reserveCapacity(n)
            let batch = configuration.attributionBatchSize
            for first in stride(from: 0, to: n, by: batch) {
                let count = min(batch, n - first)
                let input = try Tensor(shape: [count] + Array(images.shape.dropFirst()), scalars: Array(images.scalars[(first * perImage)..<((first + count) * perImage)]))
                let session = try AttributionSession(network: network, input: input, targets: .perExample(Array(labels[first..<(first + count)])), workers: workers)
                let map = try session.attribute(method).map
                for example in 0..<count {
                    let imageScores = try PixelRanking.scores(of: map.example(example), positivePartOnly: method.isRectGradFamily)
                    result.append(try PixelRanking.order(imageScores))
                    scores.append(imageScores)
                }
            }
            return (result, scores)
        }
    }

    /// A copy of `images` `[N, C, H, W]` in which each image's pixels are replaced by `fill` (one
    /// value per channel) as ``PixelRanking/replacedPixels(order:percentage:mode:)`` selects with
    /// that image's order.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` when the sizes disagree.
    public static func replacing(images: Tensor, orders: [[Int]], percentage: Double, mode: RetrainingMode, fill: [Float]) throws(ExperimentError) -> Tensor {
        guard images.rank == 4, images.shape[0] == orders.count, images.shape[1] == fill.count else {
            throw .invalidOption(name: "images", reason: "\(images.shape) does not match \(orders.count) orders and \(fill.count) channel means")
        }
        let perImage = images.count / max(orders.count, 1)
        var scalars = images.scalars
        for (index, order) in orders.enumerated() {
            let replaced = try PixelRanking.replacedPixels(order: order, percentage: percentage, mode: mode)
            var image = Array(scalars[(index * perImage)..<((index + 1) * perImage)])
            try PixelRanking.replace(&image, pixels: replaced, fill: fill)
            scalars.replaceSubrange((index * perImage)..<((index + 1) * perImage), with: image)
        }
        do { return try Tensor(shape: images.shape, scalars: scalars) } catch {
            throw .invalidOption(name: "images", reason: error.description)
        }
    }

    /// The seed of the random order of image `index` of `split`: a SplitMix64-style mix.
    static func rankingSeed(_ seed: UInt64, split: DatasetSplit, index: Int) -> UInt64 {
        func mix(_ value: UInt64) -> UInt64 {
            var z = value &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return mix(mix(seed ^ (split == .train ? 0x524F_4152_0001 : 0x524F_4152_0002)) ^ UInt64(index))
    }

    /// Trains a fresh network and returns its test accuracy.
    func retrain(trainImages: Tensor, trainLabels: [Int], testImages: Tensor, testLabels: [Int], label: String, progress: (String) -> Void) throws -> Double {
        let c = configuration
        let fresh = try CifarCNN.network(c.architecture, name: "cifar-cnn", initialization: .heNormal(seed: c.seed))
        let trainer = Trainer(configuration: TrainingConfiguration(epochs: c.epochs, batchSize: c.batchSize, learningRate: c.learningRate, seed: c.seed), workers: workers)
        let trained = try trainer.train(fresh, images: trainImages, labels: trainLabels) { event in
            if case .batchFinished(let epoch, let batch, let batchCount, _) = event, batch % 10 == 0 || batch == batchCount {
                progress("\(label): epoch \(epoch)/\(c.epochs) batch \(batch)/\(batchCount)")
            }
        }
        let accuracy = try Evaluation.accuracy(of: trained.network, images: testImages, labels: testLabels, workers: workers)
        progress(String(format: "%@: test accuracy %.1f %%", label, accuracy * 100))
        return accuracy
    }
}

/// `10` for 10.0, `12.5` otherwise.
package func formattedPercentage(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
}
