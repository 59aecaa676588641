import RectGradCore
import RectGradLayers

/// Networks with hand-chosen or seeded weights for the attribution tests.
enum TestNetworks {
    /// A 2 → 3 → 2 ReLU network on `[N, 1, 1, 2]` inputs with hand-chosen weights:
    ///
    /// ```
    /// W1 = [[1, 1], [1, −3], [−1, 1]], b1 = [0.5, 0.5, 2]
    /// W2 = [[2, 1, −1], [−1, 1, 1]],  b2 = [0, 0]
    /// ```
    ///
    /// At x = (2, 1): z = (3.5, −0.5, 1), a = (3.5, 0, 1), logits = (6, −2.5); for class 0 the
    /// gradient at the ReLU output is R = (2, 1, −1) and the importance a·R = (7, 0, −1).
    static func handDense() throws -> Network {
        let body = Sequential([
            Flatten(),
            Linear(name: "fc1", weight: try Tensor(shape: [3, 2], scalars: [1, 1, 1, -3, -1, 1]), bias: try Tensor(shape: [3], scalars: [0.5, 0.5, 2])),
            Activation(name: "relu1"),
            Linear(name: "fc2", weight: try Tensor(shape: [2, 3], scalars: [2, 1, -1, -1, 1, 1]), bias: try Tensor(shape: [2], scalars: [0, 0])),
        ])
        return Network(name: "hand-dense", inputChannels: 1, inputSize: Size2D(1, 2), requiresFixedInputSize: true, classCount: 2, body: body)
    }

    /// x = (2, 1) as `[1, 1, 1, 2]`.
    static func handInput() throws -> Tensor { try Tensor(shape: [1, 1, 1, 2], scalars: [2, 1]) }

    /// `[1, 1, 3, 3]` → 3×3 identity-kernel convolution with padding 1 → ReLU → flatten → sum.
    /// S(x) = Σ relu(x); the padding rule leaves only the centre pixel's gradient.
    static func handBorder() throws -> Network {
        var kernel = Tensor.zeros([1, 1, 3, 3])
        kernel[0, 0, 1, 1] = 1
        let body = Sequential([
            Conv2D(name: "conv", weight: kernel, bias: nil, geometry: .init(padding: 1)),
            Activation(name: "relu"),
            Flatten(),
            Linear(name: "fc", weight: Tensor(repeating: 1, shape: [1, 9]), bias: nil),
        ])
        return Network(name: "hand-border", inputChannels: 1, inputSize: 3, requiresFixedInputSize: true, classCount: 1, body: body)
    }

    /// `[1, 1, 2, 2]` → ReLU → 2×2 max-pool → flatten → ×2. S(x) = 2·max(relu(x)).
    static func handPool() throws -> Network {
        let body = Sequential([
            Activation(name: "relu"),
            MaxPool2D(name: "pool", geometry: .init(kernel: 2)),
            Flatten(),
            Linear(name: "fc", weight: Tensor(repeating: 2, shape: [1, 1]), bias: nil),
        ])
        return Network(name: "hand-pool", inputChannels: 1, inputSize: 2, requiresFixedInputSize: true, classCount: 1, body: body)
    }

    /// A small seeded network with every layer kind the zoo uses: padded convolutions with bias,
    /// batch norm, ReLU and ReLU6, a residual block, a max-pool, dense layers. Input `[N, 3, 8, 8]`.
    static func small(seed: UInt64, maxPool: Bool = true, relu6: Bool = false) -> Network {
        var g = SeededGenerator(seed: seed)
        func norm(_ name: String, _ c: Int) -> BatchNorm2D {
            BatchNorm2D(
                name: name,
                weight: Tensor.randomUniform([c], low: 0.5, high: 1.5, generator: &g),
                bias: Tensor.randomUniform([c], low: -0.3, high: 0.3, generator: &g),
                runningMean: Tensor.randomUniform([c], low: -0.2, high: 0.2, generator: &g),
                runningVariance: Tensor.randomUniform([c], low: 0.5, high: 2, generator: &g)
            )
        }
        func bias(_ count: Int) -> Tensor { Tensor.randomUniform([count], low: -0.2, high: 0.2, generator: &g) }
        var conv1 = Conv2D(name: "conv1", inputChannels: 3, outputChannels: 6, kernel: 3, geometry: .init(padding: 1), generator: &g)
        conv1.bias = bias(6)
        var conv2 = Conv2D(name: "block.conv", inputChannels: 6, outputChannels: 6, kernel: 3, geometry: .init(padding: 1), generator: &g)
        conv2.bias = bias(6)
        let side = maxPool ? 4 : 8
        var fc1 = Linear(name: "fc1", inputFeatures: 6 * side * side, outputFeatures: 12, generator: &g)
        fc1.bias = bias(12)
        var fc2 = Linear(name: "fc2", inputFeatures: 12, outputFeatures: 5, generator: &g)
        fc2.bias = bias(5)
        var layers: [any Layer] = [
            conv1, norm("bn1", 6), Activation(name: "relu1", kind: relu6 ? .relu6 : .relu),
            Residual(name: "block", body: Sequential(name: "block", [conv2, norm("block.bn", 6)]), activation: Activation(name: "block.relu")),
        ]
        if maxPool { layers.append(MaxPool2D(name: "pool", geometry: .init(kernel: 2))) }
        layers += [Flatten(), fc1, Activation(name: "relu2"), fc2]
        return Network(name: "small", inputSize: 8, requiresFixedInputSize: true, classCount: 5, body: Sequential(layers))
    }

    /// A linear network (convolution with bias, batch norm, dense): no activation.
    static func linear(seed: UInt64) -> Network {
        var g = SeededGenerator(seed: seed)
        var conv = Conv2D(name: "conv", inputChannels: 3, outputChannels: 4, kernel: 3, geometry: .init(padding: 1), generator: &g)
        conv.bias = Tensor.randomUniform([4], low: -0.2, high: 0.2, generator: &g)
        var fc = Linear(name: "fc", inputFeatures: 4 * 8 * 8, outputFeatures: 5, generator: &g)
        fc.bias = Tensor.randomUniform([5], low: -0.2, high: 0.2, generator: &g)
        let body = Sequential([conv, BatchNorm2D(name: "bn", channels: 4), AvgPool2D(name: "pool", geometry: .init(kernel: 1)), Flatten(), fc])
        return Network(name: "linear", inputSize: 8, requiresFixedInputSize: true, classCount: 5, body: body)
    }

    /// Seeded inputs `[n, 3, 8, 8]` in [−1, 1].
    static func inputs(_ n: Int, seed: UInt64) -> Tensor {
        Tensor.randomUniform([n, 3, 8, 8], low: -1, high: 1, seed: seed)
    }
}
