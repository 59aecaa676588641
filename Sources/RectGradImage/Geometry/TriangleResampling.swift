/// The normalised triangle-filter weights of one axis of a resize.
///
/// Output sample `i` of an axis resized from `n` to `m` samples, with `s = n / m` and
/// `f = max(s, 1)`, is centred at `c = (i + 0.5) · s` in input coordinates and reads
///
///     out[i] = Σ_j w(j) · in[j] / Σ_j w(j),   w(j) = max(0, 1 − |j + 0.5 − c| / f),
///
/// over the input indices `0 ≤ j < n` (so samples outside the image are left out and the
/// remaining weights renormalised, rather than the edge being repeated). When enlarging, `f = 1`
/// and this is plain bilinear interpolation between pixel centres (`align_corners = false`);
/// when shrinking, the triangle is stretched by the reduction factor so every input pixel
/// contributes (antialiasing), as Pillow's `BILINEAR` does.
struct TriangleResampling {
    /// The first input index each output sample reads.
    let firstIndex: [Int]
    /// The number of input samples each output sample reads.
    let tapCount: [Int]
    /// `outputSize × stride` weights, row `i` holding output `i`'s normalised weights.
    let weights: [Float]
    /// The row length of `weights` (the largest tap count).
    let stride: Int

    init(inputSize: Int, outputSize: Int) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = Swift.max(scale, 1)
        var rows: [(first: Int, weights: [Double])] = []
        rows.reserveCapacity(outputSize)
        for i in 0..<outputSize {
            let center = (Double(i) + 0.5) * scale
            let low = Swift.max(Int((center - filterScale - 0.5).rounded(.down)), 0)
            let high = Swift.min(Int((center + filterScale - 0.5).rounded(.up)), inputSize - 1)
            var first = -1
            var taps: [Double] = []
            for j in low...Swift.max(low, high) {
                let weight = Swift.max(0, 1 - abs(Double(j) + 0.5 - center) / filterScale)
                if weight > 0 {
                    if first < 0 { first = j }
                    taps.append(weight)
                } else if first >= 0 {
                    break
                }
            }
            // The nearest input centre is within 0.5 of `center`, so at least one weight is positive.
            let total = taps.reduce(0, +)
            rows.append((first: Swift.max(first, 0), weights: taps.map { $0 / total }))
        }
        let stride = rows.map(\.weights.count).max() ?? 1
        var weights = [Float](repeating: 0, count: outputSize * stride)
        for (i, row) in rows.enumerated() {
            for (k, weight) in row.weights.enumerated() {
                weights[i * stride + k] = Float(weight)
            }
        }
        self.firstIndex = rows.map(\.first)
        self.tapCount = rows.map(\.weights.count)
        self.weights = weights
        self.stride = stride
    }
}
