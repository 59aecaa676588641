import RectGradCore
import RectGradLayers

/// The paper's CIFAR-10 network (`cifar-cnn`): four 3×3 convolutions with ReLU, two 2×2
/// max-pools, a hidden dense layer and the logits.
///
/// Layer names: `conv1`…`conv4`, `dense5`, `dense6` (as in the weight names), activations
/// `relu1`…`relu5` (the ReLU after the layer of the same number), pools `pool1`, `pool2`, and
/// `flatten`.
public enum CifarCNN {
    /// The widths and sizes of the network; ``standard`` is the paper's.
    public struct Configuration: Sendable, Equatable {
        /// Output channels of `conv1`…`conv4`.
        public var convolutionWidths: [Int]
        /// Width of `dense5`.
        public var hiddenWidth: Int
        /// Number of classes (width of `dense6`).
        public var classCount: Int
        /// Input height and width (a multiple of 4).
        public var inputSize: Int

        /// Creates a configuration.
        public init(convolutionWidths: [Int], hiddenWidth: Int, classCount: Int, inputSize: Int) {
            self.convolutionWidths = convolutionWidths
            self.hiddenWidth = hiddenWidth
            self.classCount = classCount
            self.inputSize = inputSize
        }

        /// The paper's network: widths 32, 32, 64, 64, hidden 256, 10 classes, 32×32 input.
        public static let standard = Configuration(convolutionWidths: [32, 32, 64, 64], hiddenWidth: 256, classCount: 10, inputSize: 32)

        /// The number of flattened features entering `dense5`.
        public var flattenedFeatures: Int { (convolutionWidths.last ?? 0) * (inputSize / 4) * (inputSize / 4) }

        /// Learnable parameters (weights and biases).
        public var parameterCount: Int {
            var count = 0
            var channels = 3
            for width in convolutionWidths {
                count += width * channels * 9 + width
                channels = width
            }
            return count + hiddenWidth * flattenedFeatures + hiddenWidth + classCount * hiddenWidth + classCount
        }
    }

    /// Builds the network with He-normal weights and zero biases.
    /// - Throws: ``ZooError/invalidConfiguration(model:reason:)`` unless there are four widths and
    ///   the input size is a positive multiple of 4.
    public static func network(_ configuration: Configuration = .standard, name: String = "cifar-cnn", generator: inout SeededGenerator) throws(ZooError) -> Network {
        var factory = LayerFactory(generator: generator)
        defer { if let state = factory.generator { generator = state } }
        return try build(configuration, name: name, factory: &factory)
    }

    /// Builds the network with He-normal weights from a seed, or all-zero weights to load into.
    /// - Throws: ``ZooError/invalidConfiguration(model:reason:)`` as ``network(_:name:generator:)``.
    public static func network(_ configuration: Configuration = .standard, name: String = "cifar-cnn", initialization: WeightInitialization) throws(ZooError) -> Network {
        var factory = LayerFactory(initialization)
        return try build(configuration, name: name, factory: &factory)
    }

    static func build(_ configuration: Configuration, name: String, factory: inout LayerFactory) throws(ZooError) -> Network {
        let widths = configuration.convolutionWidths
        guard widths.count == 4, widths.allSatisfy({ $0 > 0 }), configuration.inputSize > 0, configuration.inputSize % 4 == 0,
              configuration.hiddenWidth > 0, configuration.classCount > 0 else {
            throw .invalidConfiguration(model: name, reason: "cifar-cnn needs four positive widths and an input size that is a multiple of 4")
        }
        var layers: [any Layer] = []
        var channels = 3
        for (index, width) in widths.enumerated() {
            let number = index + 1
            layers.append(factory.conv2D(name: "conv\(number)", inputChannels: channels, outputChannels: width, kernel: 3, geometry: .init(padding: 1)))
            layers.append(Activation(name: "relu\(number)"))
            if number % 2 == 0 { layers.append(MaxPool2D(name: "pool\(number / 2)", geometry: .init(kernel: 2))) }
            channels = width
        }
        layers.append(Flatten(name: "flatten"))
        layers.append(factory.linear(name: "dense5", inputFeatures: configuration.flattenedFeatures, outputFeatures: configuration.hiddenWidth))
        layers.append(Activation(name: "relu5"))
        layers.append(factory.linear(name: "dense6", inputFeatures: configuration.hiddenWidth, outputFeatures: configuration.classCount))
        return Network(
            name: name, inputSize: .square(configuration.inputSize), requiresFixedInputSize: true,
            classCount: configuration.classCount, body: Sequential(name: name, layers),
            lastConvolutionalBlock: "relu\(widths.count)"
        )
    }
}
