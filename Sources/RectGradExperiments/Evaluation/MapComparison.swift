import RectGradCore

/// How similar two attribution maps of the same image are, in the four measures of Adebayo et al.
/// (2018): Spearman rank correlation of the absolute and of the signed channel-summed map, SSIM and
/// HOG similarity of the absolute maps (``MapSimilarity`` scales each map by its own maximum).
public struct MapComparison: Sendable, Equatable {
    /// Spearman rank correlation of `|M|`.
    public var spearmanAbsolute: Double
    /// Spearman rank correlation of the signed `M`.
    public var spearmanSigned: Double
    /// Mean SSIM of `|M|`.
    public var ssim: Double
    /// Cosine similarity of the HOG descriptors of `|M|`.
    public var hog: Double

    /// Creates a comparison.
    public init(spearmanAbsolute: Double, spearmanSigned: Double, ssim: Double, hog: Double) {
        self.spearmanAbsolute = spearmanAbsolute
        self.spearmanSigned = spearmanSigned
        self.ssim = ssim
        self.hog = hog
    }

    /// The names of the four measures, in the order of ``values``.
    public static let measureNames = ["spearman |M|", "spearman M", "SSIM", "HOG"]

    /// The four measures in the order of ``measureNames``.
    public var values: [Double] { [spearmanAbsolute, spearmanSigned, ssim, hog] }

    /// Compares two attributions `[C, H, W]` (or `[1, C, H, W]`) of the same image through their
    /// channel sums `M`.
    /// A measure is NaN where ``MapSimilarity`` calls it undefined (``ExperimentError/undefinedMeasure(_:)``):
    /// the rank correlations when a map is constant, HOG when a map has no gradients (a fully
    /// randomised network can give such maps).
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` when the shapes differ or a map is
    ///   not finite; ``MapSimilarity``'s errors.
    public static func compare(_ original: Tensor, _ other: Tensor) throws(ExperimentError) -> MapComparison {
        guard original.shape == other.shape else {
            throw .invalidOption(name: "attribution", reason: "maps of shapes \(original.shape) and \(other.shape) cannot be compared")
        }
        let a = try RelevanceOrder.relevance(of: original), b = try RelevanceOrder.relevance(of: other)
        let height = original.shape[original.rank - 2], width = original.shape[original.rank - 1]
        let absA = a.map(abs), absB = b.map(abs)
        let mapA: Tensor, mapB: Tensor
        do {
            mapA = try Tensor(shape: [height, width], scalars: absA)
            mapB = try Tensor(shape: [height, width], scalars: absB)
        } catch { throw .invalidOption(name: "attribution", reason: "\(error)") }
        // A constant map has no ranks and an all-zero map no gradients: those measures are NaN.
        func defined(_ measure: () throws(ExperimentError) -> Double) throws(ExperimentError) -> Double {
            do { return try measure() } catch {
                if case .undefinedMeasure = error { return .nan }
                throw error
            }
        }
        return MapComparison(
            spearmanAbsolute: try defined { () throws(ExperimentError) in try MapSimilarity.spearman(absA, absB) },
            spearmanSigned: try defined { () throws(ExperimentError) in try MapSimilarity.spearman(a, b) },
            ssim: try defined { () throws(ExperimentError) in try MapSimilarity.ssim(mapA, mapB) },
            hog: try defined { () throws(ExperimentError) in try MapSimilarity.hogSimilarity(mapA, mapB) }
        )
    }

    /// The mean of each measure over `comparisons`, skipping NaN values measure by measure (a
    /// constant map has no rank correlation); NaN where nothing is left.
    public static func mean(_ comparisons: [MapComparison]) -> MapComparison {
        func average(_ values: [Double]) -> Double {
            let finite = values.filter(\.isFinite)
            return finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
        }
        return MapComparison(
            spearmanAbsolute: average(comparisons.map(\.spearmanAbsolute)), spearmanSigned: average(comparisons.map(\.spearmanSigned)),
            ssim: average(comparisons.map(\.ssim)), hog: average(comparisons.map(\.hog))
        )
    }
}
