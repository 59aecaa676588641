import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradLayers
import RectGradExperiments
import RectGradZoo

// MARK: Model randomisation: which layers are re-initialised

/// The parameter tensors of `network` by name.
private func parameterValues(_ network: Network) -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value) })
}

/// The layer part of `conv1.weight`.
private func layerName(_ parameter: String) -> String {
    String(parameter[..<(parameter.lastIndex(of: ".") ?? parameter.endIndex)])
}

@Test func cascadeReinitialisesExactlyTheStatedLayersTopFirst() throws {
    let network = try Zoo.network(named: "cifar-cnn", seed: 3)
    #expect(LayerReinitialisation.layers(of: network) == ["dense6", "dense5", "conv4", "conv3", "conv2", "conv1"])
    // The cascade of cifar-cnn, written out by hand.
    let expected: [String: [String]] = [
        "dense6": ["dense6"], "dense5": ["dense6", "dense5"], "conv4": ["dense6", "dense5", "conv4"],
        "conv3": ["dense6", "dense5", "conv4", "conv3"], "conv2": ["dense6", "dense5", "conv4", "conv3", "conv2"],
        "conv1": ["dense6", "dense5", "conv4", "conv3", "conv2", "conv1"],
    ]
    let before = parameterValues(network)
    for (step, layers) in expected {
        let stated = try LayerReinitialisation.reinitialisedLayers(at: step, mode: .cascading, of: network)
        #expect(stated == layers)
        let after = parameterValues(try LayerReinitialisation.reinitialising(stated, of: network, seed: 11))
        #expect(Set(after.keys) == Set(before.keys))
        for (name, value) in before {
            let weightChanged = after[name] != value
            if layers.contains(layerName(name)) {
                // Weights are redrawn; biases become zero (the trained-from-seed network has zero
                // biases too, so only the weights must differ).
                if name.hasSuffix(".weight") { #expect(weightChanged, "\(name) at step \(step)") }
                if name.hasSuffix(".bias") { #expect(after[name] == .zeros(value.shape)) }
            } else {
                #expect(!weightChanged, "\(name) changed at step \(step)")
            }
        }
        // Independent: the step's layer alone.
        let alone = try LayerReinitialisation.reinitialisedLayers(at: step, mode: .independent, of: network)
        #expect(alone == [step])
        let independent = parameterValues(try LayerReinitialisation.reinitialising(alone, of: network, seed: 11))
        for (name, value) in before where layerName(name) != step { #expect(independent[name] == value) }
        // The same layer gets the same random weights in both tests.
        #expect(independent["\(step).weight"] == after["\(step).weight"])
    }
}

@Test func reinitialisedWeightsFollowTheLayersOwnInitialiser() throws {
    let trained = try Zoo.network(named: "cifar-cnn", seed: 3)
    // Give every bias a non-zero value so that zeroing is visible.
    var values = parameterValues(trained)
    for (name, value) in values where name.hasSuffix(".bias") { values[name] = Tensor(repeating: 0.5, shape: value.shape) }
    let network = try trained.loadingParameters(values)
    let randomised = parameterValues(try LayerReinitialisation.reinitialising(["dense5"], of: network, seed: 1))
    let weight = try #require(randomised["dense5.weight"])
    // He-normal: std = √(2 / 4096) ≈ 0.0221 over 1,048,576 draws, mean 0.
    let n = Double(weight.count)
    let mean = weight.scalars.reduce(0.0) { $0 + Double($1) } / n
    let std = (weight.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
    #expect(abs(mean) < 1e-3)
    #expect(abs(std - (2.0 / 4096).squareRoot()) < 0.01 * (2.0 / 4096).squareRoot())
    #expect(randomised["dense5.bias"] == .zeros([256]))
    #expect(randomised["conv4.bias"] == Tensor(repeating: 0.5, shape: [64]))

    // A batch norm becomes the identity.
    let bn = Network(name: "bn-net", inputChannels: 1, inputSize: Size2D(2, 2), requiresFixedInputSize: true, classCount: 2, body: Sequential([
        Conv2D(name: "conv", weight: Tensor(repeating: 0.3, shape: [2, 1, 1, 1])),
        BatchNorm2D(name: "bn", weight: Tensor(repeating: 2, shape: [2]), bias: Tensor(repeating: 1, shape: [2]),
                    runningMean: Tensor(repeating: 3, shape: [2]), runningVariance: Tensor(repeating: 4, shape: [2])),
        Flatten(), Linear(name: "fc", weight: Tensor(repeating: 0.1, shape: [2, 8])),
    ]))
    #expect(LayerReinitialisation.layers(of: bn) == ["fc", "bn", "conv"])
    let identity = parameterValues(try LayerReinitialisation.reinitialising(["bn"], of: bn, seed: 0))
    #expect(identity["bn.weight"] == Tensor(repeating: 1, shape: [2]))
    #expect(identity["bn.bias"] == .zeros([2]))
    #expect(identity["bn.running_mean"] == .zeros([2]))
    #expect(identity["bn.running_var"] == Tensor(repeating: 1, shape: [2]))
    #expect(identity["conv.weight"] == Tensor(repeating: 0.3, shape: [2, 1, 1, 1]))
}

@Test func unknownLayersAreRejectedByName() throws {
    let network = try Zoo.network(named: "cifar-cnn", seed: 0)
    #expect(throws: ExperimentError.invalidOption(name: "layers", reason: "'conv9' is not a parameterised layer of cifar-cnn; did you mean 'conv4', 'conv3' or 'conv2'?; its layers (top first): dense6, dense5, conv4, conv3, conv2, conv1")) {
        try LayerReinitialisation.reinitialisedLayers(at: "conv9", mode: .cascading, of: network)
    }
    let check = ModelRandomisation(network: network, methods: [.saliency], layers: ["conv1", "relu1"])
    #expect { try check.evaluatedLayers() } throws: { error in
        guard case ExperimentError.invalidOption(let name, let reason) = error else { return false }
        return name == "layers" && reason.contains("'relu1'")
    }
    // The evaluated layers come in cascade order whatever order they were given in.
    #expect(try ModelRandomisation(network: network, methods: [.saliency], layers: ["conv1", "dense6"]).evaluatedLayers() == ["dense6", "conv1"])
}

// MARK: Deletion and insertion

/// `logit₀ = 1·x₀ + 2·x₁ + 3·x₂ + 4·x₃`, `logit₁ = 0` on a one-channel 2 × 2 image: the probability
/// of class 0 is `σ(logit₀)`.
private func toyNetwork() throws -> Network {
    Network(name: "toy", inputChannels: 1, inputSize: Size2D(2, 2), requiresFixedInputSize: true, classCount: 2, body: Sequential([
        Flatten(), Linear(name: "fc", weight: try Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, 0, 0, 0, 0]), bias: .zeros([2])),
    ]))
}

