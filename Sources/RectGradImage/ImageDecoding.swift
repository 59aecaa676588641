import Foundation

/// What decoding does with transparency (a PNG alpha channel or `tRNS` chunk).
public enum AlphaHandling: String, Sendable, Hashable, CaseIterable {
    /// Composite over opaque white, per channel `round((c · a + 255 · (255 − a)) / 255)` on the
    /// stored sample values (no gamma linearisation). Transparent pixels become white.
    case compositeOnWhite
    /// Discard alpha and keep the stored colour samples, like Pillow's `convert("RGB")` and
    /// therefore torchvision's usual loader. Transparent pixels keep whatever colour they store.
    case drop
}

/// Whether decoding turns a JPEG upright by its EXIF orientation tag.
public enum OrientationHandling: String, Sendable, Hashable, CaseIterable {
    /// Return the pixels as stored (Pillow's `Image.open`, torchvision's `decode_jpeg` default).
    case ignore
    /// Apply the EXIF orientation, as photo viewers and Pillow's `ImageOps.exif_transpose` do.
    case applyEXIF = "exif"
}

/// What decoding does when libjpeg reports recoverable damage (it warns, patches the data and
/// carries on: premature end of file, bad Huffman codes, extraneous bytes before a marker…).
public enum JPEGDamagePolicy: String, Sendable, Hashable, CaseIterable {
    /// Fail with ``ImageError/Reason/truncated(_:message:)`` or
    /// ``ImageError/Reason/corrupt(_:message:)``. Only "unknown JFIF revision" and
    /// "bad ICC marker" are let through.
    case reject
    /// Return libjpeg's repaired image (a truncated image is completed with grey).
    case tolerate
}

/// What an image's header declares, read without decoding the pixels.
public struct ImageHeader: Sendable, Hashable {
    /// The file format.
    public var format: ImageFormat
    /// The width in pixels.
    public var width: Int
    /// The height in pixels.
    public var height: Int
    /// Components stored per pixel (PNG: 1 grey, 2 grey+alpha, 3 RGB or palette, 4 RGBA;
    /// JPEG: 1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK).
    public var storedComponents: Int
    /// Bits per stored sample (PNG 1…16, JPEG 8 or 12).
    public var bitDepth: Int
    /// Whether the image has transparency (PNG alpha or `tRNS`; never for JPEG).
    public var hasAlpha: Bool
    /// Whether the PNG is Adam7-interlaced or the JPEG progressive.
    public var isInterlaced: Bool
}

/// Decodes PNG and JPEG data into ``RGBImage``s, telling the two apart by their signatures.
///
/// Every decode yields 8-bit RGB: greyscale is replicated into the three channels, palettes are
/// expanded, 16-bit PNG samples are scaled to 8 bits with rounding (`round(v · 255 / 65535)`;
/// Pillow instead keeps the high byte, which can differ by one), transparency follows
/// ``Options/alpha``, and CMYK/YCCK JPEGs are converted with `R = C'·K'/255` on inverted ink
/// values (the stored samples when an Adobe APP14 marker is present, as Photoshop and Pillow
/// write them). A JPEG's EXIF orientation is applied only when ``Options/orientation`` asks for
/// it (by default the stored pixels are returned, as Pillow's `Image.open` and torchvision's
/// loaders return them). Colour profiles and PNG gamma are ignored.
///
/// Failures are typed: see ``ImageError/Reason``. The pixel limit is checked against the header
/// before any pixel memory is allocated.
public enum ImageDecoding {
    /// Decoding options.
    public struct Options: Sendable, Hashable {
        /// The largest `width × height` accepted; larger images fail with
        /// ``ImageError/Reason/tooLarge(width:height:limit:)``. Default 100 megapixels.
        ///
        /// Decoding allocates 3 bytes per pixel (4 while compositing alpha), so the limit is what
        /// stands between a forged header and an allocation the process cannot satisfy.
        public var maximumPixelCount: Int
        /// What to do with transparency. Default ``AlphaHandling/compositeOnWhite``.
        public var alpha: AlphaHandling
        /// What to do with JPEG data that libjpeg can only repair. Default ``JPEGDamagePolicy/reject``.
        public var jpegDamage: JPEGDamagePolicy
        /// Whether a JPEG's EXIF orientation turns the pixels upright. Default
        /// ``OrientationHandling/ignore`` (the stored pixels, as PyTorch pipelines see them).
        public var orientation: OrientationHandling

