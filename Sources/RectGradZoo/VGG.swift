import RectGradCore
import RectGradLayers

/// VGG (Simonyan & Zisserman 2015) with torchvision's module layout and state-dict names.
///
/// Layer names are torchvision's indices: `features.{i}` numbers every convolution, batch norm,
/// ReLU and max-pool of the feature extractor in order (so in `vgg16` the last ReLU is
/// `features.29`, in `vgg16-bn` it is `features.42`), then `avgpool` (adaptive average pool to
/// 7×7), `flatten`, and `classifier.0`…`classifier.6` (dense, ReLU, dropout, dense, ReLU,
/// dropout, dense).
public enum VGG {
    /// One item of the feature extractor.
    public enum Feature: Sendable, Equatable {
        /// A 3×3 convolution with padding 1 and this many output channels, then (batch norm and) ReLU.
        case convolution(Int)
        /// A 2×2 max-pool with stride 2.
        case maxPool
    }

    /// The zoo's VGG variants.
    public enum Variant: String, CaseIterable, Sendable {
        case vgg11, vgg13, vgg16, vgg19
        case vgg11BN = "vgg11-bn", vgg13BN = "vgg13-bn", vgg16BN = "vgg16-bn", vgg19BN = "vgg19-bn"

        /// The number of weight layers (11, 13, 16, 19).
        public var depth: Int {
            switch self {
            case .vgg11, .vgg11BN: return 11
            case .vgg13, .vgg13BN: return 13
            case .vgg16, .vgg16BN: return 16
            case .vgg19, .vgg19BN: return 19
            }
        }

        /// Whether every convolution is followed by batch norm.
        public var batchNorm: Bool { rawValue.hasSuffix("-bn") }

        /// The full-size ImageNet configuration.
        public var configuration: Configuration {
            let perStage: [Int]
            switch depth {
            case 11: perStage = [1, 1, 2, 2, 2]
            case 13: perStage = [2, 2, 2, 2, 2]
            case 16: perStage = [2, 2, 3, 3, 3]
            default: perStage = [2, 2, 4, 4, 4]
            }
            var features: [Feature] = []
            for (count, width) in zip(perStage, [64, 128, 256, 512, 512]) {
                features += Array(repeating: .convolution(width), count: count) + [.maxPool]
            }
            return Configuration(features: features, batchNorm: batchNorm, pooledSize: 7, classifierWidth: 4096, classCount: 1000, inputSize: 224)
        }
    }

    /// A VGG layout; tiny layouts use the same code path as the full-size networks.
    public struct Configuration: Sendable, Equatable {
        /// The feature extractor, in order.
        public var features: [Feature]
        /// Whether every convolution is followed by batch norm (eps 1e-5).
        public var batchNorm: Bool
        /// The output size of the adaptive average pool (7 in torchvision).
        public var pooledSize: Int
        /// The width of the two hidden dense layers (4096 in torchvision).
        public var classifierWidth: Int
        /// The number of classes.
        public var classCount: Int
        /// The nominal input height and width.
        public var inputSize: Int

        /// Creates a configuration.
        public init(features: [Feature], batchNorm: Bool, pooledSize: Int, classifierWidth: Int, classCount: Int, inputSize: Int) {
            self.features = features
            self.batchNorm = batchNorm
            self.pooledSize = pooledSize
            self.classifierWidth = classifierWidth
            self.classCount = classCount
            self.inputSize = inputSize
        }

        /// The channels leaving the feature extractor.
        public var featureChannels: Int {
            features.reduce(3) { channels, feature in
                if case .convolution(let width) = feature { return width }
                return channels
            }
        }

        /// Learnable parameters (weights and biases; batch-norm γ and β included, statistics excluded).
        public var parameterCount: Int {
            var count = 0
            var channels = 3
            for case .convolution(let width) in features {
                count += width * channels * 9 + width + (batchNorm ? 2 * width : 0)
                channels = width
            }
            let flat = featureChannels * pooledSize * pooledSize, hidden = classifierWidth
            return count + (flat * hidden + hidden) + (hidden * hidden + hidden) + (hidden * classCount + classCount)
        }
    }

    /// Builds a VGG with He-normal weights, zero biases and identity batch norms.
    /// - Throws: ``ZooError/invalidConfiguration(model:reason:)`` for non-positive widths or sizes.
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
        let widthsArePositive = configuration.features.allSatisfy { feature in
            if case .convolution(let width) = feature { return width > 0 }
            return true
        }
        guard widthsArePositive, configuration.pooledSize > 0, configuration.classifierWidth > 0, configuration.classCount > 0, configuration.inputSize > 0 else {
            throw .invalidConfiguration(model: name, reason: "widths, pooled size, classifier width, classes and input size must be positive")
        }
        var features: [any Layer] = []
        var channels = 3
        var lastActivation: String?
        func next() -> String { "features.\(features.count)" }
        for feature in configuration.features {
            switch feature {
            case .convolution(let width):
                features.append(factory.conv2D(name: next(), inputChannels: channels, outputChannels: width, kernel: 3, geometry: .init(padding: 1)))
                if configuration.batchNorm { features.append(BatchNorm2D(name: next(), channels: width)) }
                lastActivation = next()
                features.append(Activation(name: next()))
                channels = width
            case .maxPool:
                features.append(MaxPool2D(name: next(), geometry: .init(kernel: 2)))
            }
        }
        let flat = channels * configuration.pooledSize * configuration.pooledSize, hidden = configuration.classifierWidth
        let classifier: [any Layer] = [
            factory.linear(name: "classifier.0", inputFeatures: flat, outputFeatures: hidden),
            Activation(name: "classifier.1"),
            Dropout(name: "classifier.2"),
            factory.linear(name: "classifier.3", inputFeatures: hidden, outputFeatures: hidden),
            Activation(name: "classifier.4"),
            Dropout(name: "classifier.5"),
            factory.linear(name: "classifier.6", inputFeatures: hidden, outputFeatures: configuration.classCount),
        ]
        let body = Sequential(name: name, [
            Sequential(name: "features", features),
            AdaptiveAvgPool2D(name: "avgpool", outputSize: .square(configuration.pooledSize)),
            Flatten(name: "flatten"),
            Sequential(name: "classifier", classifier),
        ])
        return Network(name: name, inputSize: .square(configuration.inputSize), requiresFixedInputSize: false, classCount: configuration.classCount, body: body, lastConvolutionalBlock: lastActivation)
    }
}
