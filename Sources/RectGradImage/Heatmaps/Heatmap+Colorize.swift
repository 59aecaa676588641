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
}
