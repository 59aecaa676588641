/// A height × width pair used for kernel sizes, strides, paddings and dilations.
public struct Size2D: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// Extent along the height (rows).
    public var height: Int
    /// Extent along the width (columns).
    public var width: Int

    /// Creates a pair from its two extents.
    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// A square pair, e.g. `3` for a 3×3 kernel.
    public init(integerLiteral value: Int) { self.init(value, value) }

    /// A square pair.
    public static func square(_ value: Int) -> Size2D { Size2D(value, value) }

    public var description: String { height == width ? "\(height)" : "\(height)×\(width)" }
}
