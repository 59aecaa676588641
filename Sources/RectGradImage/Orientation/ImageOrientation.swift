/// How a stored image is turned to be displayed upright: the eight values of the EXIF / TIFF
/// `Orientation` tag (0x0112).
///
/// The raw value is the tag's value. Each case names the transform that takes the stored pixels
/// to the displayed ones (what Pillow's `ImageOps.exif_transpose` applies).
public enum ImageOrientation: Int, Sendable, Hashable, CaseIterable {
    /// 1: stored upright.
    case up = 1
    /// 2: mirror left–right.
    case upMirrored = 2
    /// 3: rotate 180°.
    case down = 3
    /// 4: mirror top–bottom.
    case downMirrored = 4
    /// 5: transpose (mirror across the main diagonal).
    case leftMirrored = 5
    /// 6: rotate 90° clockwise.
    case right = 6
    /// 7: transverse (mirror across the anti-diagonal).
    case rightMirrored = 7
    /// 8: rotate 90° counter-clockwise.
    case left = 8

    /// Whether the displayed image has the stored image's width and height swapped.
    public var swapsDimensions: Bool { rawValue >= 5 }

    /// Where the stored pixel `(x, y)` of a `width × height` image lands when displayed.
    public func displayedPosition(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .up: return (x, y)
        case .upMirrored: return (width - 1 - x, y)
        case .down: return (width - 1 - x, height - 1 - y)
        case .downMirrored: return (x, height - 1 - y)
        case .leftMirrored: return (y, x)
        case .right: return (height - 1 - y, x)
        case .rightMirrored: return (height - 1 - y, width - 1 - x)
        case .left: return (y, width - 1 - x)
        }
    }
}

extension RGBImage {
    /// The image as displayed under `orientation` (stored pixels moved by the orientation's
    /// transform; width and height swapped for the four transposing orientations).
    public func oriented(_ orientation: ImageOrientation) -> RGBImage {
        guard orientation != .up else { return self }
        let outputWidth = orientation.swapsDimensions ? height : width
        var output = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<height {
            for x in 0..<width {
                let target = orientation.displayedPosition(x: x, y: y, width: width, height: height)
                let source = (y * width + x) * 3
                let destination = (target.y * outputWidth + target.x) * 3
                output[destination] = pixels[source]
                output[destination + 1] = pixels[source + 1]
                output[destination + 2] = pixels[source + 2]
            }
        }
        return RGBImage(validatedWidth: outputWidth, height: orientation.swapsDimensions ? width : height, pixels: output)
    }
}
