import RectGradCore

/// The evaluation quantities of the paper, on `[H, W]` maps.
public enum EvaluationMetrics {
    /// Attribution outside an object mask.
    public struct OutsideMask: Sendable, Equatable {
        /// `Σ_outside |M|`.
        public var total: Double
        /// `Σ_outside |M| / Σ_all |M|` (0 for an all-zero map).
        public var fraction: Double
    }

    /// Total variation of a map.
    public struct TotalVariation: Sendable, Equatable {
        /// `Σ |M[y+1, x] − M[y, x]| + Σ |M[y, x+1] − M[y, x]|`.
        public var total: Double
        /// `total / Σ |M|` (0 for an all-zero map).
        public var normalized: Double
    }

    /// `Σ |M|` over the pixels where `mask` is `false` (outside the object), raw and as a fraction.
    ///
    /// - Parameters:
    ///   - map: an `[H, W]` map.
    ///   - mask: `H·W` flags in row-major order, `true` on the object.
    /// - Throws: ``AttributionError/invalidMap(_:)`` when the sizes differ.
    public static func outsideMask(_ map: Tensor, mask: [Bool]) throws -> OutsideMask {
        guard map.rank == 2, mask.count == map.count else {
            throw AttributionError.invalidMap("map \(map.shape) and mask of \(mask.count) pixels do not match")
        }
        var outside = 0.0, all = 0.0
        for i in 0..<map.count {
            let value = Double(abs(map[flat: i]))
            all += value
            if !mask[i] { outside += value }
        }
        return OutsideMask(total: outside, fraction: all > 0 ? outside / all : 0)
    }

    /// The paper's protocol for attribution outside the mask, from one example's attribution
    /// `[C, H, W]` by `method`: maps of the RectGrad family (``AttributionMethod/isRectGradFamily``)
    /// are rectified (`max(A, 0)`) and preprocessed with `(0, 100)`; the other methods' with `(95, 100)`.
    public static func outsideMask(attribution: Tensor, mask: [Bool], method: AttributionMethod) throws -> OutsideMask {
        let map = method.isRectGradFamily
            ? try DisplayPreprocessing.preprocess(attribution.map { max($0, 0) }, lowerPercentile: 0, upperPercentile: 100)
            : try DisplayPreprocessing.preprocess(attribution, lowerPercentile: 95, upperPercentile: 100)
        return try outsideMask(map, mask: mask)
    }

    /// The total variation of an `[H, W]` map, raw and divided by `Σ |M|`.
    /// - Throws: ``AttributionError/invalidMap(_:)`` for another rank.
    public static func totalVariation(_ map: Tensor) throws -> TotalVariation {
        guard map.rank == 2 else { throw AttributionError.invalidMap("expected an [H, W] map, got \(map.shape)") }
        let (h, w) = (map.shape[0], map.shape[1])
        var total = 0.0, mass = 0.0
        map.withUnsafeBufferPointer { m in
            for y in 0..<h {
                for x in 0..<w {
                    let value = Double(m[y * w + x])
                    mass += abs(value)
                    if y + 1 < h { total += abs(Double(m[(y + 1) * w + x]) - value) }
                    if x + 1 < w { total += abs(Double(m[y * w + x + 1]) - value) }
                }
            }
        }
        return TotalVariation(total: total, normalized: mass > 0 ? total / mass : 0)
    }
}
