import Testing
import RectGradCore
import RectGradLayers
import RectGradZoo
import RectGradAttribution

/// The spec's identities on tiny configurations of every zoo family (the same code paths as the
/// full-size networks: VGG with batch norm, BasicBlock and Bottleneck ResNets with downsampling,
/// EfficientNet-Lite with depthwise convolutions and ReLU6), with He-initialised weights.
@Suite struct ZooIdentityTests {
    static let architectures = ParityTests.architectures

    func setup(_ architecture: String) throws -> (network: Network, input: Tensor) {
        let network = try ParityTests.network(architecture)
        let size = network.inputSize
        return (network, Tensor.randomUniform([2, 3, size.height, size.width], low: -1, high: 1, seed: 31))
    }

    @Test(arguments: architectures) func smoothGradAndIntegratedGradientsDegenerateToTheGradient(architecture: String) throws {
        let (network, x) = try setup(architecture)
        let session = try AttributionSession(network: network, input: x, targets: .perExample([1, 4]))
        let saliency = try session.attribute(.saliency).map
        #expect(try session.attribute(.smoothGrad(samples: 1, noiseLevel: 0)).map == saliency)
        #expect(try session.attribute(.integratedGradients(steps: 1)).map == session.attribute(.gradientTimesInput).map)
    }

    @Test(arguments: architectures) func rectGradConstantAtZeroIsGuidedBackpropTimesInput(architecture: String) throws {
        let (network, x) = try setup(architecture)
        let session = try AttributionSession(network: network, input: x)
        let guided = try session.attribute(.guidedBackprop).map
        #expect(try session.attribute(.rectGradConstant(tau: 0, masksConvolutionBorder: false)).map == guided.multiplying(x))
    }

    /// (ReLU6 saturates, a/z = 6/z ≠ 1 above 6, so the identity holds for the ReLU networks.)
    @Test(arguments: architectures.filter { $0 != "efficientnet-tiny" }) func epsilonLRPWithZeroEpsilon(architecture: String) throws {
        let (network, x) = try setup(architecture)
        let session = try AttributionSession(network: network, input: x)
        let lrp = try session.attribute(.epsilonLRP(epsilon: 0)).map
        #expect(try lrp.relativeL2Distance(to: try session.attribute(.gradientTimesInput).map) < 1e-5)
    }

    @Test(arguments: architectures) func everyActivationGoesThroughTheRule(architecture: String) throws {
        let (network, x) = try setup(architecture)
        let result = try network.attribute(x, method: .rectGrad())
        let report = try #require(result.report)
        #expect(report.activationNodesHandled == report.activationNodesRecorded)
        #expect(report.activationNodesByRule.keys.sorted() == ["rectgrad(q=98)"])
        #expect(report.maskedConvolutions > 0)
    }

    @Test func deepLIFTIsCompleteOnANetworkWithoutMaxPool() throws {
        // EfficientNet-Lite has no max-pool, so DeepLIFT's rescale rule is exactly complete.
        let (network, x) = try setup("efficientnet-tiny")
        let completeness = try #require(try network.attribute(x, method: .deepLIFT()).completeness)
        #expect(completeness.maximumRelativeGap() < 1e-3, "gaps \(completeness.gaps) of \(completeness.outputDifferences)")
    }
}
