import RectGradCore
import RectGradLayers

/// Trains a classifier on the tape: softmax cross-entropy, mini-batches drawn in a seeded random
/// order every epoch, gradients with respect to every parameter by the tape's backward pass, Adam.
///
/// ```swift
/// let train = try ShapesDataset(split: .train, count: 10_000, seed: 1)
/// let test = try ShapesDataset(split: .test, count: 1_000, seed: 1)
/// let trainer = Trainer(configuration: .init(epochs: 5, seed: 1))
/// let result = try trainer.train(network, images: train.images, labels: train.labels,
///                                validation: (test.images, test.labels)) { event in … }
/// ```
///
/// Progress is reported through the callback only; the trainer prints nothing.
public struct Trainer: Sendable {
    /// Epochs, batch size, learning rate, shuffling seed.
    public var configuration: TrainingConfiguration
    /// The threads the forward and backward passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates a trainer whose passes run on `workers`.
    public init(configuration: TrainingConfiguration = .init(), workers: Workers = .default) {
        self.configuration = configuration
        self.workers = workers
    }

    /// Trains `network` with Adam at the configured learning rate (β 0.9 / 0.999, ε 1e-8).
    /// - Throws: ``DataError`` for inconsistent data or settings, a parameter without gradient, or
    ///   a diverging loss; tape, layer and optimiser errors as they occur.
    public func train(
        _ network: Network, images: Tensor, labels: [Int], validation: (images: Tensor, labels: [Int])? = nil,
        onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> TrainingResult {
        try configuration.validate()
        var optimizer = try Adam(learningRate: configuration.learningRate)
        return try train(network, images: images, labels: labels, validation: validation, optimizer: &optimizer, onEvent: onEvent)
    }

    /// Trains `network` with the given optimiser (whose state carries over between calls).
    public func train(
        _ network: Network, images: Tensor, labels: [Int], validation: (images: Tensor, labels: [Int])? = nil,
        optimizer: inout some Optimizer, onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> TrainingResult {
        try configuration.validate()
        try LabelledImages.validate(images: images, labels: labels, classCount: network.classCount, role: "training")
        if let validation {
            try LabelledImages.validate(images: validation.images, labels: validation.labels, classCount: network.classCount, role: "validation")
        }
        var network = network
        var random = SeededGenerator(seed: configuration.seed)
        var order = Array(0..<labels.count)
        let batchCount = (labels.count + configuration.batchSize - 1) / configuration.batchSize
        var history: [EpochSummary] = []
        let clock = ContinuousClock()
        for epoch in 1...configuration.epochs {
            let start = clock.now
            order.shuffle(using: &random)
            var lossSum = 0.0
            var correct = 0
            for batch in 0..<batchCount {
                let indices = Array(order[(batch * configuration.batchSize)..<min((batch + 1) * configuration.batchSize, order.count)])
                let batchLabels = indices.map { labels[$0] }
                let step = try Self.step(network, images: images.gathering(examples: indices), labels: batchLabels, optimizer: &optimizer, workers: workers)
                guard step.loss.isFinite else { throw DataError.diverged(epoch: epoch, batch: batch + 1) }
                network = step.network
                lossSum += Double(step.loss) * Double(indices.count)
                correct += zip(step.predictions, batchLabels).filter { $0 == $1 }.count
                onEvent(.batchFinished(epoch: epoch, batch: batch + 1, batchCount: batchCount, loss: step.loss))
            }
            let validationAccuracy = try validation.map { try Evaluation.accuracy(of: network, images: $0.images, labels: $0.labels, workers: workers) }
            let elapsed = clock.now - start
            let summary = EpochSummary(
                epoch: epoch, loss: lossSum / Double(labels.count), trainingAccuracy: Double(correct) / Double(labels.count),
                validationAccuracy: validationAccuracy,
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            )
            history.append(summary)
            onEvent(.epochFinished(summary))
        }
        return TrainingResult(network: network, epochs: history)
    }

    /// One optimisation step on one mini-batch: forward, loss, backward to every parameter, update.
    /// Returns the updated network, the batch loss (before the update) and the batch predictions.
    /// The passes run on `workers`.
    public static func step(
        _ network: Network, images: Tensor, labels: [Int], optimizer: inout some Optimizer, workers: Workers = .default
    ) throws -> (network: Network, loss: Float, predictions: [Int]) {
        let tape = Tape(workers: workers)
        let logits = try network.logits(tape.input(images), on: tape)
        let loss = try tape.softmaxCrossEntropy(logits, labels: labels)
        let parameters = tape.parameterVariables
        let result = try tape.backward(from: loss, withRespectTo: parameters.map(\.variable))
        var gradients: [String: Tensor] = [:]
        for (name, variable) in parameters {
            guard let gradient = result[variable] else { continue }
            if var existing = gradients[name] {
                try existing.add(gradient, workers: workers)
                gradients[name] = existing
            } else {
                gradients[name] = gradient
            }
        }
        if let missing = network.parameters.first(where: { gradients[$0.name] == nil }) {
            throw DataError.untrainableParameter(missing.name)
        }
        let lossValue = try tape.value(loss).scalars.first ?? .nan
        let predictions = try tape.value(logits).argmaxPerRow()
        return (try network.updated(by: &optimizer, gradients: gradients), lossValue, predictions)
    }
}
