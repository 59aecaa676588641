import RectGradCore
import RectGradLayers

/// ResNet (He et al. 2016) with torchvision's module layout and state-dict names (v1.5: in a
/// bottleneck the stride sits on the 3×3 convolution).
///
/// Layer names: `conv1`, `bn1`, `relu`, `maxpool`, blocks `layer{s}.{b}` with `conv1`, `bn1`, …
/// and `downsample.0` / `downsample.1`, then `avgpool`, `flatten`, `fc`. torchvision reuses one
/// ReLU module several times per block; here each call is its own activation layer, numbered in
/// call order: a basic block has `layer{s}.{b}.relu1` (after `bn1`) and `layer{s}.{b}.relu2`
/// (after the residual addition); a bottleneck has `relu1` (after `bn1`), `relu2` (after `bn2`)
/// and `relu3` (after the addition). The addition itself is recorded as `layer{s}.{b}.add`.
public enum ResNet {
    /// The two residual block types.
    public enum Block: String, Sendable, Equatable {
        /// Two 3×3 convolutions (ResNet-18/34); expansion 1.
        case basic
        /// 1×1, 3×3, 1×1 convolutions (ResNet-50); expansion 4.
        case bottleneck

        /// The ratio of a block's output channels to its planes.
        public var expansion: Int { self == .basic ? 1 : 4 }
    }

    /// The zoo's ResNet variants.
    public enum Variant: String, CaseIterable, Sendable {
        case resnet18, resnet34, resnet50

        /// 18, 34 or 50.
        public var depth: Int {
            switch self {
            case .resnet18: return 18
            case .resnet34: return 34
            case .resnet50: return 50
            }
        }

        /// The full-size ImageNet configuration.
        public var configuration: Configuration {
            switch self {
            case .resnet18: return Configuration(block: .basic, blockCounts: [2, 2, 2, 2])
            case .resnet34: return Configuration(block: .basic, blockCounts: [3, 4, 6, 3])
            case .resnet50: return Configuration(block: .bottleneck, blockCounts: [3, 4, 6, 3])
            }
        }
    }

    /// A ResNet layout; tiny layouts use the same code path as the full-size networks.
    public struct Configuration: Sendable, Equatable {
        /// The block type.
        public var block: Block
        /// Blocks per stage (`layer1`…`layerN`).
        public var blockCounts: [Int]
        /// Planes per stage (64, 128, 256, 512 in torchvision).
        public var stageWidths: [Int]
        /// Output channels of the stem convolution (64).
        public var stemWidth: Int
        /// The number of classes.
        public var classCount: Int
        /// The nominal input height and width.
        public var inputSize: Int

        /// Creates a configuration.
        public init(block: Block, blockCounts: [Int], stageWidths: [Int] = [64, 128, 256, 512], stemWidth: Int = 64, classCount: Int = 1000, inputSize: Int = 224) {
            self.block = block
            self.blockCounts = blockCounts
            self.stageWidths = stageWidths
            self.stemWidth = stemWidth
            self.classCount = classCount
            self.inputSize = inputSize
        }

        /// Learnable parameters (weights and biases; batch-norm γ and β included, statistics excluded).
        public var parameterCount: Int {
            var count = stemWidth * 3 * 49 + 2 * stemWidth
            var channels = stemWidth
            let expansion = block.expansion
            for (stage, (blocks, planes)) in zip(blockCounts, stageWidths).enumerated() {
                for index in 0..<blocks {
                    let stride = index == 0 && stage > 0 ? 2 : 1
                    let output = planes * expansion
                    switch block {
                    case .basic: count += planes * channels * 9 + 2 * planes + planes * planes * 9 + 2 * planes
                    case .bottleneck: count += planes * channels + 2 * planes + planes * planes * 9 + 2 * planes + output * planes + 2 * output
                    }
                    if stride != 1 || channels != output { count += output * channels + 2 * output }
                    channels = output
                }
            }
            return count + channels * classCount + classCount
        }
    }

    /// Builds a ResNet with He-normal weights, zero biases and identity batch norms.
    /// - Throws: ``ZooError/invalidConfiguration(model:reason:)`` for mismatched or non-positive sizes.
    public static func network(_ configuration: Configuration, name: String, generator: inout SeededGenerator) throws(ZooError) -> Network {
        var factory = LayerFactory(generator: generator)
        defer { if let state = factory.generator { generator = state } }
        return try build(configuration, name: name, factory: &factory)
    }

