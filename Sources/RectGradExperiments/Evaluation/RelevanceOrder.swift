import RectGradCore

/// The per-pixel relevance of an attribution map and the order in which the faithfulness checks
/// visit the pixels (deletion, insertion, MoRF / LeRF pixel flipping).
///
/// A pixel's relevance is the channel sum of the attribution at that pixel (signed: the most
/// positive evidence first), or of its absolute values. Equal relevances are ordered by a random key
/// per pixel drawn from a `RectGradCore/SeededGenerator`, so flat regions (zeros of a rectified map,
/// saturated saliency) are visited in a seeded random order rather than row by row.
///
/// ```swift
/// let relevance = try RelevanceOrder.relevance(of: map, absolute: false)   // [H·W]
/// let morf = try RelevanceOrder.pixels(relevance, direction: .mostRelevantFirst, seed: 0)
/// ```
public enum RelevanceOrder {
    /// Which end of the ranking comes first.
    public enum Direction: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Most relevant first (MoRF; deletion and insertion use this order).
        case mostRelevantFirst = "morf"
        /// Least relevant first (LeRF): the exact reverse of the MoRF order.
        case leastRelevantFirst = "lerf"

        public var description: String { rawValue.uppercased() }
    }

    /// The relevance of every pixel of an attribution `[C, H, W]` or `[1, C, H, W]`: the channel
    /// sum (of `|value|` when `absolute`), in row-major order.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `attribution` for another
    ///   shape or a non-finite value.
    public static func relevance(of attribution: Tensor, absolute: Bool = false) throws(ExperimentError) -> [Float] {
        let map: Tensor
        do { map = try DisplayPreprocessing.channelSum(attribution, absolute: absolute) } catch {
            throw .invalidOption(name: "attribution", reason: "\(error)")
        }
        guard map.isFinite else { throw .invalidOption(name: "attribution", reason: "the map contains NaN or infinity") }
        return map.scalars
    }

    /// The pixel indices of `relevance` in `direction`; equal values are ordered by seeded random keys
    /// (`seed`), and the LeRF order is the MoRF order reversed.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `relevance` for a NaN value.
    public static func pixels(_ relevance: [Float], direction: Direction = .mostRelevantFirst, seed: UInt64) throws(ExperimentError) -> [Int] {
        guard !relevance.contains(where: \.isNaN) else {
            throw .invalidOption(name: "relevance", reason: "a relevance value is NaN")
        }
        var random = SeededGenerator(seed: seed)
        let keys = relevance.map { _ in random.next() }
        let order = relevance.indices.sorted { a, b in
            relevance[a] != relevance[b] ? relevance[a] > relevance[b] : (keys[a] != keys[b] ? keys[a] < keys[b] : a < b)
        }
        return direction == .mostRelevantFirst ? order : order.reversed()
    }
}
