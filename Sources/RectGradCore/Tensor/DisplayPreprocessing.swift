/// The paper's post-processing of attribution maps for display and evaluation (its "final
/// threshold"): channel sum and percentile clipping of one example. The single implementation in
/// the package; heatmaps (RectGradImage) and the evaluation metrics (RectGradAttribution) use it.
public enum DisplayPreprocessing {
    /// The paper's post-processing for display ("final threshold"), for one example:
    ///
    /// 1. optionally take the absolute value of every element (`absolute`);
    /// 2. sum over channels → an `H × W` map `M`;
    /// 3. `lo` = the `lowerPercentile`-th and `hi` = the `upperPercentile`-th percentile of `M`,
    ///    with NumPy's default linear interpolation (`position = q/100 · (n − 1)` on the sorted values);
    /// 4. values below `lo` become 0 if `lo > 0`, else `lo`; all others are clipped to `[lo, hi]`.
    ///
    /// The paper shows RectGrad with `(0.5, 99.5)` and the baselines with `(0.5, 99.5)` and with the
    /// "baseline final threshold" `(95, 99.5)`.
    /// - Returns: the processed map, shape `[H, W]`.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for a shape other than
    ///   `[C, H, W]` / `[1, C, H, W]` with positive extents or unless `0 ≤ lower ≤ upper ≤ 100`, and
    ///   ``TensorError/nonFinite(operation:)`` when the attribution holds NaN or infinity.
    public static func preprocess(
        _ attribution: Tensor, lowerPercentile: Double, upperPercentile: Double, absolute: Bool = false
    ) throws(TensorError) -> Tensor {
        let operation = "DisplayPreprocessing.preprocess"
        guard lowerPercentile.isFinite, upperPercentile.isFinite,
              0 <= lowerPercentile, lowerPercentile <= upperPercentile, upperPercentile <= 100 else {
            throw .invalidArgument(
                operation: operation,
                reason: "percentiles must satisfy 0 ≤ lower ≤ upper ≤ 100, got \(lowerPercentile) and \(upperPercentile)")
        }
        var map = try channelSum(attribution, absolute: absolute, operation: operation)
        var scratch = map.scalars
        let lo = Percentile.value(of: &scratch, percentile: lowerPercentile, interpolation: .linear, workers: .serial)
        let hi = Percentile.value(of: &scratch, percentile: upperPercentile, interpolation: .linear, workers: .serial)
        let below: Float = lo > 0 ? 0 : lo
        map.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                let value = values[i]
                values[i] = value < lo ? below : Swift.min(value, hi)
            }
        }
        return map
    }

    /// The sum over channels of an attribution (of the absolute values when `absolute`), shape `[H, W]`.
    /// Channels are added in order, in `Float`.
    /// - Throws: as ``preprocess(_:lowerPercentile:upperPercentile:absolute:)`` for the shape and non-finite values.
    public static func channelSum(_ attribution: Tensor, absolute: Bool = false) throws(TensorError) -> Tensor {
        try channelSum(attribution, absolute: absolute, operation: "DisplayPreprocessing.channelSum")
    }

    /// `v = max(|min M|, |max M|)`, the half-width of the symmetric colour range (0 for an empty map).
    public static func symmetricRange(_ map: Tensor) -> Float {
        map.scalars.reduce(Float(0)) { Swift.max($0, abs($1)) }
    }

    private static func channelSum(_ attribution: Tensor, absolute: Bool, operation: String) throws(TensorError) -> Tensor {
        let shape = attribution.shape
        let dimensions: [Int]
        switch shape.count {
        case 3: dimensions = shape
        case 4 where shape[0] == 1: dimensions = Array(shape.dropFirst())
        default: throw shapeError(operation, shape)
        }
        let (channels, height, width) = (dimensions[0], dimensions[1], dimensions[2])
        guard channels > 0, height > 0, width > 0 else {
            throw shapeError(operation, shape)
        }
        let plane = height * width
        var sum = [Float](repeating: 0, count: plane)
        var finite = true
        attribution.withUnsafeBufferPointer { values in
            for channel in 0..<channels {
                let base = channel * plane
                for i in 0..<plane {
                    let value = values[base + i]
                    if !value.isFinite { finite = false }
                    sum[i] += absolute ? abs(value) : value
                }
            }
        }
        guard finite else { throw .nonFinite(operation: operation) }
        return try Tensor(shape: [height, width], scalars: sum)
    }

    private static func shapeError(_ operation: String, _ shape: [Int]) -> TensorError {
        .invalidArgument(operation: operation, reason: "expected shape [C, H, W] or [1, C, H, W] with positive extents, got \(shape)")
    }

}
