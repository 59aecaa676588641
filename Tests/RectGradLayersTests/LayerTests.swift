import Testing
import RectGradCore
import RectGradLayers
import _RectGradTestSupport

/// conv → BN → ReLU → conv(+bias) → BN → residual → pool → flatten → dense.
private func smallNetwork(seed: UInt64) -> Network {
    var g = SeededGenerator(seed: seed)
    func randomNorm(_ name: String, _ c: Int) -> BatchNorm2D {
        BatchNorm2D(
            name: name,
            weight: Tensor.randomUniform([c], low: 0.5, high: 1.5, generator: &g),
            bias: Tensor.randomUniform([c], low: -0.5, high: 0.5, generator: &g),
            runningMean: Tensor.randomUniform([c], low: -0.3, high: 0.3, generator: &g),
            runningVariance: Tensor.randomUniform([c], low: 0.5, high: 2, generator: &g)
        )
    }
    let conv1 = Conv2D(name: "conv1", inputChannels: 3, outputChannels: 4, kernel: 3, geometry: .init(padding: 1), bias: false, generator: &g)
    let conv2 = Conv2D(name: "block.conv", inputChannels: 4, outputChannels: 4, kernel: 3, geometry: .init(padding: 1), bias: true, generator: &g)
    let body = Sequential([
        conv1, randomNorm("bn1", 4), Activation(name: "relu1"),
        Residual(name: "block", body: Sequential(name: "block", [conv2, randomNorm("block.bn", 4)]), activation: Activation(name: "block.relu")),
        MaxPool2D(name: "pool", geometry: .init(kernel: 2)),
        Flatten(),
        Linear(name: "fc", inputFeatures: 4 * 4 * 4, outputFeatures: 5, generator: &g),
    ])
    return Network(name: "small", inputSize: 8, requiresFixedInputSize: true, classCount: 5, body: body)
}

@Test func foldingBatchNormKeepsTheOutputs() throws {
    let network = smallNetwork(seed: 1)
    let folded = try network.foldingBatchNorm()
    let x = Tensor.randomNormal([2, 3, 8, 8], seed: 2)
    let a = try network.logits(for: x), b = try folded.logits(for: x)
    #expect(try b.relativeL2Distance(to: a) < 1e-5)
    // The folded network has no batch-norm statistics left.
    #expect(!folded.parameters.contains { $0.name.hasSuffix("running_mean") })
    #expect(folded.parameters.count < network.parameters.count)
}

@Test func parameterNamesFollowTheLayerNames() {
    let names = smallNetwork(seed: 1).parameters.map(\.name)
    #expect(names == [
        "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "block.conv.weight", "block.conv.bias", "block.bn.weight", "block.bn.bias", "block.bn.running_mean", "block.bn.running_var",
        "fc.weight", "fc.bias",
    ])
}

@Test func loadingParametersIsStrict() throws {
    let network = smallNetwork(seed: 1)
    var values = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value) })
    // Round trip: loading the network's own parameters gives the same outputs.
    let x = Tensor.randomNormal([1, 3, 8, 8], seed: 3)
    #expect(try network.loadingParameters(values).logits(for: x) == network.logits(for: x))

    values["extra.weight"] = Tensor.zeros([1])
    #expect(throws: LayerError.unexpectedParameters(["extra.weight"])) { try network.loadingParameters(values) }
    #expect(try network.loadingParameters(values, allowExtraNames: true).parameterCount == network.parameterCount)
    values["extra.weight"] = nil

    values["fc.bias"] = Tensor.zeros([6])
    #expect(throws: LayerError.parameterShapeMismatch(name: "fc.bias", expected: [5], actual: [6])) { try network.loadingParameters(values) }
    values["fc.bias"] = nil
    #expect(throws: LayerError.missingParameter("fc.bias")) { try network.loadingParameters(values) }
    values["fc.bias"] = Tensor(repeating: .nan, shape: [5])
    #expect(throws: LayerError.nonFiniteParameter("fc.bias")) { try network.loadingParameters(values) }
}

@Test func inputShapeIsValidated() {
    let network = smallNetwork(seed: 1)
    #expect(throws: LayerError.inputShapeMismatch(network: "small", expected: [3, 8, 8], actual: [1, 3, 9, 8])) {
        try network.logits(for: Tensor.zeros([1, 3, 9, 8]))
    }
    #expect(throws: LayerError.self) { try network.logits(for: Tensor.zeros([3, 8, 8])) }
}

@Test func everyActivationLayerIsRecordedAndHandledByTheRule() throws {
    let network = smallNetwork(seed: 4)
    let tape = Tape()
    let x = tape.input(Tensor.randomNormal([2, 3, 8, 8], seed: 5))
    let logits = try network.logits(x, on: tape)
    #expect(tape.activationSites.map(\.name) == ["relu1", "block.relu"])
    let result = try tape.backward(from: logits, withRespectTo: [x], rules: BackwardRules(activation: GuidedBackpropRule()))
    #expect(result.report.activationNodesByRule == ["guided-backprop": 2])
    #expect(result.report.activationNodesRecorded == 2)
}

@Test func parameterGradientsAreAvailableByName() throws {
    let network = smallNetwork(seed: 6)
    let tape = Tape()
    let x = tape.input(Tensor.randomNormal([2, 3, 8, 8], seed: 7))
    let loss = try tape.softmaxCrossEntropy(network.logits(x, on: tape), labels: [1, 3])
    let parameters = tape.parameterVariables
    #expect(parameters.map(\.name).contains("fc.weight"))
    let result = try tape.backward(from: loss, withRespectTo: parameters.map(\.variable))
    for (name, variable) in parameters {
        let gradient = try #require(result[variable], "no gradient for \(name)")
        #expect(gradient.shape == (try tape.value(variable)).shape)
    }
    // The loss depends on the last layer's bias: its gradient is softmax − onehot averaged, summing to 0.
    let fcBias = try #require(parameters.first { $0.name == "fc.bias" })
    #expect(abs(try #require(result[fcBias.variable]).sum()) < 1e-6)
}

/// Batch norm folds its statistics when they change, not on every pass: a changed statistic is
/// what the next pass uses, and statistics that cannot be folded fail the pass that needs them.
@Test func batchNormUsesItsCurrentStatistics() throws {
    var norm = BatchNorm2D(name: "bn", channels: 2)
    let input = try Tensor(shape: [1, 2, 1, 2], scalars: [1, 2, 3, 4])
    func run(_ layer: BatchNorm2D) throws -> [Float] {
        let tape = Tape()
        return try tape.value(layer.forward(tape.input(input), on: tape)).scalars
    }
    // Identity statistics with ε = 1e-5: x / √(1 + 1e-5).
    let identity = Float(1) / Float(1 + 1e-5).squareRoot()
    #expect(try run(norm) == [1, 2, 3, 4].map { $0 * identity })
    norm.epsilon = 0
    norm.runningMean = try Tensor(shape: [2], scalars: [1, -1])
    norm.runningVariance = try Tensor(shape: [2], scalars: [4, 0.25])
    norm.weight = try Tensor(shape: [2], scalars: [2, 1])
    norm.bias = try Tensor(shape: [2], scalars: [0, 1])
    // Channel 0: (x − 1) / 2 · 2 + 0 = x − 1; channel 1: (x + 1) / 0.5 + 1 = 2x + 3.
    #expect(try run(norm) == [0, 1, 9, 11])
    norm.runningVariance = try Tensor(shape: [2], scalars: [-1, 1])
    #expect(throws: TensorError.self) { _ = try run(norm) }
    #expect(throws: TensorError.self) { _ = try norm.affine() }
}
