/// Which part of an attribution a heatmap shows (the signs of Captum's `visualize_image_attr`).
public enum HeatmapSign: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Both signs: blue (against the class) – white – red (for it), over the symmetric range.
    case all
    /// Only positive evidence (for the class), white → red; negative values show as white.
    case positive
    /// Only negative evidence (against the class), white → blue; positive values show as white.
    case negative
    /// The magnitude regardless of sign (channel sum of `|A|`), white → purple.
    case absolute

    /// The colour of a normalised value `t` (in [−1, 1] for ``all``, [0, 1] otherwise).
    public func color(at t: Float) -> RGBColor {
        switch self {
        case .all, .positive: return DivergingColormap.blueWhiteRed.color(at: t)
        case .negative: return DivergingColormap.blueWhiteRed.color(at: -t)
        case .absolute: return DivergingColormap.whitePurple.color(at: t)
        }
    }

    public var description: String { rawValue }
}

/// How a heatmap is drawn (the views of Captum's `visualize_image_attr`).
public enum HeatmapView: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The colour-coded map alone.
    case heatmap
    /// The colours over the greyscale input, each pixel's colour weighted by `opacity · |t|`, so
    /// pixels without attribution show the plain photo.
    case blended
    /// The input itself, each pixel scaled by `|t|`: what the map keeps of the image.
    case masked

    public var description: String { rawValue }
}

extension DivergingColormap {
    /// White at 0 (and below), purple `(128, 0, 128)` at 1: the colours of ``HeatmapSign/absolute``.
    public static let whitePurple = DivergingColormap(negative: .white, center: .white, positive: RGBColor(red: 128, green: 0, blue: 128))
}
