import RectGradCore

extension Heatmap {
    /// One example's attribution as a map of normalised values for ``render(_:sign:view:image:opacity:)``:
    ///
    /// 1. the paper's display post-processing `DisplayPreprocessing.preprocess` with `finalThreshold`
    ///    (e.g. the method's `defaultFinalThreshold`) of `A` (``HeatmapSign/all``,
    ///    ``HeatmapSign/positive``), of `−A` (``HeatmapSign/negative``) or of `|A|`
    ///    (``HeatmapSign/absolute``) → `M`;
    /// 2. ``HeatmapSign/all``: `t = M / max|M|` in [−1, 1]; the others: `t = max(M, 0) / max(M)` in [0, 1].
    ///
    /// An all-zero map stays zero.
    /// - Parameter attribution: `[C, H, W]` or `[1, C, H, W]`.
    /// - Throws: ``TensorError`` as `DisplayPreprocessing.preprocess` for the shape, the percentiles and non-finite values.
    public static func normalizedMap(
        _ attribution: Tensor, sign: HeatmapSign, finalThreshold: (lower: Double, upper: Double)
    ) throws(TensorError) -> Tensor {
        let source = sign == .negative ? attribution.scaled(by: -1, workers: .serial) : attribution
        var map = try DisplayPreprocessing.preprocess(
            source, lowerPercentile: finalThreshold.lower, upperPercentile: finalThreshold.upper, absolute: sign == .absolute)
        if sign != .all {
            map.withUnsafeMutableBufferPointer { values in
                for i in values.indices { values[i] = Swift.max(values[i], 0) }
            }
        }
        let scale = DisplayPreprocessing.symmetricRange(map)
        guard scale > 0 else { return map }
        map.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] /= scale }
        }
        return map
    }

    /// Paints a normalised map `[H, W]` (``normalizedMap(_:sign:finalThreshold:)``) in one of the views.
    ///
    /// - ``HeatmapView/heatmap``: each pixel is `sign.color(at: t)`.
    /// - ``HeatmapView/blended``: the input's grey level `g = (R + G + B) / 3` mixed with that colour
    ///   `c` per channel: `g + w (c − g)` with `w = opacity · |t|`.
    /// - ``HeatmapView/masked``: the input's channels times `|t|`.
    ///
    /// Results are rounded to nearest (halves away from zero).
    /// - Parameters:
    ///   - image: the input at the map's size; required by the blended and masked views.
    ///   - opacity: the blended view's weight of the colour at `|t| = 1`, in [0, 1] (default 0.7).
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for a map that is not `[H, W]`,
    ///   a missing image or one of another size, or an opacity outside [0, 1];
    ///   ``TensorError/nonFinite(operation:)`` for NaN or infinity in the map.
    public static func render(
        _ normalized: Tensor, sign: HeatmapSign, view: HeatmapView = .heatmap, image: RGBImage? = nil, opacity: Float = 0.7
    ) throws(TensorError) -> RGBImage {
        let operation = "Heatmap.render"
        let (height, width) = try mapDimensions(normalized, operation: operation)
        guard opacity.isFinite, (0...1).contains(opacity) else {
            throw .invalidArgument(operation: operation, reason: "opacity must be in [0, 1], got \(opacity)")
        }
        var pixels = [UInt8](repeating: 0, count: height * width * 3)
        func byte(_ value: Float) -> UInt8 { UInt8(Swift.min(Swift.max(value.rounded(.toNearestOrAwayFromZero), 0), 255)) }
        let t = normalized.scalars
        if view == .heatmap {
            for i in 0..<(height * width) {
                let color = sign.color(at: t[i])
                (pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]) = (color.red, color.green, color.blue)
            }
            return RGBImage(validatedWidth: width, height: height, pixels: pixels)
        }
        guard let image else {
            throw .invalidArgument(operation: operation, reason: "the \(view) view needs the input image")
        }
        guard image.width == width, image.height == height else {
            throw .invalidArgument(operation: operation, reason: "the image is \(image.width)×\(image.height), the map \(width)×\(height)")
        }
        let source = image.pixels
        for i in 0..<(height * width) {
            let weight = abs(t[i])
            let (r, g, b) = (Float(source[3 * i]), Float(source[3 * i + 1]), Float(source[3 * i + 2]))
            switch view {
            case .heatmap:
                break
            case .blended:
                let grey = (r + g + b) / 3
                let color = sign.color(at: t[i])
                let w = opacity * weight
                pixels[3 * i] = byte(grey + w * (Float(color.red) - grey))
                pixels[3 * i + 1] = byte(grey + w * (Float(color.green) - grey))
                pixels[3 * i + 2] = byte(grey + w * (Float(color.blue) - grey))
            case .masked:
                pixels[3 * i] = byte(r * weight)
                pixels[3 * i + 1] = byte(g * weight)
                pixels[3 * i + 2] = byte(b * weight)
            }
        }
        return RGBImage(validatedWidth: width, height: height, pixels: pixels)
    }
}
