import Testing
import RectGradCore
import RectGradLayers
import RectGradAttribution

/// One forward, many backwards; batching and chunking never change a map.
@Suite struct SessionTests {
    static func ruleMethods() throws -> [AttributionMethod] { try [
        .saliency, .gradientTimesInput, .guidedBackprop, .deconvNet, .rectGrad(), .rectGrad(percentile: 80, importance: .absolute),
        .rectGradConstant(), .rectGradPRR(), .epsilonLRP(), .deepLIFT(),
    ] }

    @Test func oneForwardManyBackwardsEqualsSeparateRuns() throws {
        let network = TestNetworks.small(seed: 7)
        let x = TestNetworks.inputs(3, seed: 107)
        let session = try AttributionSession(network: network, input: x)
        let shared = try session.attribute(Self.ruleMethods())
        for (method, result) in zip(try Self.ruleMethods(), shared) {
            let separate = try network.attribute(x, method: method)
            #expect(result.map == separate.map, "\(method)")
            #expect(result.targets == separate.targets)
            // Each replays the recorded forward: only DeepLIFT runs one (reference) forward pass.
            #expect(result.backwardPasses == 1)
            #expect(result.forwardPasses == (method.name == "deeplift" ? 1 : 0), "\(method)")
            // Every activation went through a rule.
            let report = try #require(result.report)
            #expect(report.activationNodesHandled == report.activationNodesRecorded)
            #expect(report.activationNodesRecorded == 3)
        }
        // The reference pass is cached: a second DeepLIFT run needs no forward pass.
        #expect(try session.attribute(.deepLIFT()).forwardPasses == 0)
    }

    @Test func examplesAreIndependentOfTheirBatch() throws {
        let network = TestNetworks.small(seed: 8)
        let x = TestNetworks.inputs(3, seed: 108)
        // (SmoothGrad's noise is drawn per batch position, so it is covered by the chunk test instead.)
        for method in try Self.ruleMethods() + [.integratedGradients(steps: 4), .occlusion(window: [3, 4, 4], stride: [1, 4, 4])] {
            let batch = try network.attribute(x, method: method, targets: .perExample([1, 3, 0]))
            for (index, target) in [1, 3, 0].enumerated() {
                let single = try network.attribute(try x.example(index).reshaped([1, 3, 8, 8]), method: method, targets: .all(target))
                #expect(batch.map.example(index).isApproximatelyEqual(to: single.map.example(0), tolerance: 1e-5), "\(method) example \(index)")
            }
        }
    }

    @Test(arguments: [1, 3, 64]) func chunkSizeDoesNotChangeMultiPassMethods(chunkSize: Int) throws {
        let network = TestNetworks.small(seed: 9)
        let x = TestNetworks.inputs(2, seed: 109)
        for method in [AttributionMethod.integratedGradients(steps: 7), .smoothGrad(samples: 5), AttributionMethod.deepLIFT(baseline: .tensor(TestNetworks.inputs(2, seed: 5))).smoothed(samples: 3), .occlusion(window: [1, 2, 2], stride: [1, 2, 2])] {
            let reference = try network.attribute(x, method: method, chunkSize: 1000).map
            let chunked = try network.attribute(x, method: method, chunkSize: chunkSize).map
            #expect(chunked.isApproximatelyEqual(to: reference, tolerance: 1e-5), "\(method)")
        }
    }

    @Test func smoothGradIsSeeded() throws {
        let network = TestNetworks.small(seed: 10)
        let x = TestNetworks.inputs(1, seed: 110)
        let a = try network.attribute(x, method: .smoothGrad(samples: 4, seed: 1)).map
        #expect(try network.attribute(x, method: .smoothGrad(samples: 4, seed: 1)).map == a)
        #expect(try network.attribute(x, method: .smoothGrad(samples: 4, seed: 2)).map != a)
        #expect(try network.attribute(x, method: .saliency).map != a)
    }

    @Test func noiseStreamsMakeSmoothGradIndependentOfTheBatchPosition() throws {
        let network = TestNetworks.small(seed: 12)
        let x = TestNetworks.inputs(2, seed: 112)
        let swapped = try Tensor.concatenate([x.example(1).reshaped([1, 3, 8, 8]), x.example(0).reshaped([1, 3, 8, 8])])
        let method = AttributionMethod.smoothGrad(samples: 4, seed: 3)
        func maps(_ input: Tensor, streams: [Int]?) throws -> Tensor {
            let session = try AttributionSession(network: network, input: input, targets: .all(1))
            try session.useNoiseStreams(streams)
            return try session.attribute(method).map
        }
        // By default the noise follows the position: example 0 moved to position 1 gets other noise.
        #expect(try maps(x, streams: nil).example(0) != maps(swapped, streams: nil).example(1))
        // With one stream for all, an example's map is the same at either position.
        #expect(try maps(x, streams: [0, 0]).example(0) == maps(swapped, streams: [0, 0]).example(1))
        #expect(try maps(x, streams: [0, 0]).example(1) == maps(swapped, streams: [0, 0]).example(0))
        // …and stream k is what position k draws by default.
        #expect(try maps(x, streams: [1, 0]).example(0) == maps(swapped, streams: nil).example(1))
        let session = try AttributionSession(network: network, input: x)
        #expect(throws: AttributionError.self) { try session.useNoiseStreams([0]) }
        #expect(throws: AttributionError.self) { try session.useNoiseStreams([0, -1]) }
    }

    @Test func smoothGradOfIntegratedGradientsAveragesTheInnerEstimator() throws {
        // SmoothGrad of any estimator: with zero noise every sample is the inner map.
        let network = TestNetworks.small(seed: 11)
        let x = TestNetworks.inputs(2, seed: 111)
        let ig = AttributionMethod.integratedGradients(steps: 3)
        let inner = try network.attribute(x, method: ig).map
        let smoothed = try network.attribute(x, method: ig.smoothed(samples: 2, noiseLevel: 0)).map
        #expect(smoothed.isApproximatelyEqual(to: inner, tolerance: 1e-6))
    }

    @Test func resultCarriesLogitsAndTargets() throws {
        let network = TestNetworks.small(seed: 12)
        let x = TestNetworks.inputs(2, seed: 112)
        let result = try network.attribute(x, method: .rectGrad())
        let logits = try network.logits(for: x)
        #expect(result.logits == logits)
        #expect(result.targets == logits.argmaxPerRow())
        #expect(result.map.shape == x.shape)
        #expect(result.completeness == nil)
        #expect(try network.attribute(x, method: .integratedGradients(steps: 2)).completeness?.attributionSums.count == 2)
    }

    @Test func relu6NetworksUseTheRuleAtEveryActivation() throws {
        let network = TestNetworks.small(seed: 13, relu6: true)
        let x = TestNetworks.inputs(1, seed: 113).scaled(by: 8)
        let result = try network.attribute(x, method: .guidedBackprop)
        let report = try #require(result.report)
        #expect(report.activationNodesByRule == ["guided-backprop": 3])
    }
}
