import RectGradCore
import RectGradLayers

/// Inception-v4 (Szegedy et al. 2017), the paper's ImageNet network, with timm's module layout
/// and state-dict names (`timm.create_model("inception_v4")`), so that a timm state dict loads
/// directly (``ZooEntry/network(weights:source:allowExtraNames:workers:)``, `rectgrad convert-pth`).
///
/// Every convolution is timm's `ConvNormAct`: a bias-free convolution `….conv`, batch norm
/// `….bn` (eps 1e-3) and a ReLU named `….bn.act` (timm's module path of that ReLU).
/// `features.0…2` are the stem convolutions, `features.3` Mixed-3a, `features.4` Mixed-4a,
/// `features.5` Mixed-5a, `features.6…9` Inception-A, `features.10` Reduction-A,
/// `features.11…17` Inception-B, `features.18` Reduction-B, `features.19…21` Inception-C; then
/// global average pooling and `last_linear` (1536 → classes). Blocks join their branches with
/// `Concatenate` layers (named after the block); Inception-C's split branches are nested concatenations
/// `features.{i}.branch1` and `features.{i}.branch2`.
public enum InceptionV4 {
    /// BatchNorm epsilon of every `ConvNormAct` (timm's `norm_eps`).
    public static let batchNormEpsilon: Float = 1e-3

    /// Learnable parameters of the 1000-class network (weights, biases, batch-norm γ and β),
    /// as counted on `timm.create_model("inception_v4")`.
    public static let parameterCount = 42_679_816

    /// Builds the network (input 299×299; any input of at least 75×75 runs).
    /// - Throws: ``ZooError/invalidConfiguration(model:reason:)`` for a non-positive class count.
    public static func network(name: String, classCount: Int = 1000, initialization: WeightInitialization) throws(ZooError) -> Network {
        guard classCount > 0 else { throw .invalidConfiguration(model: name, reason: "the class count must be positive, got \(classCount)") }
        var builder = Builder(factory: LayerFactory(initialization))
        var features: [any Layer] = [
            builder.unit("features.0", 3, 32, kernel: 3, stride: 2),
            builder.unit("features.1", 32, 32, kernel: 3),
            builder.unit("features.2", 32, 64, kernel: 3, padding: 1),
            builder.mixed3a("features.3"),
            builder.mixed4a("features.4"),
            builder.mixed5a("features.5"),
        ]
        for index in 6...9 { features.append(builder.inceptionA("features.\(index)")) }
        features.append(builder.reductionA("features.10"))
        for index in 11...17 { features.append(builder.inceptionB("features.\(index)")) }
        features.append(builder.reductionB("features.18"))
        for index in 19...21 { features.append(builder.inceptionC("features.\(index)")) }
        let layers: [any Layer] = [
            Sequential(name: "features", features),
            AdaptiveAvgPool2D(name: "global_pool", outputSize: 1),
            Flatten(name: "global_pool.flatten"),
            builder.factory.linear(name: "last_linear", inputFeatures: 1536, outputFeatures: classCount),
        ]
        return Network(name: name, inputSize: 299, requiresFixedInputSize: false, classCount: classCount, body: Sequential(name: name, layers))
    }

    /// Creates the blocks with one layer factory.
    struct Builder {
        var factory: LayerFactory

        /// timm's `ConvNormAct`: convolution without bias, batch norm, ReLU.
        mutating func unit(_ name: String, _ input: Int, _ output: Int, kernel: Size2D, stride: Int = 1, padding: Size2D = 0) -> Sequential {
            Sequential(name: name, [
                factory.conv2D(name: "\(name).conv", inputChannels: input, outputChannels: output, kernel: kernel,
                               geometry: .init(stride: .square(stride), padding: padding), bias: false),
                BatchNorm2D(name: "\(name).bn", channels: output, epsilon: InceptionV4.batchNormEpsilon),
                Activation(name: "\(name).bn.act"),
            ])
        }

        /// A branch of several units named `{block}.{branch}.{i}`.
        mutating func chain(_ name: String, _ specs: [(input: Int, output: Int, kernel: Size2D, stride: Int, padding: Size2D)]) -> Sequential {
            var layers: [any Layer] = []
            for (index, spec) in specs.enumerated() {
                layers.append(unit("\(name).\(index)", spec.input, spec.output, kernel: spec.kernel, stride: spec.stride, padding: spec.padding))
            }
            return Sequential(name: name, layers)
        }

        func maxPool(_ name: String) -> Sequential {
            Sequential(name: name, [MaxPool2D(name: name, geometry: .init(kernel: 3, stride: 2))])
        }

        /// 3×3 average pooling, stride 1, padding 1, padded positions not counted, then a 1×1 unit.
        mutating func poolBranch(_ name: String, _ input: Int, _ output: Int) -> Sequential {
            Sequential(name: name, [
                AvgPool2D(name: "\(name).0", geometry: .init(kernel: 3, stride: 1, padding: 1), countIncludesPadding: false),
                unit("\(name).1", input, output, kernel: 1),
            ])
        }

