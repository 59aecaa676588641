/// Geometry of a 2-D convolution (cross-correlation, as in PyTorch) on NCHW tensors.
public struct Convolution2DGeometry: Hashable, Sendable, CustomStringConvertible {
    /// Step between neighbouring output positions.
    public var stride: Size2D
    /// Implicit zeros added on each side of the input.
    public var padding: Size2D
    /// Spacing between kernel taps.
    public var dilation: Size2D
    /// Number of channel groups (`groups == channels` is a depthwise convolution).
    public var groups: Int

    /// Creates a geometry; the defaults describe a plain stride-1 convolution without padding.
    public init(stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// `true` when any side is zero-padded.
    public var isPadded: Bool { padding.height != 0 || padding.width != 0 }

    public var description: String {
        var parts = ["stride \(stride)", "padding \(padding)"]
        if dilation != 1 { parts.append("dilation \(dilation)") }
        if groups != 1 { parts.append("groups \(groups)") }
        return parts.joined(separator: ", ")
    }
}

/// The resolved sizes of one convolution call.
@usableFromInline
struct ConvolutionShape: Sendable {
    let batch, inputChannels, inputHeight, inputWidth: Int
    let outputChannels, kernelHeight, kernelWidth: Int
    let outputHeight, outputWidth: Int
    let geometry: Convolution2DGeometry

    var groups: Int { geometry.groups }
    var inputChannelsPerGroup: Int { inputChannels / groups }
    var outputChannelsPerGroup: Int { outputChannels / groups }
    /// Rows of the im2col matrix: input channels per group × kernel taps.
    var columnRows: Int { inputChannelsPerGroup * kernelHeight * kernelWidth }
    var outputPlane: Int { outputHeight * outputWidth }
    var inputPlane: Int { inputHeight * inputWidth }
    var inputShape: [Int] { [batch, inputChannels, inputHeight, inputWidth] }
    var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    var weightShape: [Int] { [outputChannels, inputChannelsPerGroup, kernelHeight, kernelWidth] }
    /// Multiply–accumulate count of the direct algorithm.
    var multiplyAccumulates: Int { batch * outputChannels * outputPlane * columnRows }
    /// A 1×1, stride-1, unpadded convolution reads its input as the column matrix directly.
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && geometry.stride == 1 && !geometry.isPadded
    }

    init(inputShape: [Int], weightShape: [Int], geometry: Convolution2DGeometry) throws(TensorError) {
        let operation = "conv2d"
        guard inputShape.count == 4 else { throw .shapeMismatch(operation: operation, expected: [-1, -1, -1, -1], actual: inputShape) }
        guard weightShape.count == 4 else { throw .shapeMismatch(operation: operation, expected: [-1, -1, -1, -1], actual: weightShape) }
        let g = geometry
        guard g.groups >= 1, g.stride.height >= 1, g.stride.width >= 1, g.dilation.height >= 1, g.dilation.width >= 1,
              g.padding.height >= 0, g.padding.width >= 0 else {
            throw .invalidArgument(operation: operation, reason: "invalid geometry (\(g))")
        }
        batch = inputShape[0]
        inputChannels = inputShape[1]
        inputHeight = inputShape[2]
        inputWidth = inputShape[3]
        outputChannels = weightShape[0]
        kernelHeight = weightShape[2]
        kernelWidth = weightShape[3]
        self.geometry = g
        guard inputChannels % g.groups == 0, outputChannels % g.groups == 0 else {
            throw .invalidArgument(operation: operation, reason: "channels \(inputChannels)→\(outputChannels) not divisible by groups \(g.groups)")
        }
        guard weightShape[1] == inputChannels / g.groups else {
            throw .shapeMismatch(operation: operation, expected: [outputChannels, inputChannels / g.groups, kernelHeight, kernelWidth], actual: weightShape)
        }
        let effectiveKernelHeight = g.dilation.height * (kernelHeight - 1) + 1
        let effectiveKernelWidth = g.dilation.width * (kernelWidth - 1) + 1
        let paddedHeight = inputHeight + 2 * g.padding.height
        let paddedWidth = inputWidth + 2 * g.padding.width
        guard kernelHeight >= 1, kernelWidth >= 1, paddedHeight >= effectiveKernelHeight, paddedWidth >= effectiveKernelWidth else {
            throw .invalidArgument(operation: operation, reason: "kernel \(kernelHeight)×\(kernelWidth) does not fit input \(inputHeight)×\(inputWidth) with padding \(g.padding)")
        }
        outputHeight = (paddedHeight - effectiveKernelHeight) / g.stride.height + 1
        outputWidth = (paddedWidth - effectiveKernelWidth) / g.stride.width + 1
    }
}

