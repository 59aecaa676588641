/// Localisation against exact object masks (the built-in shapes dataset has them).
///
/// - Pointing game (Zhang et al., 2016): a hit when the most relevant pixel lies on the object.
///   The maximum is the first maximal pixel in row-major order.
/// - Relevance-mass accuracy (Arras et al., 2022, *CLEVR-XAI*): the share of the positive relevance
///   that falls on the object, `Σ_mask max(R, 0) / Σ_all max(R, 0)`; undefined (`nil`) for a map
///   without positive relevance.
///
/// Both read a relevance map of `H·W` pixels (``RelevanceOrder/relevance(of:absolute:)``) and a mask
/// of `H·W` flags, `true` on the object.
public enum Localisation {
    /// Whether the most relevant pixel is on the object.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `mask` when the sizes differ
    ///   or the map is empty, `relevance` for a NaN value.
    public static func pointingGameHit(relevance: [Float], mask: [Bool]) throws(ExperimentError) -> Bool {
        try check(relevance, mask)
        var best = 0
        for i in relevance.indices where relevance[i] > relevance[best] { best = i }
        return mask[best]
    }

    /// The share of positive relevance on the object, or `nil` when no pixel has positive relevance.
    /// - Throws: as ``pointingGameHit(relevance:mask:)``.
    public static func relevanceMassAccuracy(relevance: [Float], mask: [Bool]) throws(ExperimentError) -> Double? {
        try check(relevance, mask)
        var inside = 0.0, total = 0.0
        for (value, onObject) in zip(relevance, mask) where value > 0 {
            total += Double(value)
            if onObject { inside += Double(value) }
        }
        return total > 0 ? inside / total : nil
    }

    private static func check(_ relevance: [Float], _ mask: [Bool]) throws(ExperimentError) {
        guard !relevance.isEmpty, relevance.count == mask.count else {
            throw .invalidOption(name: "mask", reason: "\(mask.count) mask flags for a map of \(relevance.count) pixels")
        }
        guard !relevance.contains(where: \.isNaN) else { throw .invalidOption(name: "relevance", reason: "a relevance value is NaN") }
    }
}
