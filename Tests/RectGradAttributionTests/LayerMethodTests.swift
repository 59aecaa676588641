import Foundation
import Testing
import RectGradCore
import RectGradFormats
import RectGradLayers
import RectGradAttribution
import RectGradZoo

/// Grad-CAM, Guided Grad-CAM, layer and neuron attribution: hand-derived cases and parity with
/// Captum (fixtures from `Scripts/fixtures/make_layer_fixtures.py`).
@Suite struct LayerMethodTests {
    /// `[1, 1, 2, 2]` → 1×1 convolution to two channels (weights +1, −1) → ReLU `relu` → global
    /// average pool → dense (3, −2) to one class.
    ///
    /// At x = [[1, 2], [3, −1]]: A₀ = [[1, 2], [3, 0]], A₁ = [[0, 0], [0, 1]], S = 3·6/4 − 2·1/4 = 4;
    /// dS/dA_k = v_k / 4 everywhere, so α = (0.75, −0.5) and Grad-CAM = ReLU(0.75 A₀ − 0.5 A₁)
    /// = [[0.75, 1.5], [2.25, 0]].
    static func handCAM() throws -> Network {
        let body = Sequential([
            Conv2D(name: "conv", weight: try Tensor(shape: [2, 1, 1, 1], scalars: [1, -1])),
            Activation(name: "relu"),
            AdaptiveAvgPool2D(name: "pool", outputSize: 1),
            Flatten(),
            Linear(name: "fc", weight: try Tensor(shape: [1, 2], scalars: [3, -2]), bias: nil),
        ])
        return Network(name: "hand-cam", inputChannels: 1, inputSize: 2, requiresFixedInputSize: true, classCount: 1, body: body, lastConvolutionalBlock: "relu")
    }

