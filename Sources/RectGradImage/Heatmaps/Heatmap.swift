import RectGradCore

/// Turning attribution maps into pictures: the paper's display post-processing
/// (`DisplayPreprocessing.preprocess` in RectGradCore), the diverging colormap
/// (``colorize(_:colormap:limit:)``), and Captum-style sign modes and views
/// (``normalizedMap(_:sign:finalThreshold:)`` then ``render(_:sign:view:image:opacity:)``):
///
/// ```swift
/// let t = try Heatmap.normalizedMap(result.map.example(0), sign: .positive, finalThreshold: method.defaultFinalThreshold)
/// let picture = try Heatmap.render(t, sign: .positive, view: .blended, image: photo)
/// ```
///
/// Attributions are tensors of shape `[C, H, W]` or `[1, C, H, W]`; maps are `[H, W]`.
public enum Heatmap {
    /// Validates a `[H, W]` map.
    static func mapDimensions(_ map: Tensor, operation: String) throws(TensorError) -> (height: Int, width: Int) {
        guard map.rank == 2, map.shape[0] > 0, map.shape[1] > 0 else {
            throw .invalidArgument(operation: operation, reason: "expected a map of shape [H, W], got \(map.shape)")
        }
        guard map.scalars.allSatisfy(\.isFinite) else { throw .nonFinite(operation: operation) }
        return (map.shape[0], map.shape[1])
    }
}
