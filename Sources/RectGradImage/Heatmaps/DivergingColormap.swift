/// A three-stop diverging colormap over `t ∈ [−1, 1]`: ``negative`` at −1, ``center`` at 0,
/// ``positive`` at +1, linear per channel in between (in the stored 8-bit values), rounded to
/// nearest (halves away from zero). Values outside [−1, 1] take the end colours.
public struct DivergingColormap: Sendable, Hashable {
    /// The colour at `t = −1`.
    public var negative: RGBColor
    /// The colour at `t = 0`.
    public var center: RGBColor
    /// The colour at `t = +1`.
    public var positive: RGBColor

    /// Creates a colormap from its three stops.
    public init(negative: RGBColor, center: RGBColor, positive: RGBColor) {
        self.negative = negative
        self.center = center
        self.positive = positive
    }

    /// Matplotlib's `bwr`: blue (0, 0, 255) at −1, white (255, 255, 255) at 0, red (255, 0, 0) at +1.
    /// So `t ≤ 0` gives `(255(1+t), 255(1+t), 255)` and `t ≥ 0` gives `(255, 255(1−t), 255(1−t))`.
    public static let blueWhiteRed = DivergingColormap(negative: .blue, center: .white, positive: .red)

    /// The colour of `t` (clamped to [−1, 1]; NaN maps to the centre).
    public func color(at t: Float) -> RGBColor {
        guard !t.isNaN else { return center }
        let clamped = Swift.min(Swift.max(t, -1), 1)
        let end = clamped < 0 ? negative : positive
        let weight = abs(clamped)
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            let value = Float(a) + (Float(b) - Float(a)) * weight
            return UInt8(Swift.min(Swift.max(value.rounded(.toNearestOrAwayFromZero), 0), 255))
        }
        return RGBColor(
            red: mix(center.red, end.red),
            green: mix(center.green, end.green),
            blue: mix(center.blue, end.blue))
    }

    /// The colour of `value` in the symmetric range `[−limit, limit]`, i.e. of `t = value / limit`.
    /// A non-positive `limit` maps everything to ``center``.
    public func color(for value: Float, limit: Float) -> RGBColor {
        guard limit > 0, limit.isFinite else { return center }
        return color(at: value / limit)
    }
}