    static func handInput() throws -> Tensor { try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, -1]) }

    @Test func gradCAMByHand() throws {
        let session = try AttributionSession(network: try Self.handCAM(), input: try Self.handInput())
        let layer = try session.attribute(layer: "relu", method: .gradCAM)
        #expect(layer.map.shape == [1, 1, 2, 2])
        #expect(layer.map.scalars == [0.75, 1.5, 2.25, 0])
        // The input has the layer's size, so upsampling is the identity; the default layer is the declared one.
        let method = try session.attribute(.gradCAM())
        #expect(method.map.scalars == [0.75, 1.5, 2.25, 0])
    }

    @Test func layerGradientAndGradientTimesActivationByHand() throws {
        let session = try AttributionSession(network: try Self.handCAM(), input: try Self.handInput())
        let gradient = try session.attribute(layer: "relu", method: .gradient)
        #expect(gradient.map.shape == [1, 2, 2, 2])
        #expect(gradient.map.scalars == [0.75, 0.75, 0.75, 0.75, -0.5, -0.5, -0.5, -0.5])
        let product = try session.attribute(layer: "relu", method: .gradientTimesActivation)
        #expect(product.map.scalars == [0.75, 1.5, 2.25, 0, 0, 0, 0, -0.5])
        #expect(product.activation.scalars == [1, 2, 3, 0, 0, 0, 0, 1])
    }

    /// Guided backprop of the hand network: channel 0 passes R = 0.75 where x > 0, channel 1's
    /// R = −0.5 is blocked, so the input gradient is 0.75·1[x > 0]; times the Grad-CAM.
    @Test func guidedGradCAMByHand() throws {
        let session = try AttributionSession(network: try Self.handCAM(), input: try Self.handInput())
        let result = try session.attribute(.guidedGradCAM())
        #expect(result.map.shape == [1, 1, 2, 2])
        #expect(result.map.scalars == [0.75 * 0.75, 0.75 * 1.5, 0.75 * 2.25, 0])
        #expect(result.backwardPasses == 2)
    }

    /// Unit (1, 1, 1) of `relu` is ReLU(−x₁₁) = 1: its input gradient is −1 at (1, 1). Channel 0
    /// sums ReLU(x): gradient 1[x > 0].
    @Test func neuronGradientsByHand() throws {
        let session = try AttributionSession(network: try Self.handCAM(), input: try Self.handInput())
        let unit = try session.attribute(.neuronGradient(layer: "relu", neuron: .unit([1, 1, 1])))
        #expect(unit.map.scalars == [0, 0, 0, -1])
        let channel = try session.attribute(.neuronGradient(layer: "relu", neuron: .channel(0)))
        #expect(channel.map.scalars == [1, 1, 1, 0])
    }

    /// align-corners-false bilinear doubling: output index i samples 0.5·i − 0.25 (clamped at 0),
    /// so one row [a, b] becomes [a, 0.75a + 0.25b, 0.25a + 0.75b, b].
    @Test func bilinearUpsamplingByHand() throws {
        let map = try Tensor(shape: [1, 1, 2, 2], scalars: [0.75, 1.5, 2.25, 0])
        let resized = try BilinearUpsampling.resize(map, height: 4, width: 4)
        let weights: [[Float]] = [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]]
        var expected: [Float] = []
        for y in 0..<4 {
            for x in 0..<4 {
                var value: Float = 0
                for i in 0..<2 { for j in 0..<2 { value += weights[y][i] * weights[x][j] * map[0, 0, i, j] } }
                expected.append(value)
            }
        }
        #expect(resized.shape == [1, 1, 4, 4])
        for (a, b) in zip(resized.scalars, expected) { #expect(abs(a - b) <= 1e-6) }
        #expect(throws: AttributionError.self) { try BilinearUpsampling.resize(map, height: 0, width: 4) }
    }

    @Test func layerErrorsNameTheLayer() throws {
        let session = try AttributionSession(network: try Self.handCAM(), input: try Self.handInput())
        #expect {
            try session.attribute(.gradCAM(layer: "reluu"))
        } throws: { error in
            guard case AttributionError.invalidParameter("layer", let reason) = error else { return false }
            return reason.contains("'reluu'") && reason.contains("did you mean 'relu'")
        }
        #expect {
            try session.attribute(.gradCAM(layer: "fc"))
        } throws: { error in
            guard case AttributionError.invalidParameter("layer", let reason) = error else { return false }
            return reason.contains("[N, K, h, w]")
        }
        #expect(throws: AttributionError.invalidParameter(name: "layer", reason: "must name a layer (an empty name was given)")) {
            try session.attribute(.gradCAM(layer: ""))
        }
        #expect {
            try session.attribute(.neuronGradient(layer: "relu", neuron: .unit([2, 0, 0])))
        } throws: { error in
            guard case AttributionError.invalidParameter("neuron", _) = error else { return false }
            return true
        }
        #expect(throws: AttributionError.self) { try session.attribute(.neuronGradient(layer: "relu", neuron: .channel(-1))) }
    }

    /// SmoothGrad of Grad-CAM keeps the one-channel shape; with zero noise it is Grad-CAM.
    @Test func smoothedGradCAMKeepsItsShape() throws {
        let session = try AttributionSession(network: try Self.handCAM(), input: try Self.handInput())
        let result = try session.attribute(AttributionMethod.gradCAM().smoothed(samples: 3, noiseLevel: 0))
        #expect(result.map.shape == [1, 1, 2, 2])
        #expect(result.map.scalars == [0.75, 1.5, 2.25, 0])
    }

    // MARK: Captum parity

    @Test(arguments: ParityTests.architectures) func layerMapsMatchCaptum(architecture: String) throws {
        let network = try ParityTests.network(architecture).loadingWeights(from: try ParityTests.fixture(architecture))
        let maps = try SafetensorsFile.read(contentsOf: try ParityTests.fixture("\(architecture).maps"))
        let layers = try SafetensorsFile.read(contentsOf: try ParityTests.fixture("\(architecture).layers"))
        let input = try #require(maps["input"])
        let targets = try #require(maps["targets"]).scalars.map { Int($0) }
        let sites = try network.activationSites()
        let layerOrdinal = try #require(Int(layers.metadata["layer_activation"] ?? ""))
        let earlyOrdinal = try #require(Int(layers.metadata["early_activation"] ?? ""))
        let unit = try JSONDecoder().decode([Int].self, from: Data((layers.metadata["neuron_unit"] ?? "").utf8))
        let channel = try #require(Int(layers.metadata["neuron_channel"] ?? ""))
        let midOrdinal = try #require(Int(layers.metadata["mid_activation"] ?? ""))
        // Captum hooked one module; the recorded name must be that site's alone.
        #expect(sites.filter { $0.name == sites[midOrdinal].name }.count == 1)
        // The declared last convolutional block is the layer Captum was given.
        #expect(network.lastConvolutionalBlock == sites[layerOrdinal].name)
        let layer = sites[layerOrdinal].name

        let session = try AttributionSession(network: network, input: input, targets: .perExample(targets))
        let checks: [(key: String, map: Tensor)] = [
            ("grad-cam", try session.attribute(.gradCAM()).map),
            ("guided-grad-cam", try session.attribute(.guidedGradCAM()).map),
            ("layer-grad-cam", try session.attribute(layer: layer, method: .gradCAM).map),
            ("layer-gradient-x-activation", try session.attribute(layer: layer, method: .gradientTimesActivation).map),
            ("grad-cam-early", try session.attribute(.gradCAM(layer: sites[earlyOrdinal].name)).map),
            ("neuron-unit", try session.attribute(.neuronGradient(layer: layer, neuron: .unit(unit))).map),
            ("neuron-channel", try session.attribute(.neuronGradient(layer: layer, neuron: .channel(channel))).map),
            ("integrated-gradients-gl8", try session.attribute(AttributionMethod.saliency.integratedGaussLegendre(points: 8)).map),
            ("layer-integrated-gradients-gl8", try session.attribute(layer: layer, integratedGradients: .gaussLegendre(points: 8)).map),
            ("layer-integrated-gradients-gl8-upsampled", try session.attribute(.layerIntegratedGradients(quadrature: .gaussLegendre(points: 8))).map),
            ("layer-integrated-gradients-mid-riemann6",
             try session.attribute(layer: sites[midOrdinal].name, integratedGradients: .riemannRight(steps: 6), baseline: .constant(0.25)).map),
        ]
        for (key, map) in checks {
            let expected = try #require(layers[key], "fixture \(architecture) has no map '\(key)'")
            #expect(map.shape == expected.shape, "\(architecture) \(key): shape \(map.shape) vs \(expected.shape)")
            let error = try map.relativeL2Distance(to: expected)
            ParityReport.record("layers", architecture, key, error)
            #expect(error <= ParityTests.smooth, "\(architecture) \(key): relative L2 \(error)")
            #expect(expected.l2Norm() > 0, "\(architecture) \(key): the reference map is zero")
        }
    }
}

