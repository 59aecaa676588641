import RectGradCore

/// A seeded eight-layer network small enough to differentiate by hand in a test:
///
/// ```
/// features.0  conv 2→4, 3×3, padding 1      [N, 4, 8, 8]
/// features.1  activation
/// features.2  max-pool 2×2, stride 2         [N, 4, 4, 4]
/// features.3  conv 4→6, 3×3, padding 1      [N, 6, 4, 4]
/// features.4  activation
/// flatten                                     [N, 96]
/// classifier.0  dense 96→10
/// classifier.1  activation
/// classifier.2  dense 10→5                    [N, 5]
/// ```
///
/// Inputs are `[N, 2, 8, 8]`. Every bias is non-zero, so a reference pass on a zero input has
/// non-zero activations (what DeepLIFT needs).
public struct TinyConvNet: Sendable {
    /// `[4, 2, 3, 3]`.
    public var conv1Weight: Tensor
    /// `[4]`.
    public var conv1Bias: Tensor
    /// `[6, 4, 3, 3]`.
    public var conv2Weight: Tensor
    /// `[6]`.
    public var conv2Bias: Tensor
    /// `[10, 96]`.
    public var dense1Weight: Tensor
    /// `[10]`.
    public var dense1Bias: Tensor
    /// `[5, 10]`.
    public var dense2Weight: Tensor
    /// `[5]`.
    public var dense2Bias: Tensor
    /// The kinds of the three activations, in recording order.
    public var activationKinds: [ActivationKind]

    /// Geometry of both convolutions (3×3, padding 1).
    public static let convolutionGeometry = Convolution2DGeometry(padding: 1)
    /// Geometry of the max-pool (2×2, stride 2).
    public static let poolGeometry = Pooling2DGeometry(kernel: 2)
    /// Number of classes.
    public static let classCount = 5
    /// Names of the three activations, in recording order.
    public static let activationNames = ["features.1", "features.4", "classifier.1"]

    /// The input shape for a batch of `batch` examples.
    public static func inputShape(batch: Int) -> [Int] { [batch, 2, 8, 8] }

    /// He-scaled normal weights and small normal biases from `seed`. `activationKinds` gives the
    /// kinds of the three activations in order; a list of another length means three ReLUs.
    public init(seed: UInt64, activationKinds: [ActivationKind] = [.relu, .relu, .relu]) {
        var generator = SeededGenerator(seed: seed)
        func normal(_ shape: [Int], _ deviation: Float) -> Tensor {
            Tensor.randomNormal(shape, standardDeviation: deviation, generator: &generator)
        }
        conv1Weight = normal([4, 2, 3, 3], 0.33)
        conv1Bias = normal([4], 0.1)
        conv2Weight = normal([6, 4, 3, 3], 0.24)
        conv2Bias = normal([6], 0.1)
        dense1Weight = normal([10, 96], 0.14)
        dense1Bias = normal([10], 0.1)
        dense2Weight = normal([5, 10], 0.45)
        dense2Bias = normal([5], 0.1)
        self.activationKinds = activationKinds.count == 3 ? activationKinds : [.relu, .relu, .relu]
    }

    /// The variables of one recorded forward pass.
    public struct Recorded {
        /// The input.
        public var input: Variable
        /// The pre-activations `z` of the three activations.
        public var preActivations: [Variable]
        /// The outputs `a` of the three activations.
        public var activations: [Variable]
        /// The max-pool output.
        public var pooled: Variable
        /// The logits `[N, 5]`.
        public var logits: Variable
        /// Every parameter, in declaration order (conv1 weight, conv1 bias, …, dense2 bias).
        public var parameters: [Variable]
    }

    /// Records the forward pass of `input` on `tape`.
    public func record(on tape: Tape, input value: Tensor) throws -> Recorded {
        let x = tape.input(value)
        let p = [
            tape.parameter(conv1Weight, name: "features.0.weight"), tape.parameter(conv1Bias, name: "features.0.bias"),
            tape.parameter(conv2Weight, name: "features.3.weight"), tape.parameter(conv2Bias, name: "features.3.bias"),
            tape.parameter(dense1Weight, name: "classifier.0.weight"), tape.parameter(dense1Bias, name: "classifier.0.bias"),
            tape.parameter(dense2Weight, name: "classifier.2.weight"), tape.parameter(dense2Bias, name: "classifier.2.bias"),
        ]
        let z1 = try tape.conv2d(x, weight: p[0], bias: p[1], geometry: Self.convolutionGeometry, name: "features.0")
        let a1 = try tape.activation(z1, kind: activationKinds[0], name: Self.activationNames[0])
        let pooled = try tape.maxPool2d(a1, geometry: Self.poolGeometry, name: "features.2")
        let z2 = try tape.conv2d(pooled, weight: p[2], bias: p[3], geometry: Self.convolutionGeometry, name: "features.3")
        let a2 = try tape.activation(z2, kind: activationKinds[1], name: Self.activationNames[1])
        let flat = try tape.flatten(a2, name: "flatten")
        let z3 = try tape.dense(flat, weight: p[4], bias: p[5], name: "classifier.0")
        let a3 = try tape.activation(z3, kind: activationKinds[2], name: Self.activationNames[2])
        let logits = try tape.dense(a3, weight: p[6], bias: p[7], name: "classifier.2")
        return Recorded(input: x, preActivations: [z1, z2, z3], activations: [a1, a2, a3], pooled: pooled, logits: logits, parameters: p)
    }

    /// A one-hot `[N, 5]` seed selecting, per example, the largest logit (first on ties).
    public static func oneHotSeed(logits: Tensor) -> Tensor {
        var seed = Tensor.zeros(logits.shape)
        for (row, column) in logits.argmaxPerRow().enumerated() {
            seed[flat: row * classCount + column] = 1
        }
        return seed
    }
}