    /// Builds the network with He-normal weights from a seed, or all-zero weights to load into.
    /// - Throws: ``ZooError/invalidConfiguration(model:reason:)`` as ``network(_:name:generator:)``.
    public static func network(_ configuration: Configuration, name: String, initialization: WeightInitialization) throws(ZooError) -> Network {
        var factory = LayerFactory(initialization)
        return try build(configuration, name: name, factory: &factory)
    }

    static func build(_ configuration: Configuration, name: String, factory: inout LayerFactory) throws(ZooError) -> Network {
        guard !configuration.blockCounts.isEmpty, configuration.blockCounts.count == configuration.stageWidths.count,
              configuration.blockCounts.allSatisfy({ $0 > 0 }), configuration.stageWidths.allSatisfy({ $0 > 0 }),
              configuration.stemWidth > 0, configuration.classCount > 0, configuration.inputSize > 0 else {
            throw .invalidConfiguration(model: name, reason: "needs as many positive block counts as positive stage widths")
        }
        var layers: [any Layer] = [
            factory.conv2D(name: "conv1", inputChannels: 3, outputChannels: configuration.stemWidth, kernel: 7, geometry: .init(stride: 2, padding: 3), bias: false),
            BatchNorm2D(name: "bn1", channels: configuration.stemWidth),
            Activation(name: "relu"),
            MaxPool2D(name: "maxpool", geometry: .init(kernel: 3, stride: 2, padding: 1)),
        ]
        var channels = configuration.stemWidth
        var lastBlock = "relu"
        for (stage, (blocks, planes)) in zip(configuration.blockCounts, configuration.stageWidths).enumerated() {
            let stageName = "layer\(stage + 1)"
            var stageBlocks: [any Layer] = []
            for index in 0..<blocks {
                let stride = index == 0 && stage > 0 ? 2 : 1
                stageBlocks.append(residualBlock(
                    configuration.block, name: "\(stageName).\(index)", inputChannels: channels, planes: planes, stride: stride, factory: &factory
                ))
                channels = planes * configuration.block.expansion
                lastBlock = "\(stageName).\(index).\(configuration.block == .basic ? "relu2" : "relu3")"
            }
            layers.append(Sequential(name: stageName, stageBlocks))
        }
        layers += [
            AdaptiveAvgPool2D(name: "avgpool", outputSize: 1),
            Flatten(name: "flatten"),
            factory.linear(name: "fc", inputFeatures: channels, outputFeatures: configuration.classCount),
        ]
        return Network(
            name: name, inputSize: .square(configuration.inputSize), requiresFixedInputSize: false,
            classCount: configuration.classCount, body: Sequential(name: name, layers),
            lastConvolutionalBlock: lastBlock
        )
    }

    private static func residualBlock(_ block: Block, name: String, inputChannels: Int, planes: Int, stride: Int, factory: inout LayerFactory) -> Residual {
        func conv(_ suffix: String, _ input: Int, _ output: Int, kernel: Int, stride: Int = 1) -> Conv2D {
            factory.conv2D(
                name: "\(name).\(suffix)", inputChannels: input, outputChannels: output, kernel: .square(kernel),
                geometry: .init(stride: .square(stride), padding: .square(kernel / 2)), bias: false
            )
        }
        func norm(_ suffix: String, _ channels: Int) -> BatchNorm2D { BatchNorm2D(name: "\(name).\(suffix)", channels: channels) }
        let output = planes * block.expansion
        let body: [any Layer]
        let finalActivation: String
        switch block {
        case .basic:
            body = [
                conv("conv1", inputChannels, planes, kernel: 3, stride: stride), norm("bn1", planes), Activation(name: "\(name).relu1"),
                conv("conv2", planes, planes, kernel: 3), norm("bn2", planes),
            ]
            finalActivation = "relu2"
        case .bottleneck:
            body = [
                conv("conv1", inputChannels, planes, kernel: 1), norm("bn1", planes), Activation(name: "\(name).relu1"),
                conv("conv2", planes, planes, kernel: 3, stride: stride), norm("bn2", planes), Activation(name: "\(name).relu2"),
                conv("conv3", planes, output, kernel: 1), norm("bn3", output),
            ]
            finalActivation = "relu3"
        }
        var shortcut: Sequential?
        if stride != 1 || inputChannels != output {
            shortcut = Sequential(name: "\(name).downsample", [conv("downsample.0", inputChannels, output, kernel: 1, stride: stride), norm("downsample.1", output)])
        }
        return Residual(name: name, body: Sequential(name: name, body), shortcut: shortcut, activation: Activation(name: "\(name).\(finalActivation)"))
    }
}
