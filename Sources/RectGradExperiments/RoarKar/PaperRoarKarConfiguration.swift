import RectGradAttribution
import RectGradData
import RectGradZoo

/// The ROAR / KAR protocol of the paper's notebook (`8. CIFAR-10 ROAR KAR.ipynb`), run on the
/// built-in shapes dataset as independent, resumable cells (see ``PaperRemoveAndRetrain``).
///
/// What makes it the paper's protocol rather than ``RemoveAndRetrainConfiguration``'s quick one:
/// the explained network's **predicted** class is attributed; seeded noise `N(0, 1e-4²)` is added
/// to every pixel score before ranking, so ties are ordered at random rather than row-major; the
/// eight rankings of the notebook; p ∈ {10, 30, 50, 70, 90}; both modes; every cell retrained
/// ``repeats`` times from different initial weights and shuffling; and ``epochs`` chosen from the
/// unmodified model's accuracy curve so that training has converged.
public struct PaperRoarKarConfiguration: Sendable {
    /// The rankings, in the notebook's order: random, RectGrad, saliency, guided backprop,
    /// SmoothGrad, gradient × input, integrated gradients, DeepLIFT.
    public var rankings: [PixelRankingSource] = [
        .random, .method(.rectGrad), .method(.saliency), .method(.guidedBackprop), .method(.smoothGrad),
        .method(.gradientTimesInput), .method(.integratedGradients), .method(.deepLIFT),
    ]
    /// The percentages p of ranked pixels, each strictly between 0 and 100.
    public var percentages: [Double] = [10, 30, 50, 70, 90]
    /// ROAR, KAR or both.
    public var modes: [RetrainingMode] = [.removeTop, .keepTop]
    /// Trainings per cell (each from its own initial weights and shuffling).
    public var repeats = 3
    /// Training images of the built-in dataset (seed ``seed``): the explained model's own 30,000.
    public var trainCount = ShippedModel.recipe.trainCount
    /// Held-out images the accuracy is measured on.
    public var testCount = ShippedModel.recipe.testCount
    /// Seeds the images, the tie-breaking noise, the random ranking and (mixed with the repeat
    /// index) the initial weights and shuffling of every retraining.
    public var seed: UInt64 = ShippedModel.recipe.seed
    /// Passes over the (modified) training images per retraining: chosen so that the unmodified
    /// model's held-out accuracy is within one point of its plateau (see Docs/roar-kar.md).
    public var epochs = 3
    /// Examples per mini-batch.
    public var batchSize = ShippedModel.recipe.batchSize
    /// Adam's learning rate.
    public var learningRate: Float = ShippedModel.recipe.learningRate
    /// Standard deviation of the tie-breaking noise added to every pixel score.
    public var tieBreakingNoise = PixelRanking.paperTieBreakingNoise
    /// The attribution methods' parameters.
    public var parameters = MethodParameters()
    /// The dataset style.
    public var style: ShapesStyle = .standard
    /// The architecture retrained from scratch.
    public var architecture: CifarCNN.Configuration = .standard
    /// Images attributed at once.
    public var attributionBatchSize = 50

    /// The defaults (the paper's protocol).
    public init() {}

