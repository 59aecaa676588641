import RectGradCore

extension RGBImage {
    /// The image as a tensor of shape `[1, 3, height, width]` (NCHW, channels red, green, blue),
    /// at its own size. A model's ``Preprocessing`` also brings the image to the input size:
    /// prefer ``Preprocessing/input(from:)-(RGBImage)`` for network inputs.
    /// - Parameter scaling: how pixel values become tensor values.
    public func tensor(scaling: PixelScaling) -> Tensor {
        var tensor = Tensor.zeros([1, 3, height, width])
        let plane = width * height
        tensor.withUnsafeMutableBufferPointer { buffer in
            pixels.withUnsafeBufferPointer { source in
                for channel in 0..<3 {
                    let base = channel * plane
                    for i in 0..<plane {
                        buffer[base + i] = scaling.value(of: source[3 * i + channel], channel: channel)
                    }
                }
            }
        }
        return tensor
    }

    /// Converts a model input back into an image, inverting `scaling` and rounding.
    /// - Parameter tensor: shape `[3, H, W]` or `[1, 3, H, W]`.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for any other shape.
    public init(tensor: Tensor, scaling: PixelScaling) throws(TensorError) {
        let shape = tensor.shape
        let (channels, height, width): (Int, Int, Int)
        switch shape.count {
        case 3: (channels, height, width) = (shape[0], shape[1], shape[2])
        case 4 where shape[0] == 1: (channels, height, width) = (shape[1], shape[2], shape[3])
        default: throw .invalidArgument(operation: "RGBImage(tensor:)", reason: "expected shape [3, H, W] or [1, 3, H, W], got \(shape)")
        }
        guard channels == 3, height > 0, width > 0 else {
            throw .invalidArgument(operation: "RGBImage(tensor:)", reason: "expected shape [3, H, W] or [1, 3, H, W], got \(shape)")
        }
        let plane = height * width
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        tensor.withUnsafeBufferPointer { values in
            for channel in 0..<3 {
                for i in 0..<plane {
                    pixels[3 * i + channel] = scaling.pixel(from: values[channel * plane + i], channel: channel)
                }
            }
        }
        self.init(validatedWidth: width, height: height, pixels: pixels)
    }
}
