extension RGBImage {
    /// The `width × height` rectangle whose top-left pixel is `(x, y)`.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` when the rectangle is
    ///   empty or leaves the image.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) throws(ImageError) -> RGBImage {
        _ = try Self.byteCount(width: cropWidth, height: cropHeight, operation: "cropped")
        guard x >= 0, y >= 0, x <= width - cropWidth, y <= height - cropHeight else {
            throw ImageError(.invalidArgument(
                operation: "cropped",
                reason: "rectangle \(cropWidth)×\(cropHeight) at (\(x), \(y)) leaves the \(width)×\(height) image"))
        }
        var output = [UInt8]()
        output.reserveCapacity(cropWidth * cropHeight * 3)
        for row in y..<(y + cropHeight) {
            let start = (row * width + x) * 3
            output.append(contentsOf: pixels[start..<(start + cropWidth * 3)])
        }
        return RGBImage(validatedWidth: cropWidth, height: cropHeight, pixels: output)
    }

    /// The centred `width × height` rectangle, placed as torchvision's `CenterCrop` places it:
    /// top = `round((H − h) / 2)`, left = `round((W − w) / 2)`, halves rounded to even.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` when the crop is larger
    ///   than the image (torchvision would pad; this refuses).
    public func centerCropped(width cropWidth: Int, height cropHeight: Int) throws(ImageError) -> RGBImage {
        guard cropWidth <= width, cropHeight <= height else {
            throw ImageError(.invalidArgument(
                operation: "centerCropped", reason: "crop \(cropWidth)×\(cropHeight) larger than the \(width)×\(height) image"))
        }
        let top = Int((Double(height - cropHeight) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(width - cropWidth) / 2).rounded(.toNearestOrEven))
        return try cropped(x: left, y: top, width: cropWidth, height: cropHeight)
    }
}
