import RectGradCore

/// Ranking the pixels of an image by an attribution map and replacing a share of them, as in the
/// ROAR / KAR benchmark (Hooker et al., 2019) the paper evaluates RectGrad with.
///
/// Every function is deterministic: scores are ranked in descending order and ties go to the
/// pixel that comes first in row-major order; the random ranking is a Fisher–Yates shuffle driven
/// by a `RectGradCore/SeededGenerator`.
///
/// ```swift
/// let scores = try PixelRanking.scores(of: map, positivePartOnly: true)   // [H·W]
/// let order = try PixelRanking.order(scores)                               // most important first
/// let replaced = try PixelRanking.replacedPixels(order: order, percentage: 30, mode: .removeTop)
/// ```
public enum PixelRanking {
    /// The per-pixel score of an attribution map `[C, H, W]` or `[1, C, H, W]`: the sum over
    /// channels, with every value first replaced by `max(value, 0)` when `positivePartOnly` (the
    /// spec's protocol for RectGrad).
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for another shape or a non-finite value.
    public static func scores(of attribution: Tensor, positivePartOnly: Bool) throws(ExperimentError) -> [Float] {
        let shape = attribution.shape
        guard shape.count == 3 || (shape.count == 4 && shape[0] == 1), shape.allSatisfy({ $0 >= 1 }) else {
            throw .invalidOption(name: "attribution", reason: "expected a map [C, H, W] or [1, C, H, W], got \(shape)")
        }
        let channels = shape[shape.count - 3], plane = shape[shape.count - 2] * shape[shape.count - 1]
        var scores = [Float](repeating: 0, count: plane)
        attribution.withUnsafeBufferPointer { values in
            for c in 0..<channels {
                for p in 0..<plane {
                    let value = values[c * plane + p]
                    scores[p] += positivePartOnly ? max(value, 0) : value
                }
            }
        }
        guard scores.allSatisfy(\.isFinite) else {
            throw .invalidOption(name: "attribution", reason: "the map contains NaN or infinity")
        }
        return scores
    }

    /// Pixel indices from the highest score to the lowest; equal scores keep row-major order.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for a NaN score (which has no rank).
    public static func order(_ scores: [Float]) throws(ExperimentError) -> [Int] {
        guard !scores.contains(where: \.isNaN) else { throw .invalidOption(name: "scores", reason: "a score is NaN") }
        return scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    }

    /// A random order of `pixelCount` pixels: a Fisher–Yates shuffle of `0..<pixelCount` with a
    /// generator seeded by `seed` (equal seeds give equal orders on every platform).
    public static func randomOrder(pixelCount: Int, seed: UInt64) -> [Int] {
        var order = Array(0..<max(pixelCount, 0))
        var random = SeededGenerator(seed: seed)
        var i = order.count - 1
        while i > 0 {
            // Uniform in 0...i by the multiply-high method (bias below 2⁻⁶⁴·i).
            let j = Int(UInt64(i + 1).multipliedFullWidth(by: random.next()).high)
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }

    /// The number of pixels a percentage of `pixelCount` stands for: `p/100 · n` rounded to the
    /// nearest integer, halves to even (for 32×32 images: 10 % → 102, 30 % → 307, 50 % → 512,
    /// 70 % → 717, 90 % → 922).
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for a percentage outside `[0, 100]`.
    public static func count(percentage: Double, of pixelCount: Int) throws(ExperimentError) -> Int {
        guard percentage.isFinite, (0...100).contains(percentage) else {
            throw .invalidOption(name: "percentages", reason: "\(percentage) is not in [0, 100]")
        }
        return Int((percentage / 100 * Double(pixelCount)).rounded(.toNearestOrEven))
    }

    /// Which pixels are replaced: the first ``count(percentage:of:)`` pixels of `order` for
    /// ``RetrainingMode/removeTop`` (ROAR), every other pixel for ``RetrainingMode/keepTop`` (KAR).
    /// The two modes at the same percentage replace complementary sets.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` when `order` is not a permutation of
    ///   `0..<order.count` or the percentage is out of range.
    public static func replacedPixels(order: [Int], percentage: Double, mode: RetrainingMode) throws(ExperimentError) -> [Bool] {
        let n = order.count
        var seen = [Bool](repeating: false, count: n)
        for index in order {
            guard index >= 0, index < n, !seen[index] else {
                throw .invalidOption(name: "order", reason: "not a permutation of 0..<\(n)")
            }
            seen[index] = true
        }
        let top = try count(percentage: percentage, of: n)
        var replaced = [Bool](repeating: mode == .keepTop, count: n)
        for index in order.prefix(top) { replaced[index] = mode == .removeTop }
        return replaced
    }

    /// Replaces the flagged pixels of one image `[C·H·W]` (channel-major, as in NCHW) by `fill[c]`
    /// in every channel `c`.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` when the sizes disagree.
    public static func replace(_ image: inout [Float], pixels replaced: [Bool], fill: [Float]) throws(ExperimentError) {
        let plane = replaced.count
        guard plane > 0, fill.count * plane == image.count else {
            throw .invalidOption(name: "image", reason: "\(image.count) values do not make \(fill.count) channels of \(plane) pixels")
        }
        for (c, value) in fill.enumerated() {
            for p in 0..<plane where replaced[p] { image[c * plane + p] = value }
        }
    }

    /// The mean of every channel of a batch `[N, C, H, W]` (accumulated in Double).
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for another rank or an empty batch.
    public static func channelMeans(of images: Tensor) throws(ExperimentError) -> [Float] {
        guard images.rank == 4, images.count > 0 else {
            throw .invalidOption(name: "images", reason: "expected a non-empty batch [N, C, H, W], got \(images.shape)")
        }
        let (n, channels, plane) = (images.shape[0], images.shape[1], images.shape[2] * images.shape[3])
        var sums = [Double](repeating: 0, count: channels)
        images.withUnsafeBufferPointer { values in
            for example in 0..<n {
                for c in 0..<channels {
                    let start = (example * channels + c) * plane
                    var sum = 0.0
                    for p in start..<(start + plane) { sum += Double(values[p]) }
                    sums[c] += sum
                }
            }
        }
        return sums.map { Float($0 / Double(n * plane)) }
    }
}

/// Which share of the ranked pixels is replaced by the training-set mean before retraining.
public enum RetrainingMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// ROAR, remove and retrain: the top p % pixels are replaced.
    case removeTop = "roar"
    /// KAR, keep and retrain: every pixel except the top p % is replaced.
    case keepTop = "kar"

    public var description: String { rawValue.uppercased() }
}
