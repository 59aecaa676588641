import RectGradLayers

/// How to train: epochs, mini-batch size, learning rate and the shuffling seed. The defaults are
/// the paper's setting for its CIFAR-10 network (Adam, learning rate 1e-3, batch 100, 20 epochs).
public struct TrainingConfiguration: Hashable, Sendable {
    /// Passes over the training set.
    public var epochs: Int
    /// Examples per mini-batch (the last batch of an epoch may be smaller).
    public var batchSize: Int
    /// Adam's learning rate.
    public var learningRate: Float
    /// The seed of the per-epoch shuffling.
    public var seed: UInt64

    /// Creates a configuration.
    public init(epochs: Int = 20, batchSize: Int = 100, learningRate: Float = 1e-3, seed: UInt64 = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
    }

    /// Checks the ranges.
    /// - Throws: ``DataError/invalidTrainingSetting(_:)``.
    public func validate() throws(DataError) {
        guard epochs >= 1 else { throw .invalidTrainingSetting("epochs \(epochs) must be at least 1") }
        guard batchSize >= 1 else { throw .invalidTrainingSetting("batch size \(batchSize) must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else {
            throw .invalidTrainingSetting("learning rate \(learningRate) must be positive")
        }
    }
}

/// What happened in one epoch.
public struct EpochSummary: Hashable, Sendable {
    /// The epoch, counted from 1.
    public var epoch: Int
    /// The mean training loss over the epoch's examples.
    public var loss: Double
    /// The fraction of training examples classified correctly while the epoch ran (the network
    /// changes during the epoch, so this is a running figure, as in Keras).
    public var trainingAccuracy: Double
    /// The accuracy on the validation set after the epoch, when one was given.
    public var validationAccuracy: Double?
    /// The wall-clock duration of the epoch (validation included), in seconds.
    public var seconds: Double
}

/// Progress reported while training.
public enum TrainingEvent: Sendable {
    /// A mini-batch step finished; `batch` counts from 1 within `epoch` (from 1); `loss` is the batch loss.
    case batchFinished(epoch: Int, batch: Int, batchCount: Int, loss: Float)
    /// An epoch finished.
    case epochFinished(EpochSummary)
}

/// The trained network and the per-epoch history.
public struct TrainingResult: Sendable {
    /// The network after the last epoch.
    public var network: RectGradLayers.Network
    /// One summary per epoch.
    public var epochs: [EpochSummary]
}

