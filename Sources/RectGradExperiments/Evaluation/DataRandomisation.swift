import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradLayers

/// The data-randomisation sanity check of Adebayo et al. (2018): train the same architecture on the
/// same images with randomly permuted labels, then compare its maps with those of the network
/// trained on the true labels. A method that explains the network should give different maps for a
/// network that learnt nothing about the classes.
public struct DataRandomisation: Sendable {
    /// The training budget of the permuted-label network.
    public var training: TrainingConfiguration
    /// Training images of the built-in shapes dataset.
    public var trainCount: Int
    /// Seeds the images (split `.train`), the label permutation, the initial weights and the shuffling.
    public var seed: UInt64
    /// The threads its passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates the check.
    public init(training: TrainingConfiguration = TrainingConfiguration(epochs: 3, batchSize: 100, learningRate: 1e-3, seed: 0), trainCount: Int = 5_000, seed: UInt64 = 0, workers: Workers = .default) {
        self.training = training
        self.workers = workers
        self.trainCount = trainCount
        self.seed = seed
    }

    /// `labels` in a random order: a Fisher–Yates shuffle seeded by `seed` (the class counts stay).
    public static func permutedLabels(_ labels: [Int], seed: UInt64) -> [Int] {
        var random = SeededGenerator(seed: seed)
        var permuted = labels
        var i = permuted.count - 1
        while i > 0 {
            let j = Int(UInt64(i + 1).multipliedFullWidth(by: random.next()).high)
            permuted.swapAt(i, j)
            i -= 1
        }
        return permuted
    }

    /// Trains `initial` (fresh weights of the architecture) on ``trainCount`` shapes images with
    /// permuted labels; `onEvent` sees the trainer's events.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `permuted-train-count`; the
    ///   dataset's and the trainer's errors.
    public func trainPermuted(_ initial: Network, onEvent: (TrainingEvent) -> Void = { _ in }) throws -> TrainingResult {
        guard (1...ShapesDataset.maximumCount).contains(trainCount) else {
            throw ExperimentError.invalidOption(name: "permuted-train-count", reason: "must be in 1...\(ShapesDataset.maximumCount), got \(trainCount)")
        }
        let data = try ShapesDataset(split: .train, count: trainCount, seed: seed)
        let labels = Self.permutedLabels(data.labels, seed: seed)
        return try Trainer(configuration: training, workers: workers).train(initial, images: data.images, labels: labels, onEvent: onEvent)
    }
}
