import Testing
import RectGradCore
import RectGradLayers
import RectGradAttribution

/// The exact degenerate cases of the spec, on seeded networks with every layer kind.
@Suite struct IdentityTests {
    static let seeds: [UInt64] = [1, 2, 3]

    @Test(arguments: seeds) func smoothGradWithOneSampleAndNoNoiseIsTheGradient(seed: UInt64) throws {
        let network = TestNetworks.small(seed: seed)
        let x = TestNetworks.inputs(3, seed: seed + 100)
        let gradient = try network.attribute(x, method: .saliency).map
        #expect(try network.attribute(x, method: .smoothGrad(samples: 1, noiseLevel: 0)).map == gradient)
        // SmoothGrad of any method, e.g. RectGrad: one noiseless sample is the method itself.
        let rectGrad = try network.attribute(x, method: .rectGrad(percentile: 90)).map
        #expect(try network.attribute(x, method: AttributionMethod.rectGrad(percentile: 90).smoothed(samples: 1, noiseLevel: 0)).map == rectGrad)
    }

    @Test(arguments: seeds) func integratedGradientsWithOneStepIsGradientTimesDifference(seed: UInt64) throws {
        let network = TestNetworks.small(seed: seed)
        let x = TestNetworks.inputs(2, seed: seed + 100)
        let gradient = try network.attribute(x, method: .saliency).map
        let baseline = Tensor.randomUniform([1, 3, 8, 8], low: -0.5, high: 0.5, seed: seed + 200)
        let difference = try x.subtracting(try Tensor.concatenate([baseline, baseline]))
        let expected = try gradient.multiplying(difference)
        let ig = try network.attribute(x, method: .integratedGradients(steps: 1, baseline: .tensor(baseline))).map
        #expect(ig.isApproximatelyEqual(to: expected, tolerance: 1e-6))
        // With the zero baseline: gradient × input.
        #expect(try network.attribute(x, method: .integratedGradients(steps: 1)).map == network.attribute(x, method: .gradientTimesInput).map)
    }

    @Test(arguments: seeds) func epsilonLRPWithZeroEpsilonIsGradientTimesInput(seed: UInt64) throws {
        let network = TestNetworks.small(seed: seed)
        let x = TestNetworks.inputs(2, seed: seed + 100)
        // R·a/z = R where z > 0 (up to the rounding of R·a then /z), and a = 0 elsewhere.
        let lrp = try network.attribute(x, method: .epsilonLRP(epsilon: 0)).map
        let gradientTimesInput = try network.attribute(x, method: .gradientTimesInput).map
        #expect(try lrp.relativeL2Distance(to: gradientTimesInput) < 1e-6)
        // A large ε differs.
        #expect(try network.attribute(x, method: .epsilonLRP(epsilon: 10)).map.relativeL2Distance(to: gradientTimesInput) > 1e-2)
    }

    @Test(arguments: seeds) func deepLIFTOnALinearModelIsGradientTimesDifference(seed: UInt64) throws {
        let network = TestNetworks.linear(seed: seed)
        let x = TestNetworks.inputs(2, seed: seed + 100)
        let baseline = Tensor.randomUniform([3, 8, 8], low: -0.5, high: 0.5, seed: seed + 200)
        let gradient = try network.attribute(x, method: .saliency).map
        let b = try baseline.reshaped([1, 3, 8, 8])
        let expected = try gradient.multiplying(try x.subtracting(try Tensor.concatenate([b, b])))
        let result = try network.attribute(x, method: .deepLIFT(baseline: .tensor(baseline)))
        #expect(result.map.isApproximatelyEqual(to: expected, tolerance: 1e-6))
        // A linear model is complete: Σ attribution = S(x) − S(b).
        let completeness = try #require(result.completeness)
        #expect(completeness.maximumRelativeGap() < 1e-4)
    }

    @Test(arguments: seeds) func rectGradConstantAtZeroIsGuidedBackpropTimesInput(seed: UInt64) throws {
        let network = TestNetworks.small(seed: seed)
        let x = TestNetworks.inputs(3, seed: seed + 100)
        let guided = try network.attribute(x, method: .guidedBackprop).map
        let expected = try guided.multiplying(x)
        #expect(try network.attribute(x, method: .rectGradConstant(tau: 0, masksConvolutionBorder: false)).map == expected)
        // The padding rule makes them differ.
        #expect(try network.attribute(x, method: .rectGradConstant(tau: 0)).map != expected)
    }

    @Test(arguments: seeds) func deepLIFTIsCompleteWithoutMaxPool(seed: UInt64) throws {
        let network = TestNetworks.small(seed: seed, maxPool: false)
        let x = TestNetworks.inputs(3, seed: seed + 100)
        let result = try network.attribute(x, method: .deepLIFT())
        let completeness = try #require(result.completeness)
        #expect(completeness.maximumRelativeGap() < 1e-3, "gaps \(completeness.gaps) of \(completeness.outputDifferences)")
    }

    @Test(arguments: seeds) func integratedGradientsIsApproximatelyComplete(seed: UInt64) throws {
        let network = TestNetworks.small(seed: seed)
        let x = TestNetworks.inputs(2, seed: seed + 100)
        let coarse = try #require(try network.attribute(x, method: .integratedGradients(steps: 5)).completeness)
        let fine = try #require(try network.attribute(x, method: .integratedGradients(steps: 400), chunkSize: 64).completeness)
        #expect(fine.maximumRelativeGap() < 0.02, "gaps \(fine.gaps) of \(fine.outputDifferences)")
        // More steps, smaller gap.
        #expect(fine.gaps.map(abs).reduce(0, +) < coarse.gaps.map(abs).reduce(0, +))
    }
}