/// SmoothGrad² and VarGrad: degenerate cases and the identity VarGrad = SmoothGrad² − SmoothGrad²
/// over the same noise.
@Suite struct NoiseTunnelTests {
    @Test func zeroNoiseGivesTheSquaredGradientAndNoVariance() throws {
        let network = TestNetworks.small(seed: 3)
        var g = SeededGenerator(seed: 9)
        let input = Tensor.randomUniform([2, 3, 8, 8], low: -1, high: 1, generator: &g)
        let session = try AttributionSession(network: network, input: input)
        let gradient = try session.attribute(.saliency).map
        let squared = try session.attribute(.smoothGradSquared(samples: 3, noiseLevel: 0)).map
        let variance = try session.attribute(.varGrad(samples: 3, noiseLevel: 0)).map
        for i in 0..<gradient.count {
            #expect(abs(squared[flat: i] - gradient[flat: i] * gradient[flat: i]) <= 1e-6 * max(1, squared[flat: i]))
            #expect(abs(variance[flat: i]) <= 1e-6 * max(1, squared[flat: i]))
        }
    }

    @Test(arguments: [0 as UInt64, 7]) func varGradIsMeanSquareMinusSquaredMean(seed: UInt64) throws {
        let network = TestNetworks.small(seed: 4)
        var g = SeededGenerator(seed: 11)
        let input = Tensor.randomUniform([2, 3, 8, 8], low: -1, high: 1, generator: &g)
        let session = try AttributionSession(network: network, input: input, chunkSize: 3)
        let mean = try session.attribute(.smoothGrad(samples: 5, noiseLevel: 0.2, seed: seed)).map
        let squared = try session.attribute(.smoothGradSquared(samples: 5, noiseLevel: 0.2, seed: seed)).map
        let variance = try session.attribute(.varGrad(samples: 5, noiseLevel: 0.2, seed: seed)).map
        var largest: Float = 0
        for i in 0..<mean.count { largest = max(largest, squared[flat: i]) }
        #expect(largest > 0)
        for i in 0..<mean.count {
            let expected = squared[flat: i] - mean[flat: i] * mean[flat: i]
            #expect(abs(variance[flat: i] - max(expected, 0)) <= 1e-5 * largest)
            #expect(variance[flat: i] >= 0)
        }
        // Over another rule and estimator: the statistic of the same noisy maps.
        let guided = AttributionMethod.guidedBackprop.noiseTunnel(.meanOfSquares, samples: 2, noiseLevel: 0.1, seed: seed)
        #expect(guided.name == "smoothgrad-squared-guided-backprop")
        let map = try session.attribute(guided).map
        #expect(map.scalars.allSatisfy { $0 >= 0 } && map.l2Norm() > 0)
    }
}

