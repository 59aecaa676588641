import Testing
import RectGradAttribution
import RectGradCore
import RectGradLayers
import RectGradExperiments

/// conv 3→4 (3×3, padding 1) → ReLU → conv 4→3 (3×3, padding 1) → ReLU → dense 48→4, on `[N, 3, 4, 4]`.
private func tinyNetwork(seed: UInt64) -> Network {
    var g = SeededGenerator(seed: seed)
    let body = Sequential([
        Conv2D(name: "conv1", inputChannels: 3, outputChannels: 4, kernel: 3, geometry: .init(padding: 1), generator: &g),
        Activation(name: "relu1"),
        Conv2D(name: "conv2", inputChannels: 4, outputChannels: 3, kernel: 3, geometry: .init(padding: 1), generator: &g),
        Activation(name: "relu2"),
        Flatten(),
        Linear(name: "fc", inputFeatures: 48, outputFeatures: 4, generator: &g),
    ])
    return Network(name: "tiny", inputChannels: 3, inputSize: 4, requiresFixedInputSize: true, classCount: 4, body: body)
}

/// The spec's q = 0 written out: the threshold is the layer minimum of a·R per example (the
/// nearest-rank percentile at q = 0), and a unit passes R when its importance is strictly above it.
private struct NaiveMinimumRule: ActivationRule {
    var description: String { "naive q = 0" }

    func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        let z = input.preActivation.scalars, r = input.upstream.scalars
        let units = input.unitsPerExample
        var gradient = [Float](repeating: 0, count: z.count)
        for n in 0..<input.exampleCount {
            let range = (n * units)..<((n + 1) * units)
            let importance = range.map { max(z[$0], 0) * r[$0] }
            let minimum = importance.min() ?? 0
            for (k, i) in range.enumerated() where importance[k] > minimum { gradient[i] = r[i] }
        }
        return try Tensor(shape: input.preActivation.shape, scalars: gradient)
    }
}

@Test("the q = 0 column equals the rule that passes every unit above the layer minimum", arguments: [UInt64(1), 2, 3])
func percentileZeroPassesEverythingAboveTheMinimum(seed: UInt64) throws {
    let network = tinyNetwork(seed: seed)
    let input = Tensor.randomNormal([2, 3, 4, 4], seed: seed &+ 50)
    let sweep = ThresholdSweep(settings: [.rectGrad(percentile: 0), .rectGrad(percentile: 90)])
    let result = try sweep.run(input: input, network: network)
    // Gradient × input with the naive rule and the padding rule, as the RectGrad family runs.
    let reference = AttributionMethod(
        name: "naive", rules: BackwardRules(activation: NaiveMinimumRule(), masksConvolutionBorder: true),
        estimator: AttributionMethod.gradientTimesInput.estimator)
    let expected = try AttributionSession(network: network, input: input, targets: .perExample(result.targets)).attribute(reference).map
    for example in 0..<2 {
        let column = result.maps[example][0].scalars
        let wanted = expected.example(example).scalars
        for (a, b) in zip(column, wanted) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "example \(example)") }
        // q = 90 blocks more units, so its map differs.
        #expect(result.maps[example][1].scalars != column)
    }
}

@Test("τ = 0 without the padding rule equals guided backprop × input (the spec's identity)")
func tauZeroIsGuidedBackpropTimesInput() throws {
    let network = tinyNetwork(seed: 7)
    let input = Tensor.randomNormal([2, 3, 4, 4], seed: 8)
    var parameters = MethodParameters()
    parameters.masksConvolutionBorder = false
    let result = try ThresholdSweep(settings: [.rectGradConstant(tau: 0)], parameters: parameters).run(input: input, network: network)
    let guided = try AttributionSession(network: network, input: input).attribute(.guidedBackprop).map
    for example in 0..<2 {
        let expected = zip(input.example(example).scalars, guided.example(example).scalars).map { $0 * $1 }
        #expect(result.maps[example][0].scalars == expected)
    }
}

@Test func badSweepSettingsNameTheirOption() {
    func rejected(_ settings: [ThresholdSweep.Setting]) -> String? {
        do { try ThresholdSweep(settings: settings).validate(); return nil } catch {
            if case .invalidOption(let name, _) = error { return name }
            return nil
        }
    }
    #expect(rejected([.rectGrad(percentile: 101)]) == "percentiles")
    #expect(rejected([.rectGrad(percentile: -1)]) == "percentiles")
    #expect(rejected([.rectGrad(percentile: .nan)]) == "percentiles")
    #expect(rejected([.rectGradConstant(tau: .infinity)]) == "taus")
    #expect(rejected([]) == "settings")
    #expect(rejected([.rectGrad(percentile: 10), .rectGrad(percentile: 10)]) == "settings")
    #expect(rejected(ThresholdSweep().settings) == nil)
    #expect(ThresholdSweep().settings.map(\.fileLabel) == [
        "rectgrad-q0", "rectgrad-q10", "rectgrad-q20", "rectgrad-q80", "rectgrad-q90", "rectgrad-q95", "rectgrad-q99", "rectgrad-const-tau0",
    ])
}
