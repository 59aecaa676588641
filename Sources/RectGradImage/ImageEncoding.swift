import Foundation

/// The channel layout of interleaved 8-bit pixels handed to ``ImageEncoding``.
public enum PixelLayout: String, Sendable, Hashable, CaseIterable {
    /// Red, green, blue: 3 bytes per pixel.
    case rgb
    /// Red, green, blue, alpha (straight, not premultiplied): 4 bytes per pixel.
    case rgba

    /// Bytes per pixel.
    public var channelCount: Int {
        switch self {
        case .rgb: 3
        case .rgba: 4
        }
    }
}

/// Encodes 8-bit pixels as PNG (non-interlaced, no gamma or colour-profile chunks).
public enum ImageEncoding {
    /// Encodes interleaved pixels, rows packed without padding, top row first.
    /// - Parameters:
    ///   - compressionLevel: zlib's level 0 (none) … 9 (smallest); `nil` for zlib's default (6).
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` when the byte count does
    ///   not match `width × height × layout.channelCount` or a size is out of range.
    public static func encodePNG(
        pixels: [UInt8], width: Int, height: Int, layout: PixelLayout, compressionLevel: Int? = nil
    ) throws(ImageError) -> Data {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw ImageError(.invalidArgument(operation: "encodePNG", reason: "size \(width)×\(height) out of range 1…2³¹−1"))
        }
        guard pixels.count == width * height * layout.channelCount else {
            throw ImageError(.invalidArgument(
                operation: "encodePNG",
                reason: "\(width)×\(height) \(layout) needs \(width * height * layout.channelCount) bytes, got \(pixels.count)"))
        }
        let level = compressionLevel ?? -1
        guard level == -1 || (0...9).contains(level) else {
            throw ImageError(.invalidArgument(operation: "encodePNG", reason: "compression level \(level) outside 0…9"))
        }
        let result: Result<Data, ImageError> = pixels.withUnsafeBufferPointer { buffer in
            Result { () throws(ImageError) -> Data in
                try CodecBridge.encodePNG(
                    buffer, width: width, height: height, channels: layout.channelCount, compressionLevel: level)
            }
        }
        return try result.get()
    }
}

extension RGBImage {
    /// The image as a PNG file in memory (8-bit RGB).
    /// - Parameter compressionLevel: zlib's level 0…9; `nil` for zlib's default.
    public func encodePNG(compressionLevel: Int? = nil) throws(ImageError) -> Data {
        try ImageEncoding.encodePNG(
            pixels: pixels, width: width, height: height, layout: .rgb, compressionLevel: compressionLevel)
    }

    /// Encodes the image as PNG and writes it atomically to `url`.
    /// - Throws: ``ImageError`` naming `url`.
    public func writePNG(to url: URL, compressionLevel: Int? = nil) throws(ImageError) {
        let data: Data
        do {
            data = try encodePNG(compressionLevel: compressionLevel)
        } catch {
            throw error.naming(url)
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ImageError(.unwritableFile(message: error.localizedDescription), file: url)
        }
    }
}
