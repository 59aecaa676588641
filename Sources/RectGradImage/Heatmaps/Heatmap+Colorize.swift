import RectGradCore

extension Heatmap {
    /// Paints a map `[H, W]` with a diverging colormap over the symmetric range `[−v, v]`.
    /// - Parameters:
    ///   - map: for example the output of `DisplayPreprocessing.preprocess`.
    ///   - colormap: default ``DivergingColormap/blueWhiteRed`` (0 → white, +v → red, −v → blue).
    ///   - limit: `v`; `nil` (default) uses `DisplayPreprocessing.symmetricRange`, `max(|min M|, |max M|)`.
    ///     Pass a shared value to put several maps on one scale. An all-zero map is all white.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` unless `map` has shape
    ///   `[H, W]`, ``TensorError/nonFinite(operation:)`` for NaN or infinite values or limit.
    public static func colorize(
        _ map: Tensor, colormap: DivergingColormap = .blueWhiteRed, limit: Float? = nil
    ) throws(TensorError) -> RGBImage {
        let operation = "Heatmap.colorize"
        let (height, width) = try mapDimensions(map, operation: operation)
        let v = limit ?? DisplayPreprocessing.symmetricRange(map)
        guard v.isFinite else { throw .nonFinite(operation: operation) }
        var pixels = [UInt8](repeating: 0, count: height * width * 3)
        map.withUnsafeBufferPointer { values in
            for i in 0..<(height * width) {
                let color = colormap.color(for: values[i], limit: v)
                pixels[3 * i] = color.red
                pixels[3 * i + 1] = color.green
                pixels[3 * i + 2] = color.blue
            }
        }
        return RGBImage(validatedWidth: width, height: height, pixels: pixels)
    }

    /// Paints a map and blends it over the greyscale version of `image`:
    /// `out = round(opacity · heat + (1 − opacity) · luma(image))` per channel.
    /// - Parameters:
    ///   - image: the input the map explains; must be `W × H` like the map.
    ///   - opacity: the heatmap's weight in [0, 1]; 1 shows the heatmap alone, 0 the grey image.
    /// - Throws: as ``colorize(_:colormap:limit:)``, plus
    ///   ``TensorError/shapeMismatch(operation:expected:actual:)`` when the sizes differ (as `[H, W]`)
    ///   and ``TensorError/invalidArgument(operation:reason:)`` for an opacity outside [0, 1].
    public static func colorize(
        _ map: Tensor, over image: RGBImage, opacity: Float, colormap: DivergingColormap = .blueWhiteRed,
        limit: Float? = nil
    ) throws(TensorError) -> RGBImage {
        let operation = "Heatmap.colorize(over:)"
        guard opacity >= 0, opacity <= 1 else {
            throw .invalidArgument(operation: operation, reason: "opacity must lie in [0, 1], got \(opacity)")
        }
        let heat = try colorize(map, colormap: colormap, limit: limit)
        guard heat.width == image.width, heat.height == image.height else {
            throw .shapeMismatch(operation: operation, expected: [heat.height, heat.width], actual: [image.height, image.width])
        }
        var output = heat
        let gray = image.grayscale()
        output.withUnsafeMutablePixels { target in
            gray.pixels.withUnsafeBufferPointer { background in
                for i in target.indices {
                    let value = opacity * Float(target[i]) + (1 - opacity) * Float(background[i])
                    target[i] = RGBImage.clampedByte(value)
                }
            }
        }
        return output
    }
}

extension Heatmap {
    /// The paper's display in one call: `DisplayPreprocessing.preprocess`,
    /// then ``colorize(_:colormap:limit:)`` over the map's own symmetric range, or
    /// ``colorize(_:over:opacity:colormap:limit:)`` when `image` is given.
    /// - Parameters:
    ///   - attribution: shape `[C, H, W]` or `[1, C, H, W]`.
    ///   - image: an optional `W × H` input to blend over (as greyscale).
    ///   - opacity: the heatmap's weight when blending (default 0.5).
    /// - Throws: as the functions it composes.
    public static func render(
        _ attribution: Tensor, lowerPercentile: Double, upperPercentile: Double, absolute: Bool = false,
        over image: RGBImage? = nil, opacity: Float = 0.5, colormap: DivergingColormap = .blueWhiteRed
    ) throws(TensorError) -> RGBImage {
        let map = try DisplayPreprocessing.preprocess(
            attribution, lowerPercentile: lowerPercentile, upperPercentile: upperPercentile, absolute: absolute)
        guard let image else { return try colorize(map, colormap: colormap) }
        return try colorize(map, over: image, opacity: opacity, colormap: colormap)
    }
}
