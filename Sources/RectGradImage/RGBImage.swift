/// One 8-bit RGB colour.
public struct RGBColor: Sendable, Hashable, CustomStringConvertible {
    /// The red component, 0...255.
    public var red: UInt8
    /// The green component, 0...255.
    public var green: UInt8
    /// The blue component, 0...255.
    public var blue: UInt8

    /// Creates a colour from its three components.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A grey with all three components equal to `level`.
    public init(gray level: UInt8) {
        self.init(red: level, green: level, blue: level)
    }

    /// (255, 255, 255).
    public static let white = RGBColor(red: 255, green: 255, blue: 255)
    /// (0, 0, 0).
    public static let black = RGBColor(red: 0, green: 0, blue: 0)
    /// (255, 0, 0).
    public static let red = RGBColor(red: 255, green: 0, blue: 0)
    /// (0, 0, 255).
    public static let blue = RGBColor(red: 0, green: 0, blue: 255)

    /// The ITU-R BT.601 luma `round(0.299 R + 0.587 G + 0.114 B)` (the weights of Pillow's "L" mode).
    public var luma: UInt8 {
        let value = (299 * Int(red) + 587 * Int(green) + 114 * Int(blue) + 500) / 1000
        return UInt8(value)
    }

    /// `(r, g, b)`.
    public var description: String { "(\(red), \(green), \(blue))" }
}

/// An 8-bit RGB image with value semantics: `width × height` pixels stored row-major, top row
/// first, as interleaved `R, G, B` bytes.
///
/// Every image has at least one pixel. Decode one with ``ImageDecoding``, encode it with
/// ``encodePNG(compressionLevel:)``, resize it with ``resized(width:height:)`` and turn it into
/// a model input with ``tensor(scaling:channelOrder:)``.
public struct RGBImage: Sendable, Hashable {
    /// The width in pixels (at least 1).
    public let width: Int
    /// The height in pixels (at least 1).
    public let height: Int
    /// `width * height * 3` bytes: the pixels row by row, each as red, green, blue.
    public private(set) var pixels: [UInt8]

    /// Creates an image from interleaved RGB bytes.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` when a dimension is not
    ///   positive or `pixels.count != width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws(ImageError) {
        let count = try Self.byteCount(width: width, height: height, operation: "RGBImage")
        guard pixels.count == count else {
            throw ImageError(.invalidArgument(
                operation: "RGBImage",
                reason: "\(width)×\(height) RGB needs \(count) bytes, got \(pixels.count)"))
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates an image of one colour.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` when a dimension is not positive.
    public init(width: Int, height: Int, color: RGBColor) throws(ImageError) {
        let count = try Self.byteCount(width: width, height: height, operation: "RGBImage")
        var pixels = [UInt8](repeating: 0, count: count)
        for i in stride(from: 0, to: count, by: 3) {
            pixels[i] = color.red
            pixels[i + 1] = color.green
            pixels[i + 2] = color.blue
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// For code that has already validated the layout.
    init(validatedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// `width * height * 3`, or an error for non-positive or overflowing dimensions.
    static func byteCount(width: Int, height: Int, operation: String) throws(ImageError) -> Int {
        guard width > 0, height > 0 else {
            throw ImageError(.invalidArgument(
                operation: operation, reason: "width and height must be positive, got \(width)×\(height)"))
        }
        let (area, overflowA) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflowB) = area.multipliedReportingOverflow(by: 3)
        guard !overflowA, !overflowB else {
            throw ImageError(.invalidArgument(operation: operation, reason: "\(width)×\(height) pixels overflow Int"))
        }
        return bytes
    }

    /// The number of pixels, `width * height`.
    public var pixelCount: Int { width * height }

    /// Whether `(x, y)` lies inside the image.
    public func contains(x: Int, y: Int) -> Bool {
        x >= 0 && x < width && y >= 0 && y < height
    }

    /// The pixel at column `x`, row `y` (0-based, from the top left). Traps when out of range,
    /// like `Array`; check with ``contains(x:y:)`` first for untrusted coordinates.
    public subscript(x x: Int, y y: Int) -> RGBColor {
        get {
            precondition(contains(x: x, y: y), "pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = 3 * (y * width + x)
            return RGBColor(red: pixels[i], green: pixels[i + 1], blue: pixels[i + 2])
        }
        set {
            precondition(contains(x: x, y: y), "pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = 3 * (y * width + x)
            pixels[i] = newValue.red
            pixels[i + 1] = newValue.green
            pixels[i + 2] = newValue.blue
        }
    }

    /// Mutable access to the interleaved bytes (the count cannot change).
    public mutating func withUnsafeMutablePixels<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try pixels.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }

    /// The image with every pixel replaced by its ``RGBColor/luma`` in all three channels.
    public func grayscale() -> RGBImage {
        var copy = self
        copy.withUnsafeMutablePixels { buffer in
            for i in stride(from: 0, to: buffer.count, by: 3) {
                let level = RGBColor(red: buffer[i], green: buffer[i + 1], blue: buffer[i + 2]).luma
                buffer[i] = level
                buffer[i + 1] = level
                buffer[i + 2] = level
            }
        }
        return copy
    }
}

extension RGBImage: CustomStringConvertible {
    /// `RGBImage(W×H)`.
    public var description: String { "RGBImage(\(width)×\(height))" }
}
