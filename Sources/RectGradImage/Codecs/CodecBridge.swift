import CImageCodecs
import Foundation

/// A parsed header plus what the C decoder needs to know about its scratch buffer.
struct DecodableHeader {
    var header: ImageHeader
    /// Bytes per pixel of the buffer handed to the C decoder (3, or 4 when compositing alpha).
    var workingChannels: Int
}

/// The calls into `CImageCodecs`, translating status codes into ``ImageError``s.
enum CodecBridge {
    /// Size of the message buffer handed to C (libjpeg's messages are at most 200 bytes).
    static let messageCapacity = 256

    static func header(
        _ bytes: UnsafeBufferPointer<UInt8>, format: ImageFormat, options: ImageDecoding.Options
    ) throws(ImageError) -> DecodableHeader {
        var info = rg_image_info()
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = message.withUnsafeMutableBufferPointer { text in
            switch format {
            case .png:
                rg_png_read_info(bytes.baseAddress, bytes.count, options.alpha.cValue, &info, text.baseAddress, text.count)
            case .jpeg:
                rg_jpeg_read_info(bytes.baseAddress, bytes.count, options.jpegDamage.cValue, &info, text.baseAddress, text.count)
            }
        }
        try check(status, format: format, message: message)
        let header = ImageHeader(
            format: format,
            width: Int(info.width),
            height: Int(info.height),
            storedComponents: Int(info.stored_components),
            bitDepth: Int(info.bit_depth),
            hasAlpha: info.has_alpha != 0,
            isInterlaced: info.interlaced != 0)
        guard header.width > 0, header.height > 0 else {
            throw ImageError(.corrupt(format, message: "header declares an empty image (\(header.width)×\(header.height))"))
        }
        return DecodableHeader(header: header, workingChannels: Int(info.working_channels))
    }

    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, header: DecodableHeader, options: ImageDecoding.Options
    ) throws(ImageError) -> RGBImage {
        let width = header.header.width
        let height = header.header.height
        let format = header.header.format
        let (pixelCount, overflowA) = width.multipliedReportingOverflow(by: height)
        let (capacity, overflowB) = pixelCount.multipliedReportingOverflow(by: header.workingChannels)
        guard !overflowA, !overflowB else {
            throw ImageError(.tooLarge(width: width, height: height, limit: options.maximumPixelCount))
        }
        var message = [CChar](repeating: 0, count: messageCapacity)
        var status = rg_codec_status.RG_CODEC_STATUS_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            status = message.withUnsafeMutableBufferPointer { text in
                switch format {
                case .png:
                    rg_png_decode(
                        bytes.baseAddress, bytes.count, options.alpha.cValue, UInt32(width), UInt32(height),
                        buffer.baseAddress, buffer.count, text.baseAddress, text.count)
                case .jpeg:
                    rg_jpeg_decode(
                        bytes.baseAddress, bytes.count, options.jpegDamage.cValue, UInt32(width), UInt32(height),
                        buffer.baseAddress, buffer.count, text.baseAddress, text.count)
                }
            }
            initialized = status == .RG_CODEC_STATUS_OK ? width * height * 3 : 0
        }
        try check(status, format: format, message: message)
        return RGBImage(validatedWidth: width, height: height, pixels: pixels)
    }

    /// Encodes interleaved 8-bit pixels (3 or 4 channels) as PNG.
    static func encodePNG(
        _ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int, compressionLevel: Int
    ) throws(ImageError) -> Data {
        guard let width32 = UInt32(exactly: width), let height32 = UInt32(exactly: height) else {
            throw ImageError(.invalidArgument(operation: "encodePNG", reason: "size \(width)×\(height) out of range"))
        }
        var output: UnsafeMutablePointer<UInt8>?
        var outputSize = 0
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = message.withUnsafeMutableBufferPointer { text in
            rg_png_encode(
                pixels.baseAddress, width32, height32, Int32(channels), Int32(compressionLevel),
                &output, &outputSize, text.baseAddress, text.count)
        }
        defer { rg_codec_free(output) }
        guard status == .RG_CODEC_STATUS_OK, let output else {
            let text = string(from: message)
            if status == .RG_CODEC_STATUS_OUT_OF_MEMORY { throw ImageError(.outOfMemory(message: text)) }
            throw ImageError(.invalidArgument(operation: "encodePNG", reason: text))
        }
        return Data(bytes: output, count: outputSize)
    }

    private static func check(_ status: rg_codec_status, format: ImageFormat, message: [CChar]) throws(ImageError) {
        let text = string(from: message)
        switch status {
        case .RG_CODEC_STATUS_OK:
            return
        case .RG_CODEC_STATUS_TRUNCATED:
            throw ImageError(.truncated(format, message: text))
        case .RG_CODEC_STATUS_CORRUPT:
            throw ImageError(.corrupt(format, message: text))
        case .RG_CODEC_STATUS_UNSUPPORTED:
            throw ImageError(.unsupported(format, message: text))
        case .RG_CODEC_STATUS_OUT_OF_MEMORY:
            throw ImageError(.outOfMemory(message: text))
        case .RG_CODEC_STATUS_INVALID_ARGUMENT:
            throw ImageError(.invalidArgument(operation: "decode \(format)", reason: text))
        }
    }

    private static func string(from message: [CChar]) -> String {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension AlphaHandling {
    var cValue: rg_alpha_mode {
        switch self {
        case .compositeOnWhite: .RG_ALPHA_MODE_COMPOSITE_ON_WHITE
        case .drop: .RG_ALPHA_MODE_DROP
        }
    }
}

extension JPEGDamagePolicy {
    var cValue: rg_jpeg_warning_policy {
        switch self {
        case .reject: .RG_JPEG_WARNING_POLICY_REJECT
        case .tolerate: .RG_JPEG_WARNING_POLICY_TOLERATE
        }
    }
}
