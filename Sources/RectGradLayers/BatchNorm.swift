import RectGradCore

/// Batch normalisation at inference: `y = (x − mean) / √(var + ε) · γ + β`, per channel.
///
/// Recorded on the tape as a per-channel affine map. ``Sequential/foldingBatchNorm()`` folds it
/// into the preceding convolution.
public struct BatchNorm2D: Layer {
    public var name: String
    /// γ, `[C]`.
    public var weight: Tensor { didSet { refold() } }
    /// β, `[C]`.
    public var bias: Tensor { didSet { refold() } }
    /// Running mean, `[C]`.
    public var runningMean: Tensor { didSet { refold() } }
    /// Running variance, `[C]`.
    public var runningVariance: Tensor { didSet { refold() } }
    /// ε (1e-5 in torchvision, 1e-3 in EfficientNet-Lite).
    public var epsilon: Float { didSet { refold() } }

    /// The folded map (or why the statistics cannot be folded), computed whenever a statistic
    /// changes rather than on every forward pass.
    private var foldedMap: Result<FoldedMap, TensorError>

    private struct FoldedMap: Sendable {
        var scale: Tensor
        var shift: Tensor
    }

    /// Creates a batch norm from its tensors.
    public init(name: String, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, epsilon: Float = 1e-5) {
        self.name = name
        self.weight = weight
        self.bias = bias
        self.runningMean = runningMean
        self.runningVariance = runningVariance
        self.epsilon = epsilon
        self.foldedMap = Self.fold(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, epsilon: epsilon)
    }

    private static func fold(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, epsilon: Float) -> Result<FoldedMap, TensorError> {
        do {
            let (scale, shift) = try ChannelAffine.foldBatchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, epsilon: epsilon)
            return .success(FoldedMap(scale: scale, shift: shift))
        } catch {
            return .failure(error)
        }
    }

    private mutating func refold() {
        foldedMap = Self.fold(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, epsilon: epsilon)
    }

    /// The identity initialisation (γ = 1, β = 0, mean 0, variance 1).
    public init(name: String, channels: Int, epsilon: Float = 1e-5) {
        self.init(
            name: name, weight: Tensor(repeating: 1, shape: [channels]), bias: .zeros([channels]),
            runningMean: .zeros([channels]), runningVariance: Tensor(repeating: 1, shape: [channels]), epsilon: epsilon
        )
    }

    /// The folded `(scale, shift)` of the affine map.
    public func affine() throws -> (scale: Tensor, shift: Tensor) {
        let map = try foldedMap.get()
        return (map.scale, map.shift)
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        let (scale, shift) = try affine()
        return try tape.channelAffine(input, scale: scale, shift: shift, name: name)
    }

    public var parameters: [NamedParameter] {
        [
            NamedParameter(name: qualified(name, "weight"), value: weight),
            NamedParameter(name: qualified(name, "bias"), value: bias),
            NamedParameter(name: qualified(name, "running_mean"), value: runningMean),
            NamedParameter(name: qualified(name, "running_var"), value: runningVariance),
        ]
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer {
        var copy = self
        copy.weight = try replacement(for: qualified(name, "weight"), current: weight, in: values)
        copy.bias = try replacement(for: qualified(name, "bias"), current: bias, in: values)
        copy.runningMean = try replacement(for: qualified(name, "running_mean"), current: runningMean, in: values)
        copy.runningVariance = try replacement(for: qualified(name, "running_var"), current: runningVariance, in: values)
        return copy
    }

    /// The convolution that computes `self(conv(x))` in one step.
    public func folded(into conv: Conv2D) throws -> Conv2D {
        let (scale, shift) = try affine()
        let outputs = conv.weight.shape[0]
        guard scale.count == outputs else {
            throw LayerError.parameterShapeMismatch(name: qualified(name, "weight"), expected: [outputs], actual: scale.shape)
        }
        var weight = conv.weight
        let perOutput = weight.count / max(outputs, 1)
        weight.withUnsafeMutableBufferPointer { w in
            for o in 0..<outputs { for i in 0..<perOutput { w[o * perOutput + i] *= scale[flat: o] } }
        }
        var bias = shift
        if let original = conv.bias {
            for o in 0..<outputs { bias[flat: o] += original[flat: o] * scale[flat: o] }
        }
        return Conv2D(name: conv.name, weight: weight, bias: bias, geometry: conv.geometry)
    }
}
