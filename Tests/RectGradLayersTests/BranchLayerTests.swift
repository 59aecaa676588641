import Testing
import RectGradCore
import RectGradLayers
import _RectGradTestSupport

/// A small Inception-style network: a stem with SiLU, a block of three concatenated branches
/// (1×1 conv + BN + GELU; 3×3 average pool without padding counts; the identity), a
/// squeeze-and-excitation gate with a hard-sigmoid, then pooling and a dense head.
private func inceptionLike(seed: UInt64) -> Network {
    var g = SeededGenerator(seed: seed)
    let norm = BatchNorm2D(name: "mixed.b0.bn", weight: Tensor.randomUniform([4], low: 0.5, high: 1.5, generator: &g),
                           bias: Tensor.randomUniform([4], low: -0.5, high: 0.5, generator: &g),
                           runningMean: Tensor.randomUniform([4], low: -0.3, high: 0.3, generator: &g),
                           runningVariance: Tensor.randomUniform([4], low: 0.5, high: 2, generator: &g))
    let block = Concatenate(name: "mixed", branches: [
        Sequential(name: "mixed.b0", [Conv2D(name: "mixed.b0.conv", inputChannels: 3, outputChannels: 4, kernel: 1, bias: false, generator: &g), norm,
                                      Activation(name: "mixed.b0.act", kind: .gelu(.erf))]),
        Sequential(name: "mixed.b1", [AvgPool2D(name: "mixed.b1.pool", geometry: .init(kernel: 3, stride: 1, padding: 1), countIncludesPadding: false)]),
        Sequential(name: "mixed.b2", []),
    ])
    let gate = MultiplicativeGate(name: "se", gate: Sequential(name: "se", [
        AdaptiveAvgPool2D(name: "se.pool", outputSize: 1),
        Conv2D(name: "se.conv", inputChannels: 10, outputChannels: 10, kernel: 1, generator: &g),
        Activation(name: "se.gate", kind: .hardSigmoid(alpha: 1.0 / 6, beta: 0.5)),
    ]))
    let body = Sequential([
        Conv2D(name: "stem", inputChannels: 3, outputChannels: 3, kernel: 3, geometry: .init(padding: 1), generator: &g),
        Activation(name: "stem.act", kind: .silu),
        block, gate,
        AvgPool2D(name: "pool", geometry: .init(kernel: 3, stride: 2, ceilMode: true)),
        Flatten(),
        Linear(name: "fc", inputFeatures: 10 * 4 * 4, outputFeatures: 5, generator: &g),
    ])
    return Network(name: "inception-like", inputSize: 8, requiresFixedInputSize: true, classCount: 5, body: body)
}

@Test func concatenateAndGateLayersRecordTheirOpsAndSites() throws {
    let network = inceptionLike(seed: 1)
    let tape = Tape()
    let x = tape.input(Tensor.randomNormal([2, 3, 8, 8], seed: 2))
    let logits = try network.logits(x, on: tape)
    #expect(try tape.shape(logits) == [2, 5])
    #expect(tape.activationSites.map(\.name) == ["stem.act", "mixed.b0.act", "se.gate"])
    #expect(tape.activationSites.map(\.kind.name) == ["silu", "gelu", "hard-sigmoid"])
    let result = try tape.backward(from: logits, withRespectTo: [x], rules: BackwardRules(activation: GuidedBackpropRule()))
    #expect(result.report.activationSitesByKind == ["silu": ["guided-backprop": 1], "gelu": ["guided-backprop": 1], "hard-sigmoid": ["guided-backprop": 1]])
    // The parameters of every branch and of the gate are traversed, named by layer.
    let names = Set(network.parameters.map(\.name))
    #expect(names.isSuperset(of: ["mixed.b0.conv.weight", "mixed.b0.bn.running_mean", "se.conv.weight", "se.conv.bias"]))
}

@Test func foldingBatchNormInsideABranchKeepsTheOutputs() throws {
    let network = inceptionLike(seed: 3)
    let folded = try network.foldingBatchNorm()
    let x = Tensor.randomNormal([2, 3, 8, 8], seed: 4)
    #expect(try folded.logits(for: x).relativeL2Distance(to: try network.logits(for: x)) < 1e-5)
    #expect(!folded.parameters.contains { $0.name.hasSuffix("running_mean") })
}

@Test func theBlockIsDifferentiableEndToEnd() throws {
    let network = inceptionLike(seed: 5)
    let x = Tensor.randomNormal([1, 3, 8, 8], seed: 6)
    let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 1e-3, scale: 1e-2) { tape, v in
        try network.logits(v[0], on: tape)
    }
    #expect(errors[0] < 2e-2, "relative error \(errors[0])")
}