/// Explained outputs other than the logit, and GradientSHAP.
@Suite struct OutputAndSHAPTests {
    /// For two classes, with g_k = dz_k/dx: dp₀/dx = p₀p₁(g₀ − g₁), d log p₀/dx = p₁(g₀ − g₁),
    /// d(z₀ − z₁)/dx = g₀ − g₁.
    @Test func probabilityLogProbabilityAndContrastByHand() throws {
        let network = try TestNetworks.handDense()
        let input = try TestNetworks.handInput()
        let g0 = try AttributionSession(network: network, input: input, targets: .all(0)).attribute(.saliency).map.scalars.map(Double.init)
        let g1 = try AttributionSession(network: network, input: input, targets: .all(1)).attribute(.saliency).map.scalars.map(Double.init)
        let (z0, z1) = (6.0, -2.5)
        let p0 = 1 / (1 + Foundation.exp(z1 - z0)), p1 = 1 - p0
        let cases: [(ExplainedOutput, Double)] = [(.probability, p0 * p1), (.logProbability, p1), (.logitDifference(against: [1]), 1)]
        for (output, factor) in cases {
            let session = try AttributionSession(network: network, input: input, targets: .all(0), output: output)
            let map = try session.attribute(.saliency).map
            for i in 0..<2 {
                let expected = factor * (g0[i] - g1[i])
                #expect(abs(Double(map[flat: i]) - expected) <= 1e-6 * max(abs(expected), 1e-3), "\(output) input \(i)")
            }
        }
        // Occlusion uses the same S: the contrast's occlusion is the difference of the two logits' occlusions.
        let contrast = try AttributionSession(network: network, input: input, targets: .all(0), output: .logitDifference(against: [1])).attribute(.occlusion()).map
        let o0 = try AttributionSession(network: network, input: input, targets: .all(0)).attribute(.occlusion()).map
        let o1 = try AttributionSession(network: network, input: input, targets: .all(1)).attribute(.occlusion()).map
        for i in 0..<2 { #expect(abs(contrast[flat: i] - (o0[flat: i] - o1[flat: i])) <= 1e-5) }
        #expect(throws: AttributionError.self) { try AttributionSession(network: network, input: input, output: .logitDifference(against: [2])) }
    }

    /// On a linear network every draw gives (x − b) · w_t, so GradientSHAP with one baseline is exact.
    @Test func gradientSHAPOfALinearNetwork() throws {
        let weight = try Tensor(shape: [2, 4], scalars: [1, -2, 0.5, 3, -1, 0, 2, 1])
        let network = Network(name: "linear", inputChannels: 1, inputSize: Size2D(2, 2), requiresFixedInputSize: true, classCount: 2,
                              body: Sequential([Flatten(), Linear(name: "fc", weight: weight, bias: try Tensor(shape: [2], scalars: [0.1, -0.2]))]))
        let input = try Tensor(shape: [1, 1, 2, 2], scalars: [0.5, -1, 2, 0.25])
        let result = try network.attribute(input, method: .gradientSHAP(samples: 4, baselines: [.constant(0.3)]), targets: .all(0))
        for i in 0..<4 {
            #expect(abs(result.map[flat: i] - (input[flat: i] - 0.3) * weight[0, i]) <= 1e-6)
        }
    }

    /// The draws are fixed per example before any pass: the map does not depend on the chunk size.
    @Test func gradientSHAPIsSeededAndChunkIndependent() throws {
        let network = TestNetworks.small(seed: 8)
        var g = SeededGenerator(seed: 2)
        let input = Tensor.randomUniform([2, 3, 8, 8], low: -1, high: 1, generator: &g)
        let method = AttributionMethod.gradientSHAP(samples: 5, baselines: [.zero, .constant(0.5), .constant(-0.5)], seed: 4)
        let small = try AttributionSession(network: network, input: input, chunkSize: 1).attribute(method).map
        let large = try AttributionSession(network: network, input: input, chunkSize: 7).attribute(method).map
        #expect(small == large)
        #expect(small.l2Norm() > 0)
        let other = try AttributionSession(network: network, input: input).attribute(.gradientSHAP(samples: 5, baselines: [.zero, .constant(0.5), .constant(-0.5)], seed: 5)).map
        #expect(other != small)
        #expect(throws: AttributionError.self) { try network.attribute(input, method: .gradientSHAP(baselines: [])) }
    }
}

/// Gauss–Legendre integrated gradients.
@Suite struct GaussLegendreTests {
    /// The closed forms on [−1, 1]: ±1/√3 with weights 1; 0 and ±√(3/5) with 8/9 and 5/9;
    /// mapped to [0, 1] by t ↦ (t + 1)/2, weights halved.
    @Test func nodesAndWeightsByHand() {
        let two = GaussLegendre.nodes(2), three = GaussLegendre.nodes(3)
        let expectedTwo: [(Double, Double)] = [((1 - 1 / 3.0.squareRoot()) / 2, 0.5), ((1 + 1 / 3.0.squareRoot()) / 2, 0.5)]
        let r = (3.0 / 5).squareRoot()
        let expectedThree: [(Double, Double)] = [((1 - r) / 2, 5.0 / 18), (0.5, 8.0 / 18), ((1 + r) / 2, 5.0 / 18)]
        for (got, want) in Array(zip(two, expectedTwo)) + Array(zip(three, expectedThree)) {
            #expect(abs(got.node - want.0) <= 1e-14 && abs(got.weight - want.1) <= 1e-14)
        }
        #expect(GaussLegendre.nodes(1).map(\.node) == [0.5])
        let fifty = GaussLegendre.nodes(50)
        #expect(abs(fifty.map(\.weight).reduce(0, +) - 1) <= 1e-12)
        // Exact for polynomials of degree < 100: ∫₀¹ t⁹⁹ dt = 1/100.
        #expect(abs(fifty.reduce(0) { $0 + $1.weight * Foundation.pow($1.node, 99) } - 0.01) <= 1e-12)
    }

