import RectGradAttribution
import RectGradCore

/// The paper's evaluation quantities averaged over explained images with known masks.
public struct MethodMetrics: Sendable, Equatable {
    /// The method.
    public var method: MethodName
    /// Whether the method is in the RectGrad family (`AttributionMethod/isRectGradFamily`).
    public var isRectGradFamily: Bool
    /// Mean `Σ_outside |M|` (the paper's protocol: RectGrad rectified with (0, 100), others (95, 100)).
    public var outsideTotal: Double
    /// Mean fraction of `Σ |M|` outside the object.
    public var outsideFraction: Double
    /// Mean total variation of the channel-summed map.
    public var totalVariation: Double
    /// Mean total variation divided by `Σ |M|`.
    public var normalizedTotalVariation: Double
    /// Images averaged.
    public var imageCount: Int
    /// Mean fraction of `Σ |M|` inside the occlusion patch (training-dataset occlusion experiment),
    /// when a patch region was given.
    public var patchFraction: Double? = nil

    /// Averages the metrics of `method` over every image that has a mask.
    /// - Parameters:
    ///   - method: the method whose maps are measured.
    ///   - images: the explained images; those without a mask are skipped.
    ///   - patch: `H·W` flags marking an occlusion patch; when given, the share of the map
    ///     inside it (same protocol as the outside-mask figure) is averaged too.
    public static func average(_ method: MethodName, over images: [ExplainedImage], patch: [Bool]? = nil) throws -> MethodMetrics? {
        var outside = 0.0, fraction = 0.0, variation = 0.0, normalized = 0.0, inPatch = 0.0, count = 0
        var isRectGradFamily = false
        for image in images {
            guard let mask = image.mask, let entry = image.maps.first(where: { $0.method == method }) else { continue }
            isRectGradFamily = entry.attributionMethod.isRectGradFamily
            let out = try EvaluationMetrics.outsideMask(attribution: entry.map, mask: mask, method: entry.attributionMethod)
            let tv = try EvaluationMetrics.totalVariation(DisplayPreprocessing.channelSum(entry.map))
            outside += out.total
            fraction += out.fraction
            variation += tv.total
            normalized += tv.normalized
            if let patch {
                // The share inside the patch is the share "outside" the complement of the patch.
                inPatch += try EvaluationMetrics.outsideMask(attribution: entry.map, mask: patch.map { !$0 }, method: entry.attributionMethod).fraction
            }
            count += 1
        }
        guard count > 0 else { return nil }
        let n = Double(count)
        return MethodMetrics(
            method: method, isRectGradFamily: isRectGradFamily, outsideTotal: outside / n, outsideFraction: fraction / n, totalVariation: variation / n,
            normalizedTotalVariation: normalized / n, imageCount: count, patchFraction: patch == nil ? nil : inPatch / n
        )
    }
}
