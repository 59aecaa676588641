/// An 8-bit sRGB colour.
public struct RGBColor: Hashable, Sendable, CustomStringConvertible {
    /// Red, 0–255.
    public var red: UInt8
    /// Green, 0–255.
    public var green: UInt8
    /// Blue, 0–255.
    public var blue: UInt8

    /// Creates a colour from its three channels.
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public var description: String { "rgb(\(red), \(green), \(blue))" }

    /// The palette every object, distractor and background tint is drawn from, shared by all classes.
    public static let palette: [RGBColor] = [
        RGBColor(220, 40, 40), RGBColor(245, 140, 30), RGBColor(240, 220, 40), RGBColor(140, 220, 50),
        RGBColor(40, 160, 70), RGBColor(30, 170, 160), RGBColor(60, 200, 240), RGBColor(40, 80, 220),
        RGBColor(130, 60, 200), RGBColor(220, 60, 190), RGBColor(240, 240, 240), RGBColor(20, 20, 20),
    ]

    var channels: (Float, Float, Float) { (Float(red), Float(green), Float(blue)) }
}
