import RectGradCore

/// Bilinear resizing of `[N, C, h, w]` maps, used to bring layer maps (Grad-CAM) to the input's size.
///
/// The convention is PyTorch's `F.interpolate(mode: "bilinear", align_corners: False)`, which
/// Captum's `LayerAttribution.interpolate` uses: pixel centres sit at half-integer positions, the
/// source coordinate of output index `i` is `(i + 0.5) · (h / H) − 0.5`, clamped below at 0, and
/// the right/bottom neighbour is clamped to the last row or column.
public enum BilinearUpsampling {
    /// `map` resized to `height × width`.
    /// - Throws: ``AttributionError/invalidMap(_:)`` when `map` is not `[N, C, h, w]` with
    ///   positive extents or the target size is not positive.
    public static func resize(_ map: Tensor, height: Int, width: Int) throws(AttributionError) -> Tensor {
        guard map.rank == 4, map.shape.allSatisfy({ $0 > 0 }), height > 0, width > 0 else {
            throw .invalidMap("bilinear resizing needs an [N, C, h, w] map and a positive size, got \(map.shape) → \(height)×\(width)")
        }
        let (planes, h, w) = (map.shape[0] * map.shape[1], map.shape[2], map.shape[3])
        let rows = (0..<height).map { sourceCoordinate($0, input: h, output: height) }
        let columns = (0..<width).map { sourceCoordinate($0, input: w, output: width) }
        var result = [Float](repeating: 0, count: planes * height * width)
        map.withUnsafeBufferPointer { source in
            for plane in 0..<planes {
                let base = plane * h * w
                for (y, row) in rows.enumerated() {
                    for (x, column) in columns.enumerated() {
                        let top = (1 - row.weight) * ((1 - column.weight) * source[base + row.low * w + column.low] + column.weight * source[base + row.low * w + column.high])
                        let bottom = row.weight * ((1 - column.weight) * source[base + row.high * w + column.low] + column.weight * source[base + row.high * w + column.high])
                        result[(plane * height + y) * width + x] = top + bottom
                    }
                }
            }
        }
        do { return try Tensor(shape: [map.shape[0], map.shape[1], height, width], scalars: result) } catch {
            throw .invalidMap(error.description)
        }
    }

    /// The two source indices and the weight of the second for output index `index`.
    static func sourceCoordinate(_ index: Int, input: Int, output: Int) -> (low: Int, high: Int, weight: Float) {
        let scale = Float(input) / Float(output)
        let position = max(scale * (Float(index) + 0.5) - 0.5, 0)
        let low = min(Int(position), input - 1)
        let high = low < input - 1 ? low + 1 : low
        return (low, high, position - Float(low))
    }
}
