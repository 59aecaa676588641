import Foundation
import Testing
import RectGradCore
import RectGradFormats
import RectGradLayers
import RectGradZoo
import RectGradAttribution

/// Parity with Captum and the independent PyTorch reference on tiny zoo-family networks
/// (fixtures from `Scripts/fixtures/make_attribution_fixtures.py`).
@Suite struct ParityTests {
    static let architectures = ["cifar-tiny", "vgg-bn-tiny", "resnet-basic-tiny", "resnet-bottleneck-tiny", "efficientnet-tiny"]

    /// Relative L2 tolerances of the issue: smooth methods 1e-4, thresholded ones 1e-3.
    static let smooth = 1e-4
    static let thresholded = 1e-3

    /// The fixture maps and the method that should reproduce each.
    static func methods(occlusionWindow: [Int], occlusionStride: [Int]) throws -> [(key: String, method: AttributionMethod, tolerance: Double)] {
        try [
            ("saliency", .saliency, smooth),
            ("gradient-x-input", .gradientTimesInput, smooth),
            ("guided-backprop", .guidedBackprop, smooth),
            ("deconvnet", .deconvNet, smooth),
            ("integrated-gradients", .integratedGradients(), smooth),
            ("occlusion", .occlusion(window: occlusionWindow, stride: occlusionStride), smooth),
            ("epsilon-lrp", .epsilonLRP(), smooth),
            ("deeplift", .deepLIFT(), smooth),
            ("rectgrad", .rectGrad(), thresholded),
            ("rectgrad-q90", .rectGrad(percentile: 90), thresholded),
            ("rectgrad-absolute", .rectGrad(importance: .absolute), thresholded),
            ("rectgrad-no-border", .rectGrad(masksConvolutionBorder: false), thresholded),
            ("rectgrad-const", .rectGradConstant(), thresholded),
            ("rectgrad-prr", .rectGradPRR(), thresholded),
        ]
    }

    /// The tiny configuration the generator mirrors.
    static func network(_ name: String) throws -> Network {
        var generator = SeededGenerator(seed: 0)
        switch name {
        case "cifar-tiny":
            return try CifarCNN.network(.init(convolutionWidths: [4, 4, 8, 8], hiddenWidth: 32, classCount: 5, inputSize: 8), name: name, generator: &generator)
        case "vgg-bn-tiny":
            let configuration = VGG.Configuration(
                features: [.convolution(4), .maxPool, .convolution(8), .convolution(8), .maxPool],
                batchNorm: true, pooledSize: 2, classifierWidth: 32, classCount: 5, inputSize: 8
            )
            return try VGG.network(configuration, name: name, generator: &generator)
        case "resnet-basic-tiny":
            return try ResNet.network(.init(block: .basic, blockCounts: [2, 1], stageWidths: [4, 8], stemWidth: 4, classCount: 5, inputSize: 24), name: name, generator: &generator)
        case "resnet-bottleneck-tiny":
            return try ResNet.network(.init(block: .bottleneck, blockCounts: [1, 1], stageWidths: [2, 4], stemWidth: 4, classCount: 5, inputSize: 16), name: name, generator: &generator)
        case "efficientnet-tiny":
            let configuration = EfficientNetLite.Configuration(
                stemWidth: 4,
                stages: [
                    .init(repeats: 1, kernel: 3, stride: 1, expansion: 1, outputChannels: 4),
                    .init(repeats: 2, kernel: 5, stride: 2, expansion: 3, outputChannels: 8),
                ],
                headWidth: 16, classCount: 5, inputSize: 16
            )
            return try EfficientNetLite.network(configuration, name: name, generator: &generator)
        default:
            throw AttributionError.invalidParameter(name: "architecture", reason: name)
        }
    }

    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"), "missing fixture \(name)")
    }

    @Test(arguments: architectures) func mapsMatchTheReferences(architecture: String) throws {
        let network = try Self.network(architecture).loadingWeights(from: try Self.fixture(architecture))
        let maps = try SafetensorsFile.read(contentsOf: try Self.fixture("\(architecture).maps"))
        let input = try #require(maps["input"])
        let targets = try #require(maps["targets"]).scalars.map { Int($0) }
        let window = try JSONDecoder().decode([Int].self, from: Data((maps.metadata["occlusion_window"] ?? "[1,1,1]").utf8))
        let stride = try JSONDecoder().decode([Int].self, from: Data((maps.metadata["occlusion_stride"] ?? "[1,1,1]").utf8))

        let session = try AttributionSession(network: network, input: input, targets: .perExample(targets))
        #expect(try session.logits.relativeL2Distance(to: try #require(maps["logits"])) < 1e-5)
        #expect(session.targets == targets)
        for (key, method, tolerance) in try Self.methods(occlusionWindow: window, occlusionStride: stride) {
            let expected = try #require(maps[key], "fixture \(architecture) has no map '\(key)'")
            let result = try session.attribute(method)
            let error = try result.map.relativeL2Distance(to: expected)
            #expect(error <= tolerance, "\(architecture) \(key): relative L2 \(error)")
            #expect(expected.l2Norm() > 0, "\(architecture) \(key): the reference map is zero")
        }
    }
}
