import Foundation
import Testing
import RectGradCore
import RectGradFormats
import RectGradLayers
import RectGradZoo

/// The tiny configurations of `Scripts/fixtures/tiny_models.py` (`TINY_CONFIGS`), built by the
/// zoo's own builders so the same code paths as the full-size networks are exercised.
enum TinyModel: String, CaseIterable, CustomTestStringConvertible {
    case cifarCNN = "cifar-cnn", vgg, vggBN = "vgg-bn", resnetBasic = "resnet-basic", resnetBottleneck = "resnet-bottleneck"
    case efficientNetLite = "efficientnet-lite", efficientNetLiteSame = "efficientnet-lite-same"

    var testDescription: String { rawValue }

    func network() throws -> Network {
        var generator = SeededGenerator(seed: 0)
        switch self {
        case .cifarCNN:
            return try CifarCNN.network(.init(convolutionWidths: [4, 4, 8, 8], hiddenWidth: 16, classCount: 10, inputSize: 8), name: rawValue, generator: &generator)
        case .vgg, .vggBN:
            let features: [VGG.Feature] = [.convolution(4), .maxPool, .convolution(8), .convolution(8), .maxPool]
            let configuration = VGG.Configuration(features: features, batchNorm: self == .vggBN, pooledSize: 2, classifierWidth: 16, classCount: 5, inputSize: self == .vgg ? 16 : 20)
            return try VGG.network(configuration, name: rawValue, generator: &generator)
        case .resnetBasic:
            return try ResNet.network(.init(block: .basic, blockCounts: [2, 1, 1], stageWidths: [4, 8, 8], stemWidth: 4, classCount: 6, inputSize: 32), name: rawValue, generator: &generator)
        case .resnetBottleneck:
            return try ResNet.network(.init(block: .bottleneck, blockCounts: [1, 2], stageWidths: [2, 4], stemWidth: 4, classCount: 6, inputSize: 32), name: rawValue, generator: &generator)
        case .efficientNetLite:
            let stages: [EfficientNetLite.Stage] = [
                .init(repeats: 1, kernel: 3, stride: 1, expansion: 1, outputChannels: 4),
                .init(repeats: 2, kernel: 3, stride: 2, expansion: 6, outputChannels: 8),
                .init(repeats: 2, kernel: 5, stride: 1, expansion: 3, outputChannels: 8),
                .init(repeats: 1, kernel: 3, stride: 2, expansion: 6, outputChannels: 12),
            ]
            return try EfficientNetLite.network(.init(stemWidth: 8, stages: stages, headWidth: 16, classCount: 7, inputSize: 32), name: rawValue, generator: &generator)
        case .efficientNetLiteSame:
            // TensorFlow "SAME" padding at 40: asymmetric pads for 3×3 and 5×5 strided convolutions.
            let stages: [EfficientNetLite.Stage] = [
                .init(repeats: 1, kernel: 3, stride: 1, expansion: 1, outputChannels: 4),
                .init(repeats: 2, kernel: 3, stride: 2, expansion: 6, outputChannels: 8),
                .init(repeats: 2, kernel: 5, stride: 2, expansion: 3, outputChannels: 8),
                .init(repeats: 1, kernel: 3, stride: 2, expansion: 6, outputChannels: 12),
            ]
            let configuration = EfficientNetLite.Configuration(stemWidth: 8, stages: stages, headWidth: 16, classCount: 7, inputSize: 40, padding: .tensorFlowSame)
            return try EfficientNetLite.network(configuration, name: rawValue, generator: &generator)
        }
    }

    /// The network with the fixture's weights (loaded strictly), the input and PyTorch's logits.
    func fixtures() throws -> (network: Network, input: Tensor, logits: Tensor) {
        let network = try network().loadingWeights(from: fixture("parity/\(rawValue).safetensors"))
        let input = try NumPyFile.read(contentsOf: fixture("parity/\(rawValue)-input.npy"))
        let logits = try NumPyFile.read(contentsOf: fixture("parity/\(rawValue)-logits.npy"))
        return (network, input, logits)
    }
}

@Test(arguments: TinyModel.allCases)
func logitsMatchPyTorch(model: TinyModel) throws {
    let (network, input, expected) = try model.fixtures()
    let logits = try network.logits(for: input)
    #expect(logits.shape == expected.shape)
    #expect(try logits.relativeL2Distance(to: expected) <= 1e-5)
}

@Test(arguments: TinyModel.allCases)
func foldedBatchNormStillMatchesPyTorch(model: TinyModel) throws {
    let (network, input, expected) = try model.fixtures()
    let folded = try network.foldingBatchNorm()
    #expect(try folded.logits(for: input).relativeL2Distance(to: expected) <= 1e-5)
}

@Test(arguments: TinyModel.allCases)
func everyActivationIsRecordedOnTheTape(model: TinyModel) throws {
    let (network, input, _) = try model.fixtures()
    let tape = Tape()
    _ = try network.logits(tape.input(input), on: tape)
    let expected: Int
    switch model {
    case .cifarCNN: expected = 5
    case .vgg, .vggBN: expected = 3 + 2
    case .resnetBasic: expected = 1 + 4 * 2
    case .resnetBottleneck: expected = 1 + 3 * 3
    case .efficientNetLite, .efficientNetLiteSame: expected = 2 + 1 + 5 * 2
    }
    #expect(tape.activationCount == expected)
    #expect(Set(tape.activationSites.map(\.name)).count == expected, "activation names are unique")
}
