import RectGradCore

/// The paper's post-processing for display (its "final threshold"): channel sum and percentile
/// clipping of one example's attribution. This is the single implementation in the package.
public enum DisplayPreprocessing {
    /// `preprocess(A, q1, q2)` of the spec for one example.
    ///
    /// 1. optionally `abs`; 2. sum over channels → `M` (H×W); 3. `lo`, `hi` = the `q1`-th and
    /// `q2`-th percentiles of `M` (linear interpolation, as NumPy); 4. values below `lo` become 0
    /// if `lo > 0`, else `lo`; all others are clipped to `[lo, hi]`.
    ///
    /// - Parameters:
    ///   - attribution: one example, `[C, H, W]` or `[1, C, H, W]`.
    ///   - lowerPercentile: q1 in [0, 100].
    ///   - upperPercentile: q2 in [0, 100].
    ///   - absolute: take `abs` before the channel sum (default off).
    /// - Returns: the `[H, W]` map.
    /// - Throws: ``AttributionError`` for another shape, non-finite values, or percentiles outside
    ///   `0 ≤ lower ≤ upper ≤ 100`.
    public static func preprocess(_ attribution: Tensor, lowerPercentile: Double, upperPercentile: Double, absolute: Bool = false) throws -> Tensor {
        guard lowerPercentile.isFinite, upperPercentile.isFinite, 0 <= lowerPercentile, lowerPercentile <= upperPercentile, upperPercentile <= 100 else {
            throw AttributionError.invalidParameter(name: "percentiles", reason: "must satisfy 0 ≤ lower ≤ upper ≤ 100, got \(lowerPercentile) and \(upperPercentile)")
        }
        guard attribution.isFinite else { throw AttributionError.invalidMap("the attribution contains NaN or infinity") }
        let summed = try channelSum(attribution, absolute: absolute)
        var scratch = summed.scalars
        let low = Percentile.value(of: &scratch, percentile: lowerPercentile, interpolation: .linear)
        let high = Percentile.value(of: &scratch, percentile: upperPercentile, interpolation: .linear)
        return summed.map { value in
            if value < low { return low > 0 ? 0 : low }
            return min(value, high)
        }
    }

    /// The channel sum `Σ_c A[c]` (optionally of `|A|`) of one example, `[H, W]`.
    /// - Throws: ``AttributionError/invalidMap(_:)`` unless `attribution` is `[C, H, W]` or `[1, C, H, W]`.
    public static func channelSum(_ attribution: Tensor, absolute: Bool = false) throws -> Tensor {
        let shape: [Int]
        if attribution.rank == 3 {
            shape = attribution.shape
        } else if attribution.rank == 4, attribution.shape[0] == 1 {
            shape = Array(attribution.shape.dropFirst())
        } else {
            throw AttributionError.invalidMap("expected one example [C, H, W] or [1, C, H, W], got \(attribution.shape)")
        }
        let (c, h, w) = (shape[0], shape[1], shape[2])
        var result = [Float](repeating: 0, count: h * w)
        attribution.withUnsafeBufferPointer { a in
            for channel in 0..<c {
                for i in 0..<(h * w) {
                    let value = a[channel * h * w + i]
                    result[i] += absolute ? abs(value) : value
                }
            }
        }
        return try Tensor(shape: [h, w], scalars: result)
    }

    /// The symmetric colour range `v = max(|min M|, |max M|)` for a diverging colormap over `[−v, v]`.
    public static func symmetricRange(_ map: Tensor) -> Float {
        guard map.count > 0 else { return 0 }
        return max(abs(map.min()), abs(map.max()))
    }
}
