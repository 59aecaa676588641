import RectGradCore

extension RGBImage {
    /// The image as a model input of shape `[1, 3, height, width]` (NCHW).
    /// - Parameters:
    ///   - scaling: how pixel values become tensor values; default `pixel / 127.5 − 1`.
    ///   - channelOrder: ``ChannelOrder/rgb`` (default) or ``ChannelOrder/bgr``.
    public func tensor(scaling: PixelScaling = .minusOneToOne, channelOrder: ChannelOrder = .rgb) -> Tensor {
        var tensor = Tensor.zeros([1, 3, height, width])
        tensor.withUnsafeMutableBufferPointer { buffer in
            write(into: buffer, offset: 0, scaling: scaling, channelOrder: channelOrder)
        }
        return tensor
    }

    /// A batch of equally sized images as one tensor of shape `[N, 3, height, width]`.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` when `images` is empty
    ///   or the sizes differ.
    public static func batchTensor(
        _ images: [RGBImage], scaling: PixelScaling = .minusOneToOne, channelOrder: ChannelOrder = .rgb
    ) throws(ImageError) -> Tensor {
        guard let first = images.first else {
            throw ImageError(.invalidArgument(operation: "batchTensor", reason: "no images"))
        }
        for (index, image) in images.enumerated() where image.width != first.width || image.height != first.height {
            throw ImageError(.invalidArgument(
                operation: "batchTensor",
                reason: "image \(index) is \(image.width)×\(image.height), image 0 is \(first.width)×\(first.height)"))
        }
        let size = 3 * first.height * first.width
        var tensor = Tensor.zeros([images.count, 3, first.height, first.width])
        tensor.withUnsafeMutableBufferPointer { buffer in
            for (index, image) in images.enumerated() {
                image.write(into: buffer, offset: index * size, scaling: scaling, channelOrder: channelOrder)
            }
        }
        return tensor
    }

    /// Converts a model input back into an image, inverting `scaling` and rounding.
    /// - Parameter tensor: shape `[3, H, W]` or `[1, 3, H, W]`.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for any other shape.
    public init(tensor: Tensor, scaling: PixelScaling = .minusOneToOne, channelOrder: ChannelOrder = .rgb) throws(TensorError) {
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
                let component = channelOrder.sourceComponent(ofChannel: channel)
                for i in 0..<plane {
                    pixels[3 * i + component] = scaling.pixel(from: values[channel * plane + i], channel: channel)
                }
            }
        }
        self.init(validatedWidth: width, height: height, pixels: pixels)
    }

    /// Writes the three planes of this image at `offset` (in elements) of `buffer`.
    private func write(
        into buffer: UnsafeMutableBufferPointer<Float>, offset: Int, scaling: PixelScaling, channelOrder: ChannelOrder
    ) {
        let plane = width * height
        pixels.withUnsafeBufferPointer { source in
            for channel in 0..<3 {
                let component = channelOrder.sourceComponent(ofChannel: channel)
                let base = offset + channel * plane
                for i in 0..<plane {
                    buffer[base + i] = scaling.value(of: source[3 * i + component], channel: channel)
                }
            }
        }
    }
}