    /// On a linear network every path gradient is the weight row: both quadratures give (x − b)·w.
    @Test func exactOnALinearNetwork() throws {
        let weight = try Tensor(shape: [1, 4], scalars: [1, -2, 0.5, 3])
        let network = Network(name: "linear", inputChannels: 1, inputSize: Size2D(2, 2), requiresFixedInputSize: true, classCount: 1,
                              body: Sequential([Flatten(), Linear(name: "fc", weight: weight, bias: nil)]))
        let input = try Tensor(shape: [1, 1, 2, 2], scalars: [0.5, -1, 2, 0.25])
        let result = try network.attribute(input, method: AttributionMethod.saliency.integratedGaussLegendre(points: 3, baseline: .constant(0.2)))
        for i in 0..<4 { #expect(abs(result.map[flat: i] - (input[flat: i] - 0.2) * weight[0, i]) <= 1e-6) }
        #expect(try #require(result.completeness).maximumRelativeGap() <= 1e-5)
        #expect(throws: AttributionError.self) { try network.attribute(input, method: AttributionMethod.saliency.integratedGaussLegendre(points: 0)) }
    }
}

/// The baseline constructors.
@Suite struct BaselineConstructorTests {
    /// A unit impulse far from the edges blurs to the outer product of the normalised 1-D
    /// Gaussian k_j = exp(−j²/2σ²)/Σ; a constant image stays constant (the edges replicate).
    @Test func blurByHand() throws {
        var scalars = [Float](repeating: 0, count: 15 * 15)
        scalars[7 * 15 + 7] = 1
        let impulse = try Tensor(shape: [1, 1, 15, 15], scalars: scalars)
        guard case .tensor(let blurred) = try Baseline.blurred(impulse, sigma: 1) else { Issue.record("not a tensor"); return }
        let k = (-3...3).map { Foundation.exp(-Double($0 * $0) / 2) }
        let total = k.reduce(0, +)
        for dy in -3...3 {
            for dx in -3...3 {
                let expected = k[dy + 3] * k[dx + 3] / (total * total)
                #expect(abs(Double(blurred[0, 0, 7 + dy, 7 + dx]) - expected) <= 1e-7)
            }
        }
        #expect(blurred[0, 0, 7, 11] == 0)
        guard case .tensor(let flat) = try Baseline.blurred(Tensor(repeating: 0.3, shape: [2, 3, 5, 4]), sigma: 2.5) else { Issue.record("not a tensor"); return }
        #expect(flat.scalars.allSatisfy { abs($0 - 0.3) <= 1e-6 })
        #expect(throws: AttributionError.self) { try Baseline.blurred(impulse, sigma: 0) }
    }

