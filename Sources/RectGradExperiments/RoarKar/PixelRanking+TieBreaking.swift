import RectGradCore

extension PixelRanking {
    /// The standard deviation of the noise the paper's notebook adds to every pixel score before
    /// ranking (`np.random.normal(scale=1e-4)`), so that equal scores are ordered at random.
    public static let paperTieBreakingNoise = 1e-4

    /// Seeded Gaussian noise `N(0, standardDeviation²)`, one value per pixel; equal seeds give equal
    /// noise on every platform.
    public static func tieBreakingNoise(count: Int, standardDeviation: Double, seed: UInt64) -> [Double] {
        var random = SeededGenerator(seed: seed)
        return (0..<max(count, 0)).map { _ in random.nextGaussian() * standardDeviation }
    }

    /// Pixel indices from the highest score to the lowest after adding seeded noise
    /// `N(0, standardDeviation²)` to every score (in Double), as the paper's notebook ranks: equal
    /// scores are ordered at random; scores that differ by much more than the noise keep their
    /// order. Remaining exact ties (a zero deviation) keep row-major order.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for a NaN score or a negative or
    ///   non-finite deviation.
    public static func order(_ scores: [Float], tieBreakingNoise standardDeviation: Double, seed: UInt64) throws(ExperimentError) -> [Int] {
        guard standardDeviation.isFinite, standardDeviation >= 0 else {
            throw .invalidOption(name: "tie-breaking-noise", reason: "\(standardDeviation) is not a finite deviation ≥ 0")
        }
        guard !scores.contains(where: \.isNaN) else { throw .invalidOption(name: "scores", reason: "a score is NaN") }
        let noise = tieBreakingNoise(count: scores.count, standardDeviation: standardDeviation, seed: seed)
        let noisy = zip(scores, noise).map { Double($0) + $1 }
        return noisy.indices.sorted { noisy[$0] > noisy[$1] || (noisy[$0] == noisy[$1] && $0 < $1) }
    }
}