        mutating func mixed3a(_ name: String) -> Concatenate {
            Concatenate(name: name, branches: [maxPool("\(name).maxpool"), Sequential(name: "\(name).conv", [unit("\(name).conv", 64, 96, kernel: 3, stride: 2)])])
        }

        mutating func mixed4a(_ name: String) -> Concatenate {
            Concatenate(name: name, branches: [
                chain("\(name).branch0", [(160, 64, 1, 1, 0), (64, 96, 3, 1, 0)]),
                chain("\(name).branch1", [(160, 64, 1, 1, 0), (64, 64, Size2D(1, 7), 1, Size2D(0, 3)), (64, 64, Size2D(7, 1), 1, Size2D(3, 0)), (64, 96, 3, 1, 0)]),
            ])
        }

        mutating func mixed5a(_ name: String) -> Concatenate {
            Concatenate(name: name, branches: [Sequential(name: "\(name).conv", [unit("\(name).conv", 192, 192, kernel: 3, stride: 2)]), maxPool("\(name).maxpool")])
        }

        mutating func inceptionA(_ name: String) -> Concatenate {
            Concatenate(name: name, branches: [
                Sequential(name: "\(name).branch0", [unit("\(name).branch0", 384, 96, kernel: 1)]),
                chain("\(name).branch1", [(384, 64, 1, 1, 0), (64, 96, 3, 1, 1)]),
                chain("\(name).branch2", [(384, 64, 1, 1, 0), (64, 96, 3, 1, 1), (96, 96, 3, 1, 1)]),
                poolBranch("\(name).branch3", 384, 96),
            ])
        }

        mutating func reductionA(_ name: String) -> Concatenate {
            Concatenate(name: name, branches: [
                Sequential(name: "\(name).branch0", [unit("\(name).branch0", 384, 384, kernel: 3, stride: 2)]),
                chain("\(name).branch1", [(384, 192, 1, 1, 0), (192, 224, 3, 1, 1), (224, 256, 3, 2, 0)]),
                maxPool("\(name).branch2"),
            ])
        }

        mutating func inceptionB(_ name: String) -> Concatenate {
            let row = Size2D(1, 7), column = Size2D(7, 1), rowPad = Size2D(0, 3), columnPad = Size2D(3, 0)
            return Concatenate(name: name, branches: [
                Sequential(name: "\(name).branch0", [unit("\(name).branch0", 1024, 384, kernel: 1)]),
                chain("\(name).branch1", [(1024, 192, 1, 1, 0), (192, 224, row, 1, rowPad), (224, 256, column, 1, columnPad)]),
                chain("\(name).branch2", [(1024, 192, 1, 1, 0), (192, 192, column, 1, columnPad), (192, 224, row, 1, rowPad),
                                          (224, 224, column, 1, columnPad), (224, 256, row, 1, rowPad)]),
                poolBranch("\(name).branch3", 1024, 128),
            ])
        }

        mutating func reductionB(_ name: String) -> Concatenate {
            Concatenate(name: name, branches: [
                chain("\(name).branch0", [(1024, 192, 1, 1, 0), (192, 192, 3, 2, 0)]),
                chain("\(name).branch1", [(1024, 256, 1, 1, 0), (256, 256, Size2D(1, 7), 1, Size2D(0, 3)), (256, 320, Size2D(7, 1), 1, Size2D(3, 0)), (320, 320, 3, 2, 0)]),
                maxPool("\(name).branch2"),
            ])
        }

        mutating func inceptionC(_ name: String) -> Concatenate {
            let row = Size2D(1, 3), column = Size2D(3, 1), rowPad = Size2D(0, 1), columnPad = Size2D(1, 0)
            let split1 = Concatenate(name: "\(name).branch1", branches: [
                Sequential(name: "\(name).branch1_1a", [unit("\(name).branch1_1a", 384, 256, kernel: row, padding: rowPad)]),
                Sequential(name: "\(name).branch1_1b", [unit("\(name).branch1_1b", 384, 256, kernel: column, padding: columnPad)]),
            ])
            let branch1 = Sequential(name: "\(name).branch1", [unit("\(name).branch1_0", 1536, 384, kernel: 1), split1])
            let split2 = Concatenate(name: "\(name).branch2", branches: [
                Sequential(name: "\(name).branch2_3a", [unit("\(name).branch2_3a", 512, 256, kernel: row, padding: rowPad)]),
                Sequential(name: "\(name).branch2_3b", [unit("\(name).branch2_3b", 512, 256, kernel: column, padding: columnPad)]),
            ])
            let branch2 = Sequential(name: "\(name).branch2", [
                unit("\(name).branch2_0", 1536, 384, kernel: 1),
                unit("\(name).branch2_1", 384, 448, kernel: column, padding: columnPad),
                unit("\(name).branch2_2", 448, 512, kernel: row, padding: rowPad),
                split2,
            ])
            return Concatenate(name: name, branches: [
                Sequential(name: "\(name).branch0", [unit("\(name).branch0", 1536, 256, kernel: 1)]),
                branch1, branch2,
                poolBranch("\(name).branch3", 1536, 256),
            ])
        }
    }
}