        /// Creates options; every parameter has the documented default.
        public init(
            maximumPixelCount: Int = 100_000_000,
            alpha: AlphaHandling = .compositeOnWhite,
            jpegDamage: JPEGDamagePolicy = .reject,
            orientation: OrientationHandling = .ignore
        ) {
            self.maximumPixelCount = maximumPixelCount
            self.alpha = alpha
            self.jpegDamage = jpegDamage
            self.orientation = orientation
        }
    }

    /// The format of `data`, from its leading bytes.
    /// - Throws: ``ImageError/Reason/emptyData`` or ``ImageError/Reason/unknownFormat(leadingBytes:)``.
    public static func format(of data: Data) throws(ImageError) -> ImageFormat {
        guard !data.isEmpty else { throw ImageError(.emptyData) }
        guard let format = ImageFormat(sniffing: data) else {
            throw ImageError(.unknownFormat(leadingBytes: Array(data.prefix(8))))
        }
        return format
    }

    /// Reads the header of a PNG or JPEG without decoding its pixels.
    /// - Throws: ``ImageError`` (empty, unknown format, truncated or corrupt header).
    public static func header(of data: Data, options: Options = Options()) throws(ImageError) -> ImageHeader {
        let format = try format(of: data)
        return try withBytes(of: data) { bytes throws(ImageError) in
            try CodecBridge.header(bytes, format: format, options: options).header
        }
    }

    /// Decodes a PNG or JPEG held in memory.
    /// - Throws: ``ImageError`` with the specific ``ImageError/Reason``.
    public static func decode(data: Data, options: Options = Options()) throws(ImageError) -> RGBImage {
        let format = try format(of: data)
        return try withBytes(of: data) { bytes throws(ImageError) in
            let header = try CodecBridge.header(bytes, format: format, options: options)
            let limit = options.maximumPixelCount
            let (pixels, overflow) = header.header.width.multipliedReportingOverflow(by: header.header.height)
            guard !overflow, pixels <= limit else {
                throw ImageError(.tooLarge(width: header.header.width, height: header.header.height, limit: limit))
            }
            let image = try CodecBridge.decode(bytes, header: header, options: options)
            guard options.orientation == .applyEXIF, format == .jpeg, let orientation = EXIFOrientationReader.orientation(inJPEG: bytes) else {
                return image
            }
            return image.oriented(orientation)
        }
    }

    /// The EXIF orientation a JPEG declares, or `nil` for a PNG, a JPEG without one, or
    /// unreadable metadata (which decoding then ignores, as Pillow does).
    /// - Throws: ``ImageError`` for empty data or an unknown format.
    public static func exifOrientation(of data: Data) throws(ImageError) -> ImageOrientation? {
        guard try format(of: data) == .jpeg else { return nil }
        return try withBytes(of: data) { bytes throws(ImageError) in EXIFOrientationReader.orientation(inJPEG: bytes) }
    }

    /// Reads and decodes the PNG or JPEG file at `url`; errors name the file.
    /// - Throws: ``ImageError`` with ``ImageError/file`` set to `url`.
    public static func decode(contentsOf url: URL, options: Options = Options()) throws(ImageError) -> RGBImage {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError(.unreadableFile(message: error.localizedDescription), file: url)
        }
        do {
            return try decode(data: data, options: options)
        } catch {
            throw error.naming(url)
        }
    }

    /// Runs `body` on the bytes of a non-empty `data`.
    private static func withBytes<R>(
        of data: Data,
        _ body: (UnsafeBufferPointer<UInt8>) throws(ImageError) -> R
    ) throws(ImageError) -> R {
        let result: Result<R, ImageError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return Result { () throws(ImageError) -> R in try body(bytes) }
        }
        return try result.get()
    }
}