/// Convolution kernels: forward, backward to the input and backward to the weights are separate
/// paths so that an attribution pass never computes weight gradients.
public enum Convolution2D {
    /// The output shape of a convolution, or an error naming what does not fit.
    public static func outputShape(input: [Int], weight: [Int], geometry: Convolution2DGeometry) throws(TensorError) -> [Int] {
        try ConvolutionShape(inputShape: input, weightShape: weight, geometry: geometry).outputShape
    }

    /// Multiply–accumulate count of the direct algorithm (FLOPs are twice this).
    public static func multiplyAccumulates(input: [Int], weight: [Int], geometry: Convolution2DGeometry) throws(TensorError) -> Int {
        try ConvolutionShape(inputShape: input, weightShape: weight, geometry: geometry).multiplyAccumulates
    }

    /// `y = conv(x, w) + b` for `x: [N, C, H, W]`, `w: [O, C/groups, kH, kW]`, `b: [O]`.
    public static func forward(input: Tensor, weight: Tensor, bias: Tensor?, geometry: Convolution2DGeometry, workers: Workers = .default) throws(TensorError) -> Tensor {
        let s = try ConvolutionShape(inputShape: input.shape, weightShape: weight.shape, geometry: geometry)
        if let bias, bias.shape != [s.outputChannels] {
            throw .shapeMismatch(operation: "conv2d bias", expected: [s.outputChannels], actual: bias.shape)
        }
        // The engine writes every element, so the storage starts uninitialised.
        let count = s.outputShape.reduce(1, *)
        let output = Tensor.uninitializedStorage(count: count) { y in
            input.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    ConvolutionEngine.forward(s, x: x, w: w, y: y, workers: workers)
                }
            }
        }
        var result = Tensor(uncheckedShape: s.outputShape, scalars: output)
        if let bias {
            // `y · 1 + b` is exactly `y + b`, computed in place on the workers.
            try ChannelAffine.forwardInPlace(&result, scale: Tensor(repeating: 1, shape: [s.outputChannels]), shift: bias, workers: workers)
        }
        return result
    }

    /// The gradient with respect to the input, given the gradient at the output.
    public static func backwardInput(outputGradient: Tensor, weight: Tensor, inputShape: [Int], geometry: Convolution2DGeometry, workers: Workers = .default) throws(TensorError) -> Tensor {
        let s = try ConvolutionShape(inputShape: inputShape, weightShape: weight.shape, geometry: geometry)
        guard outputGradient.shape == s.outputShape else {
            throw .shapeMismatch(operation: "conv2d backward", expected: s.outputShape, actual: outputGradient.shape)
        }
        // The engine writes every element, so the storage starts uninitialised.
        let count = inputShape.reduce(1, *)
        let inputGradient = Tensor.uninitializedStorage(count: count) { dx in
            outputGradient.withUnsafeBufferPointer { dy in
                weight.withUnsafeBufferPointer { w in
                    ConvolutionEngine.backwardInput(s, dy: dy, w: w, dx: dx, workers: workers)
                }
            }
        }
        return Tensor(uncheckedShape: inputShape, scalars: inputGradient)
    }

    /// The gradient with respect to the weights, given the input and the gradient at the output.
    public static func backwardWeight(outputGradient: Tensor, input: Tensor, weightShape: [Int], geometry: Convolution2DGeometry, workers: Workers = .default) throws(TensorError) -> Tensor {
        let s = try ConvolutionShape(inputShape: input.shape, weightShape: weightShape, geometry: geometry)
        guard outputGradient.shape == s.outputShape else {
            throw .shapeMismatch(operation: "conv2d backward", expected: s.outputShape, actual: outputGradient.shape)
        }
        var weightGradient = [Float](repeating: 0, count: weightShape.reduce(1, *))
        outputGradient.withUnsafeBufferPointer { dy in
            input.withUnsafeBufferPointer { x in
                weightGradient.withUnsafeMutableBufferPointer { dw in
                    ConvolutionEngine.backwardWeight(s, dy: dy, x: x, dw: dw, workers: workers)
                }
            }
        }
        return Tensor(uncheckedShape: weightShape, scalars: weightGradient)
    }

    /// The gradient with respect to a per-channel bias: the output gradient summed over N, H, W.
    public static func backwardBias(outputGradient: Tensor) -> Tensor {
        let shape = outputGradient.shape
        guard shape.count >= 2 else { return outputGradient }
        let channels = shape[1]
        let plane = shape.dropFirst(2).reduce(1, *)
        var result = [Double](repeating: 0, count: channels)
        outputGradient.withUnsafeBufferPointer { dy in
            for n in 0..<shape[0] {
                for c in 0..<channels {
                    let base = (n * channels + c) * plane
                    var total: Float = 0
                    for i in 0..<plane { total += dy[base + i] }
                    result[c] += Double(total)
                }
            }
        }
        return Tensor(uncheckedShape: [channels], scalars: result.map { Float($0) })
    }
}
