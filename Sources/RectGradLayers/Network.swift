import RectGradCore

/// A classifier: a named sequence of layers mapping `[N, C, H, W]` inputs to `[N, classes]` logits.
public struct Network: Sendable {
    /// The architecture's name (e.g. `vgg16`).
    public var name: String
    /// The expected number of input channels.
    public var inputChannels: Int
    /// The spatial size the network was designed for (enforced when `requiresFixedInputSize`).
    public var inputSize: Size2D
    /// Whether inputs must have exactly `inputSize` (networks with a flatten before the classifier).
    public var requiresFixedInputSize: Bool
    /// The number of classes.
    public var classCount: Int
    /// The layers.
    public var body: Sequential
    /// The name of the output of the last convolutional block (e.g. `features.29` for VGG-16,
    /// `layer4.2.relu3` for ResNet-50): the layer Grad-CAM explains by default. `nil` when the
    /// architecture does not declare one (Grad-CAM then takes the last activation with a
    /// four-dimensional output).
    public var lastConvolutionalBlock: String?

    /// Creates a network.
    public init(name: String, inputChannels: Int = 3, inputSize: Size2D, requiresFixedInputSize: Bool, classCount: Int, body: Sequential, lastConvolutionalBlock: String? = nil) {
        self.lastConvolutionalBlock = lastConvolutionalBlock
        self.name = name
        self.inputChannels = inputChannels
        self.inputSize = inputSize
        self.requiresFixedInputSize = requiresFixedInputSize
        self.classCount = classCount
        self.body = body
    }

    /// Checks that `shape` is `[N, C, H, W]` with the network's channels (and size, when fixed).
    /// - Throws: ``LayerError/inputShapeMismatch(network:expected:actual:)``.
    public func validateInputShape(_ shape: [Int]) throws(LayerError) {
        let expected = [inputChannels, inputSize.height, inputSize.width]
        guard shape.count == 4, shape[0] >= 1, shape[1] == inputChannels, shape[2] >= 1, shape[3] >= 1 else {
            throw .inputShapeMismatch(network: name, expected: expected, actual: shape)
        }
        if requiresFixedInputSize && (shape[2] != inputSize.height || shape[3] != inputSize.width) {
            throw .inputShapeMismatch(network: name, expected: expected, actual: shape)
        }
    }

    /// Records the forward pass on `tape` and returns the logits variable.
    public func logits(_ input: Variable, on tape: Tape) throws -> Variable {
        try validateInputShape(tape.shape(input))
        return try body.forward(input, on: tape)
    }

    /// Runs the forward pass on a fresh inference-only tape (``RectGradCore/Tape/init(workers:buffers:inferenceOnly:)``)
    /// whose kernels run on `workers` and returns the logits `[N, classes]`: every intermediate
    /// value goes back to the pool once the next layer has read it, so the pass reuses a few
    /// buffers while they are still in cache (the same logits, bit for bit, as a pass recorded
    /// for backward). The tape takes its buffers from `buffers` (default: its own pool).
    public func logits(for input: Tensor, workers: Workers = .default, buffers: TensorBufferPool? = nil) throws -> Tensor {
        let tape = Tape(workers: workers, buffers: buffers, inferenceOnly: true)
        let output = try logits(tape.input(input), on: tape)
        return try tape.value(output)
    }

    /// Every parameter and buffer with its full name, in architecture order.
    public var parameters: [NamedParameter] { body.parameters }

    /// The number of scalar parameters (batch-norm statistics included).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// A copy with parameters loaded from `values`.
    ///
    /// - Parameters:
    ///   - allowExtraNames: accept names the architecture does not have (they are ignored).
    ///   - workers: the threads that check every value is finite (a large tensor in parts).
    /// - Throws: ``LayerError`` naming the first missing, unexpected, mis-shaped or non-finite tensor.
    public func loadingParameters(_ values: [String: Tensor], allowExtraNames: Bool = false, workers: Workers = .serial) throws -> Network {
        let known = Set(parameters.map(\.name))
        if !allowExtraNames {
            let extra = values.keys.filter { !known.contains($0) }.sorted()
            if !extra.isEmpty { throw LayerError.unexpectedParameters(extra) }
        }
        var copy = self
        copy.body = try body.loadingParameters(values)
        if let bad = copy.parameters.first(where: { !$0.value.isFinite(workers: workers) }) {
            throw LayerError.nonFiniteParameter(bad.name)
        }
        return copy
    }

    /// A copy with every batch norm folded into its preceding convolution (same outputs up to rounding).
    public func foldingBatchNorm() throws -> Network {
        var copy = self
        copy.body = try body.foldingBatchNorm()
        return copy
    }
}