private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

@Test func deletionAreaOfAKnownRankingMatchesAHandComputation() throws {
    let network = try toyNetwork()
    let image = try Tensor(shape: [1, 1, 2, 2], scalars: [3, 1, 0, -2])
    let fill = try PerturbationFill.channelMean.reference(for: image.example(0))
    #expect(fill == Tensor(repeating: 0.5, shape: [1, 2, 2]))
    let order = try RelevanceOrder.pixels([4, 3, 2, 1], seed: 9)
    #expect(order == [0, 1, 2, 3])
    // Deleting pixels 0, 1, 2, 3 in turn (each becomes 0.5):
    // [3, 1, 0, −2] → −3; [.5, 1, 0, −2] → −5.5; [.5, .5, 0, −2] → −6.5; [.5, .5, .5, −2] → −5; all .5 → 5.
    let deletion = try PerturbationCurve.measure(network: network, image: image, reference: fill, order: order, kind: .deletion, target: 0, steps: 4)
    let expected = [-3, -5.5, -6.5, -5, 5].map(sigmoid)
    #expect(deletion.fractions == [0, 0.25, 0.5, 0.75, 1])
    for (value, hand) in zip(deletion.probabilities, expected) { #expect(abs(value - hand) < 1e-6) }
    let handArea = 0.25 * (expected[0] / 2 + expected[1] + expected[2] + expected[3] + expected[4] / 2)
    #expect(abs(deletion.areaUnderCurve - handArea) < 1e-6)

    // Insertion into the mean canvas: 5; [3, .5, .5, .5] → 7.5; [3, 1, .5, .5] → 8.5; [3, 1, 0, .5] → 7; [3, 1, 0, −2] → −3.
    let insertion = try PerturbationCurve.measure(network: network, image: image, reference: fill, order: order, kind: .insertion, target: 0, steps: 4)
    for (value, hand) in zip(insertion.probabilities, [5, 7.5, 8.5, 7, -3].map(sigmoid)) { #expect(abs(value - hand) < 1e-6) }

    // Two steps: counts 0, 2, 4.
    let coarse = try PerturbationCurve.measure(network: network, image: image, reference: fill, order: order, kind: .deletion, target: 0, steps: 2)
    #expect(coarse.fractions == [0, 0.5, 1])
    for (value, hand) in zip(coarse.probabilities, [-3, -6.5, 5].map(sigmoid)) { #expect(abs(value - hand) < 1e-6) }
}

@Test func curveEndpointsAreTheImageAndTheFill() throws {
    let network = try Zoo.network(named: "cifar-cnn", seed: 5)
    let image = Tensor.randomUniform([1, 3, 32, 32], low: -1, high: 1, seed: 4)
    for fill in [PerturbationFill.channelMean, .blurred(sigma: 1.5)] {
        let reference = try fill.reference(for: image.example(0))
        let order = try RelevanceOrder.pixels(RelevanceOrder.relevance(of: image), seed: 2)
        let logits = try SoftmaxCrossEntropy.softmax(network.logits(for: Tensor.stack([image.example(0), reference])))
        let (atImage, atFill) = (Double(logits[0, 7]), Double(logits[1, 7]))
        let deletion = try PerturbationCurve.measure(network: network, image: image, reference: reference, order: order, kind: .deletion, target: 7, steps: 7)
        let insertion = try PerturbationCurve.measure(network: network, image: image, reference: reference, order: order, kind: .insertion, target: 7, steps: 7)
        #expect(deletion.probabilities.count == 8 && insertion.probabilities.count == 8)
        #expect(abs(deletion.probabilities[0] - atImage) < 1e-6 && abs(deletion.probabilities[7] - atFill) < 1e-6)
        #expect(abs(insertion.probabilities[0] - atFill) < 1e-6 && abs(insertion.probabilities[7] - atImage) < 1e-6)
        // LeRF deletion (the reversed order) goes through the insertion curve's images backwards.
        let lerf = try PerturbationCurve.measure(network: network, image: image, reference: reference, order: order.reversed(), kind: .deletion, target: 7, steps: 7)
        let backwards = insertion.readBackwards()
        for (a, b) in zip(lerf.fractions, backwards.fractions) { #expect(abs(a - b) < 1e-12) }
        #expect(lerf.probabilities == backwards.probabilities)
        #expect(abs(lerf.areaUnderCurve - insertion.areaUnderCurve) < 1e-9)
    }
}

@Test func blurKeepsAConstantImageAndSpreadsAnImpulse() throws {
    let constant = Tensor(repeating: 0.25, shape: [2, 5, 6])
    let blurred = try PerturbationFill.blurred(sigma: 1).reference(for: constant)
    for value in blurred.scalars { #expect(abs(value - 0.25) < 1e-6) }
    // An impulse in the middle of a 9 × 9 plane: the centre keeps (w₀)², w₀ = 1 / Σ_{k=−3…3} e^{−k²/2}.
    var impulse = Tensor.zeros([1, 9, 9])
    impulse.withUnsafeMutableBufferPointer { $0[4 * 9 + 4] = 1 }
    let spread = try PerturbationFill.blurred(sigma: 1).reference(for: impulse)
    var taps = 0.0
    for k in -3...3 { taps += exp(-Double(k) * Double(k) / 2) }
    let w0: Double = 1 / taps
    #expect(abs(Double(spread[0, 4, 4]) - w0 * w0) < 1e-6)
    #expect(abs(Double(spread[0, 4, 5]) - w0 * w0 * exp(-0.5)) < 1e-6)
    #expect(throws: ExperimentError.self) { try PerturbationFill.blurred(sigma: 0).reference(for: impulse) }
}

@Test func tiesAreBrokenBySeededKeysAndLeRFIsTheReverse() throws {
    let flat = [Float](repeating: 0, count: 64)
    let a = try RelevanceOrder.pixels(flat, seed: 1), b = try RelevanceOrder.pixels(flat, seed: 1), c = try RelevanceOrder.pixels(flat, seed: 2)
    #expect(a == b)
    #expect(a != c)
    #expect(a.sorted() == Array(0..<64))
    #expect(a != Array(0..<64))
    // Distinct values keep their descending order whatever the seed; ties only move among themselves.
    let scores: [Float] = [0.5, 2, 2, -1, 0.5, 3]
    let order = try RelevanceOrder.pixels(scores, seed: 7)
    #expect(order[0] == 5 && Set(order[1...2]) == [1, 2] && Set(order[3...4]) == [0, 4] && order[5] == 3)
    #expect(try RelevanceOrder.pixels(scores, direction: .leastRelevantFirst, seed: 7) == order.reversed())
    #expect(throws: ExperimentError.self) { try RelevanceOrder.pixels([1, .nan], seed: 0) }
}

// MARK: Sensitivity

/// `logit₀ = 2·x₀ + 3·x₁`, `logit₁ = 0` on a one-channel 1 × 2 image.
private func linearNetwork() throws -> Network {
    Network(name: "linear", inputChannels: 1, inputSize: Size2D(1, 2), requiresFixedInputSize: true, classCount: 2, body: Sequential([
        Flatten(), Linear(name: "fc", weight: try Tensor(shape: [2, 2], scalars: [2, 3, 0, 0]), bias: .zeros([2])),
    ]))
}

@Test func sensitivityOfALinearModelsGradientIsZeroAndOfGradientTimesInputIsTheHandValue() throws {
    let network = try linearNetwork()
    let x = try Tensor(shape: [1, 1, 1, 2], scalars: [1, 1])
    let r: Float = 0.1
    let perturbations = [try Tensor(shape: [1, 1, 2], scalars: [r, 0]), try Tensor(shape: [1, 1, 2], scalars: [0, -r])]
    let saliency = try Sensitivity.measure(network: network, method: .saliency, input: x, targets: [0], perturbations: perturbations)
    #expect(saliency == [Sensitivity.Figures(maximum: 0, average: 0, relativeMaximum: 0, relativeAverage: 0)])
    // Φ = w ⊙ x: the differences are (2r, 0) and (0, −3r), of norms 0.2 and 0.3; ‖Φ(x)‖ = √13.
    let product = try #require(try Sensitivity.measure(network: network, method: .gradientTimesInput, input: x, targets: [0], perturbations: perturbations).first)
    #expect(abs(product.maximum - 0.3) < 1e-6)
    #expect(abs(product.average - 0.25) < 1e-6)
    #expect(abs(product.relativeMaximum - 0.3 / 13.0.squareRoot()) < 1e-6)
    #expect(abs(product.relativeAverage - 0.25 / 13.0.squareRoot()) < 1e-6)

    // Random draws: within the radius, reproducible, and zero sensitivity for the gradient again.
    let drawn = try Sensitivity.uniformPerturbations(shape: [1, 1, 2], radius: r, count: 5, seed: 3)
    #expect(drawn == (try Sensitivity.uniformPerturbations(shape: [1, 1, 2], radius: r, count: 5, seed: 3)))
    #expect(drawn.allSatisfy { $0.scalars.allSatisfy { abs($0) <= r } })
    #expect(try Sensitivity.measure(network: network, method: .saliency, input: x, targets: [0], perturbations: drawn)[0].maximum == 0)
    #expect(throws: ExperimentError.invalidOption(name: "radius", reason: "must be ≥ 0 and finite, got -0.1")) {
        try Sensitivity.uniformPerturbations(shape: [1, 1, 2], radius: -0.1, count: 5, seed: 3)
    }
    #expect(throws: ExperimentError.invalidOption(name: "sensitivity-samples", reason: "must be at least 1, got 0")) {
        try Sensitivity.uniformPerturbations(shape: [1, 1, 2], radius: 0.1, count: 0, seed: 3)
    }
}

// MARK: Localisation

@Test func pointingGameAndRelevanceMassOnAHandMask() throws {
    let relevance: [Float] = [0.1, 0.5, -1, 0.3]
    #expect(try Localisation.pointingGameHit(relevance: relevance, mask: [false, true, false, true]))
    #expect(try !Localisation.pointingGameHit(relevance: relevance, mask: [true, false, true, true]))
    // (0.5 + 0.3) / (0.1 + 0.5 + 0.3); the negative −1 does not count.
    let mass = try #require(try Localisation.relevanceMassAccuracy(relevance: relevance, mask: [false, true, true, true]))
    #expect(abs(mass - 0.8 / 0.9) < 1e-6)
    // Ties: the first maximum in row-major order decides.
    #expect(try !Localisation.pointingGameHit(relevance: [1, 1, 0, 0], mask: [false, true, false, false]))
    #expect(try Localisation.relevanceMassAccuracy(relevance: [0, -1, 0, 0], mask: [true, true, true, true]) == nil)
    #expect(throws: ExperimentError.self) { try Localisation.pointingGameHit(relevance: relevance, mask: [true]) }
}

// MARK: Data randomisation and settings

@Test func permutedLabelsAreASeededPermutation() {
    let labels = (0..<200).map { $0 % 10 }
    let permuted = DataRandomisation.permutedLabels(labels, seed: 4)
    #expect(permuted.sorted() == labels.sorted())
    #expect(permuted != labels)
    #expect(permuted == DataRandomisation.permutedLabels(labels, seed: 4))
    #expect(permuted != DataRandomisation.permutedLabels(labels, seed: 5))
}

@Test func settingsErrorsNameTheOption() throws {
    func failure(_ change: (inout EvaluationSettings) -> Void) -> String? {
        var settings = EvaluationSettings()
        change(&settings)
        do { try settings.validate(); return nil } catch {
            if case .invalidOption(let name, _) = error { return name }
            return "?"
        }
    }
    #expect(failure { _ in } == nil)
    #expect(failure { $0.imageCount = 0 } == "count")
    #expect(failure { $0.imageCount = EvaluationSettings.maximumImageCount + 1 } == "count")
    #expect(failure { $0.radius = -0.01 } == "radius")
    #expect(failure { $0.radius = .nan } == "radius")
    #expect(failure { $0.sensitivitySamples = 0 } == "sensitivity-samples")
    #expect(failure { $0.perturbation.steps = 0 } == "deletion-steps")
    #expect(failure { $0.perturbation.fill = .blurred(sigma: -1) } == "blur-sigma")
    #expect(failure { $0.checks = [] } == "checks")
    #expect(failure { $0.dataRandomisation?.trainCount = 0 } == "permuted-train-count")
    #expect(failure { $0.dataRandomisation?.training.epochs = 0 } == "permuted-epochs")

    #expect(try EvaluationCheck.parse("deletion, randomization") == [.randomisation, .deletion])
    #expect(try EvaluationCheck.parse("all") == EvaluationCheck.allCases)
    #expect { try EvaluationCheck.parse("deletion,sensitivty") } throws: { error in
        guard case ExperimentError.invalidOption(let name, let reason) = error else { return false }
        return name == "checks" && reason.contains("'sensitivity'")
    }
    #expect(throws: ExperimentError.self) { try EvaluationCheck.parse(" , ") }
}

// MARK: Map comparison

@Test func mapComparisonSeesSignFlipsOnlyInTheSignedRankCorrelation() throws {
    let map = Tensor.randomNormal([3, 16, 16], seed: 8)
    let same = try MapComparison.compare(map, map)
    for value in same.values { #expect(abs(value - 1) < 1e-9) }
    let flipped = try MapComparison.compare(map, map.scaled(by: -2))
    #expect(abs(flipped.spearmanSigned + 1) < 1e-9)
    #expect(abs(flipped.spearmanAbsolute - 1) < 1e-9)
    #expect(abs(flipped.ssim - 1) < 1e-9 && abs(flipped.hog - 1) < 1e-9)
    // An all-zero map has no ranks and no gradients: NaN, and left out of the means.
    let zero = try MapComparison.compare(map, .zeros([3, 16, 16]))
    #expect(zero.spearmanSigned.isNaN && zero.spearmanAbsolute.isNaN && zero.hog.isNaN)
    let mean = MapComparison.mean([same, zero])
    #expect(abs(mean.spearmanSigned - 1) < 1e-9)
    #expect(throws: ExperimentError.self) { try MapComparison.compare(map, .zeros([3, 16, 15])) }
}