    /// Checks the settings.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming the setting as its
    ///   command-line option is spelled.
    public func validate() throws(ExperimentError) {
        guard !rankings.isEmpty else { throw .invalidOption(name: "methods", reason: "at least one ranking is needed") }
        guard Set(rankings).count == rankings.count else { throw .invalidOption(name: "methods", reason: "a ranking is listed twice") }
        if rankings.contains(.method(.occlusion)) {
            throw .invalidOption(name: "methods", reason: "occlusion is too slow to rank whole training sets; leave it out")
        }
        guard !percentages.isEmpty else { throw .invalidOption(name: "percentages", reason: "at least one percentage is needed") }
        for p in percentages where !(p.isFinite && p > 0 && p < 100) {
            throw .invalidOption(name: "percentages", reason: "\(p) is not strictly between 0 and 100")
        }
        guard Set(percentages).count == percentages.count else { throw .invalidOption(name: "percentages", reason: "a percentage is listed twice") }
        guard !modes.isEmpty, Set(modes).count == modes.count else { throw .invalidOption(name: "modes", reason: "ROAR, KAR or both, each once") }
        guard repeats >= 1 else { throw .invalidOption(name: "repeats", reason: "must be at least 1, got \(repeats)") }
        guard repeats <= 1_000 else { throw .invalidOption(name: "repeats", reason: "must be at most 1000, got \(repeats)") }
        guard (1...ShapesDataset.maximumCount).contains(trainCount) else { throw .invalidOption(name: "train-count", reason: "must lie in 1...\(ShapesDataset.maximumCount)") }
        guard (1...ShapesDataset.maximumCount).contains(testCount) else { throw .invalidOption(name: "test-count", reason: "must lie in 1...\(ShapesDataset.maximumCount)") }
        guard epochs >= 1 else { throw .invalidOption(name: "epochs", reason: "must be at least 1") }
        guard batchSize >= 1 else { throw .invalidOption(name: "batch-size", reason: "must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw .invalidOption(name: "learning-rate", reason: "must be positive") }
        guard tieBreakingNoise.isFinite, tieBreakingNoise >= 0 else { throw .invalidOption(name: "tie-breaking-noise", reason: "must be a finite deviation ≥ 0") }
        guard attributionBatchSize >= 1 else { throw .invalidOption(name: "attribution-batch-size", reason: "must be at least 1") }
    }

    /// Every cell of the protocol, in the order a single worker runs them: the unmodified
    /// reference, then repeat by repeat, ranking by ranking, mode by mode, percentage by percentage
    /// (so that a partial run has whole first repeats to show).
    public var cells: [RoarKarCell] {
        var cells: [RoarKarCell] = []
        for repeatIndex in 1...max(repeats, 1) {
            cells.append(RoarKarCell(kind: .unmodified, repeatIndex: repeatIndex))
        }
        for repeatIndex in 1...max(repeats, 1) {
            for ranking in rankings {
                for mode in modes {
                    for p in percentages {
                        cells.append(RoarKarCell(kind: .modified(ranking: ranking, mode: mode, percentage: p), repeatIndex: repeatIndex))
                    }
                }
            }
        }
        return cells
    }

    /// The settings that decide a cell's result, as a stable text: a folder's cells were all
    /// computed under one fingerprint, and a run refuses a folder made under another.
    public var fingerprint: String {
        let p = parameters
        return [
            "protocol=paper",
            "rankings=\(rankings.map(\.description).joined(separator: ","))",
            "train=\(trainCount)", "test=\(testCount)", "seed=\(seed)", "epochs=\(epochs)",
            "batch=\(batchSize)", "lr=\(learningRate)", "noise=\(tieBreakingNoise)", "style=\(style)",
            "architecture=\(architecture)",
            "percentile=\(p.percentile)", "steps=\(p.steps)", "samples=\(p.samples)", "noise-level=\(p.noiseLevel)",
            "smoothgrad-seed=\(p.seed)", "baseline=\(p.baseline)",
        ].joined(separator: ";")
    }
}

/// One independent unit of the paper protocol: one retraining and its test accuracy.
public struct RoarKarCell: Sendable, Hashable, CustomStringConvertible {
    /// What the cell trains on.
    public enum Kind: Sendable, Hashable {
        /// The unmodified images (the reference accuracy).
        case unmodified
        /// Images modified by a ranking: the top p % replaced (ROAR) or all but the top p % (KAR).
        case modified(ranking: PixelRankingSource, mode: RetrainingMode, percentage: Double)
    }

    /// What the cell trains on.
    public var kind: Kind
    /// The repeat, 1-based.
    public var repeatIndex: Int

    /// Creates a cell.
    public init(kind: Kind, repeatIndex: Int) {
        self.kind = kind
        self.repeatIndex = repeatIndex
    }

    /// The cell's stable name, also its file name and its key for ``ShardSelection``:
    /// `unmodified-r1`, `roar-rectgrad-p10-r2`, `kar-random-p90-r3`.
    public var key: String {
        switch kind {
        case .unmodified: "unmodified-r\(repeatIndex)"
        case .modified(let ranking, let mode, let p): "\(mode.rawValue)-\(ranking.description)-p\(formattedPercentage(p))-r\(repeatIndex)"
        }
    }

    public var description: String { key }

    /// The ranking's name, or `unmodified`.
    public var rankingName: String {
        if case .modified(let ranking, _, _) = kind { return ranking.description }
        return "unmodified"
    }
}