    @Test func uniformNoiseIsSeededAndInRange() throws {
        let a = try Baseline.uniformNoise(shape: [3, 4, 4], low: -1, high: 2, seed: 9)
        let b = try Baseline.uniformNoise(shape: [3, 4, 4], low: -1, high: 2, seed: 9)
        #expect(a == b)
        guard case .tensor(let values) = a else { Issue.record("not a tensor"); return }
        #expect(values.scalars.allSatisfy { $0 >= -1 && $0 < 2 })
        #expect(try a.values(for: [2, 3, 4, 4]).shape == [1, 3, 4, 4])
        #expect(throws: AttributionError.self) { try Baseline.uniformNoise(shape: [3, 4, 4], low: 1, high: 1, seed: 0) }
    }

    /// The preprocessed black image is constant per channel and is a usable baseline.
    @Test func blackImageOfAZooModel() throws {
        let model = try Zoo.entry(named: "cifar-cnn").model(seed: 0)
        let black = try model.blackImage()
        #expect(black.shape == [1, 3, 32, 32])
        for c in 0..<3 { #expect(Set((0..<1024).map { black[flat: c * 1024 + $0] }).count == 1) }
        let input = Tensor.randomUniform([1, 3, 32, 32], low: -1, high: 1, seed: 3)
        let result = try model.network.attribute(input, method: .integratedGradients(steps: 4, baseline: .tensor(black)))
        #expect(result.map.isFinite && result.completeness != nil)
    }
}
