import Testing
import RectGradCore
import RectGradLayers
import RectGradData
import _RectGradTestSupport

/// A tiny problem: 1×6×6 images, three classes, each a bright 2×2 square in its own region over noise.
private func tinyProblem(count: Int, seed: UInt64) throws -> (images: Tensor, labels: [Int]) {
    var random = SeededGenerator(seed: seed)
    var scalars = [Float](repeating: 0, count: count * 36)
    var labels: [Int] = []
    let corners = [(0, 0), (0, 4), (4, 2)]
    for n in 0..<count {
        let label = n % 3
        labels.append(label)
        for i in 0..<36 { scalars[n * 36 + i] = 0.3 * (2 * random.nextUnitFloat() - 1) }
        let (y0, x0) = corners[label]
        for y in y0..<(y0 + 2) { for x in x0..<(x0 + 2) { scalars[n * 36 + y * 6 + x] += 1 } }
    }
    return (try Tensor(shape: [count, 1, 6, 6], scalars: scalars), labels)
}

/// conv 3×3 (1→4) → ReLU → max-pool 2 → flatten → dense 36→3.
private func tinyNetwork(seed: UInt64) -> Network {
    var g = SeededGenerator(seed: seed)
    return Network(name: "tiny", inputChannels: 1, inputSize: 6, requiresFixedInputSize: true, classCount: 3, body: Sequential([
        Conv2D(name: "conv", inputChannels: 1, outputChannels: 4, kernel: 3, geometry: .init(padding: 1), generator: &g),
        Activation(name: "relu"),
        MaxPool2D(name: "pool", geometry: .init(kernel: 2)),
        Flatten(),
        Linear(name: "fc", inputFeatures: 36, outputFeatures: 3, generator: &g),
    ]))
}

@Suite struct TrainingTests {
    @Test func aFewHundredAdamStepsSolveASeparableProblem() throws {
        let train = try tinyProblem(count: 60, seed: 1)
        let test = try tinyProblem(count: 60, seed: 2)
        let network = tinyNetwork(seed: 3)
        #expect(try Evaluation.accuracy(of: network, images: test.images, labels: test.labels) < 0.9)
        var events: [TrainingEvent] = []
        // 60 examples in batches of 20: 3 steps per epoch, 300 steps.
        let trainer = Trainer(configuration: .init(epochs: 100, batchSize: 20, seed: 4))
        let result = try trainer.train(network, images: train.images, labels: train.labels, validation: test) { events.append($0) }
        #expect(result.epochs.count == 100)
        #expect(result.epochs.last?.trainingAccuracy == 1)
        #expect(result.epochs.last?.validationAccuracy == 1)
        #expect(try Evaluation.accuracy(of: result.network, images: test.images, labels: test.labels) == 1)
        // 300 batch events and 100 epoch events, in order.
        #expect(events.count == 400)
        if case .batchFinished(let epoch, let batch, let batchCount, _) = events[4] {
            #expect((epoch, batch, batchCount) == (2, 1, 3))
        } else {
            Issue.record("expected the fifth event to be a batch")
        }
        if case .epochFinished(let summary) = events[3] { #expect(summary.epoch == 1) } else { Issue.record("expected an epoch event") }
    }

    @Test func trainingIsReproducibleFromTheSeed() throws {
        let train = try tinyProblem(count: 30, seed: 1)
        let trainer = Trainer(configuration: .init(epochs: 3, batchSize: 7, seed: 9))
        let a = try trainer.train(tinyNetwork(seed: 3), images: train.images, labels: train.labels)
        let b = try trainer.train(tinyNetwork(seed: 3), images: train.images, labels: train.labels)
        #expect(a.network.parameters == b.network.parameters)
        #expect(a.epochs.map(\.loss) == b.epochs.map(\.loss))
        let other = try Trainer(configuration: .init(epochs: 3, batchSize: 7, seed: 10)).train(tinyNetwork(seed: 3), images: train.images, labels: train.labels)
        #expect(other.network.parameters != a.network.parameters)
    }

    /// One SGD step moves every parameter by −lr × the gradient of the batch loss, checked against
    /// central finite differences of the loss in each parameter.
    @Test func aStepFollowsTheLossGradientOfEveryParameter() throws {
        let data = try tinyProblem(count: 6, seed: 5)
        let network = tinyNetwork(seed: 6)
        let lr: Float = 0.5
        var sgd = try SGD(learningRate: lr)
        let step = try Trainer.step(network, images: data.images, labels: data.labels, optimizer: &sgd)
        let expectedLoss = try SoftmaxCrossEntropy.loss(logits: network.logits(for: data.images), labels: data.labels)
        #expect(abs(step.loss - expectedLoss) < 1e-6)
        let values = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value) })
        for (before, after) in zip(network.parameters, step.network.parameters) {
            let analytic = zip(before.value.scalars, after.value.scalars).map { ($0 - $1) / lr }
            let numeric = try FiniteDifference.gradient(of: { value in
                var probeValues = values
                probeValues[before.name] = value
                let probe = try network.loadingParameters(probeValues)
                return Double(try SoftmaxCrossEntropy.loss(logits: probe.logits(for: data.images), labels: data.labels))
            }, at: before.value, step: 1e-3)
            #expect(FiniteDifference.maximumRelativeError(analytic, numeric, scale: 1e-2) < 2e-2, "\(before.name)")
        }
    }

    @Test func inconsistentDataAndSettingsAreRefused() throws {
        let data = try tinyProblem(count: 6, seed: 5)
        let network = tinyNetwork(seed: 6)
        #expect(throws: DataError.self) { try Trainer(configuration: .init(epochs: 0)).train(network, images: data.images, labels: data.labels) }
        #expect(throws: DataError.self) { try Trainer(configuration: .init(batchSize: 0)).train(network, images: data.images, labels: data.labels) }
        #expect(throws: DataError.self) { try Trainer().train(network, images: data.images, labels: Array(data.labels.dropLast())) }
        #expect(throws: DataError.self) { try Trainer().train(network, images: data.images, labels: [0, 1, 2, 0, 1, 3]) }
    }

    @Test func batchNormStatisticsCannotBeTrainedSilently() throws {
        var g = SeededGenerator(seed: 1)
        let network = Network(name: "bn", inputChannels: 1, inputSize: 6, requiresFixedInputSize: true, classCount: 3, body: Sequential([
            Conv2D(name: "conv", inputChannels: 1, outputChannels: 2, kernel: 3, generator: &g),
            BatchNorm2D(name: "bn", channels: 2),
            Flatten(),
            Linear(name: "fc", inputFeatures: 32, outputFeatures: 3, generator: &g),
        ]))
        let data = try tinyProblem(count: 6, seed: 5)
        #expect(throws: DataError.untrainableParameter("bn.weight")) {
            try Trainer(configuration: .init(epochs: 1)).train(network, images: data.images, labels: data.labels)
        }
    }
}
