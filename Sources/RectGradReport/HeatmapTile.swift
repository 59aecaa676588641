import RectGradAttribution
import RectGradCore
import RectGradImage

/// The paper's display post-processing: which percentiles clip a map before it is painted.
public struct FinalThreshold: Sendable, Hashable, CustomStringConvertible {
    /// The lower percentile q1 (values below it become 0 when it is positive).
    public var lower: Double
    /// The upper percentile q2 (values above it are clipped).
    public var upper: Double

    /// Creates a threshold; both values in [0, 100].
    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// A threshold from a `(lower, upper)` pair such as `AttributionMethod/defaultFinalThreshold`.
    public init(_ percentiles: (lower: Double, upper: Double)) {
        self.init(lower: percentiles.lower, upper: percentiles.upper)
    }

    /// `(0.5, 99.5)`: the paper's RectGrad figures and its baselines "without final threshold".
    public static let paper = FinalThreshold(AttributionMethod.paperFinalThreshold)
    /// `(95, 99.5)`: the paper's "baseline final threshold".
    public static let baseline = FinalThreshold(AttributionMethod.baselineFinalThreshold)

    /// Parses `Q1,Q2`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lower = parts[0], let upper = parts[1], lower.isFinite, upper.isFinite,
              0 <= lower, lower <= upper, upper <= 100 else {
            throw ReportError.invalidOption(name: "final-threshold", reason: "expected Q1,Q2 with 0 ≤ Q1 ≤ Q2 ≤ 100, got '\(text)'")
        }
        self.init(lower: lower, upper: upper)
    }

    public var description: String { "(\(lower), \(upper))" }
}

/// Paints attribution maps and inputs as picture tiles.
public enum HeatmapTile {
    /// One example's attribution `[C, H, W]` (or `[1, C, H, W]`) → preprocess with `threshold` →
    /// blue-white-red over the symmetric range, enlarged `scale` times (nearest neighbour).
    public static func render(_ attribution: Tensor, threshold: FinalThreshold, scale: Int = 1) throws -> RGBImage {
        let map = try DisplayPreprocessing.preprocess(attribution, lowerPercentile: threshold.lower, upperPercentile: threshold.upper)
        return try Heatmap.colorize(map).enlarged(by: scale)
    }
}

extension RGBImage {
    /// The image enlarged by an integer factor with nearest-neighbour sampling (crisp pixels for 32×32 inputs).
    public func enlarged(by factor: Int) throws -> RGBImage {
        guard factor > 1 else { return self }
        let newWidth = width * factor, newHeight = height * factor
        var output = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                let source = ((y / factor) * width + x / factor) * 3
                let target = (y * newWidth + x) * 3
                output[target] = pixels[source]
                output[target + 1] = pixels[source + 1]
                output[target + 2] = pixels[source + 2]
            }
        }
        return try RGBImage(width: newWidth, height: newHeight, pixels: output)
    }
}

import Foundation
