import RectGradCore

/// How raw RGB pixels in `0...255` become a network input: resize to ``inputSize``, then
/// `(pixel / 255 − mean[c]) / std[c]` per channel, in NCHW layout.
///
/// With `mean = std = 0.5` this is `pixel / 127.5 − 1` (the scaling of `cifar-cnn` and
/// `efficientnet-lite0`); torchvision's VGG and ResNet weights expect the ImageNet statistics.
public struct Preprocessing: Sendable, Equatable, CustomStringConvertible {
    /// The height and width an image is resized to.
    public var inputSize: Size2D
    /// Per-channel mean of `pixel / 255`, in RGB order.
    public var mean: [Float]
    /// Per-channel standard deviation of `pixel / 255`, in RGB order.
    public var standardDeviation: [Float]

    /// Creates a preprocessing description.
    public init(inputSize: Size2D, mean: [Float], standardDeviation: [Float]) {
        self.inputSize = inputSize
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// `pixel / 127.5 − 1`: RGB scaled to `[-1, 1]`.
    public static func symmetric(inputSize: Size2D) -> Preprocessing {
        Preprocessing(inputSize: inputSize, mean: [0.5, 0.5, 0.5], standardDeviation: [0.5, 0.5, 0.5])
    }

    /// torchvision's ImageNet normalisation: mean `(0.485, 0.456, 0.406)`, std `(0.229, 0.224, 0.225)`.
    public static func imageNetStatistics(inputSize: Size2D) -> Preprocessing {
        Preprocessing(inputSize: inputSize, mean: [0.485, 0.456, 0.406], standardDeviation: [0.229, 0.224, 0.225])
    }

    /// `true` when this is `pixel / 127.5 − 1`.
    public var isSymmetric: Bool { mean == [0.5, 0.5, 0.5] && standardDeviation == [0.5, 0.5, 0.5] }

    /// A one-line summary, e.g. `224×224 RGB, pixel / 127.5 − 1`.
    public var description: String {
        let size = "\(inputSize.height)×\(inputSize.width) RGB"
        if isSymmetric { return "\(size), pixel / 127.5 - 1" }
        let m = mean.map { "\($0)" }.joined(separator: ", "), s = standardDeviation.map { "\($0)" }.joined(separator: ", ")
        return "\(size), (pixel / 255 - mean) / std with mean (\(m)), std (\(s))"
    }

    /// Normalises an already resized `[N, C, H, W]` (or `[C, H, W]`) tensor of pixels in `0...255`.
    ///
    /// The size is not checked here (networks check their input); the channel count must match.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:actual:)`` for a wrong rank or channel count.
    public func normalize(pixels: Tensor) throws(TensorError) -> Tensor {
        let channelAxis = pixels.rank == 4 ? 1 : 0
        guard pixels.rank == 3 || pixels.rank == 4, pixels.shape[channelAxis] == mean.count else {
            throw .shapeMismatch(operation: "preprocessing", expected: [-1, mean.count, -1, -1], actual: pixels.shape)
        }
        let channels = mean.count
        let plane = pixels.shape[(channelAxis + 1)...].reduce(1, *)
        var result = pixels
        let scale = mean.indices.map { 1 / (255 * standardDeviation[$0]) }
        let shift = mean.indices.map { -mean[$0] / standardDeviation[$0] }
        result.withUnsafeMutableBufferPointer { values in
            for start in stride(from: 0, to: values.count, by: plane) {
                let c = (start / plane) % channels
                for i in start..<(start + plane) { values[i] = values[i] * scale[c] + shift[c] }
            }
        }
        return result
    }
}
