/// Where and how the object of one image was drawn.
public struct ShapeObject: Hashable, Sendable {
    /// The class.
    public var shape: ShapeClass
    /// The centre's column coordinate in pixels (pixel `c` spans `c ..< c + 1`).
    public var centerX: Float
    /// The centre's row coordinate in pixels.
    public var centerY: Float
    /// The circumscribed radius in pixels before stretching.
    public var radius: Float
    /// The rotation in radians.
    public var rotation: Float
    /// The stretch along the shape's own horizontal and vertical axes (each in 0.9...1.1).
    public var stretch: (x: Float, y: Float)
    /// The object's base colour (before shading and noise).
    public var color: RGBColor

    public static func == (a: ShapeObject, b: ShapeObject) -> Bool {
        a.shape == b.shape && a.centerX == b.centerX && a.centerY == b.centerY && a.radius == b.radius
            && a.rotation == b.rotation && a.stretch.x == b.stretch.x && a.stretch.y == b.stretch.y && a.color == b.color
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(shape)
        hasher.combine(centerX)
        hasher.combine(centerY)
        hasher.combine(radius)
        hasher.combine(rotation)
        hasher.combine(stretch.x)
        hasher.combine(stretch.y)
        hasher.combine(color)
    }
}
