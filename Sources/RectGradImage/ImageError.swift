import Foundation

/// The file formats ``ImageDecoding`` recognises by their leading bytes.
public enum ImageFormat: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// PNG: the 8-byte signature `89 50 4E 47 0D 0A 1A 0A`.
    case png = "PNG"
    /// JPEG: starts with the SOI marker and the first marker's `FF`, `FF D8 FF`.
    case jpeg = "JPEG"

    /// The format whose signature starts `bytes`, or `nil`.
    public init?(sniffing bytes: some Collection<UInt8>) {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF]
        if bytes.starts(with: png) {
            self = .png
        } else if bytes.starts(with: jpeg) {
            self = .jpeg
        } else {
            return nil
        }
    }

    /// `PNG` or `JPEG`.
    public var description: String { rawValue }
}

/// Why reading, decoding, encoding or transforming an image failed, and which file was involved.
public struct ImageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Hashable, Sendable {
        /// The data (or file) holds no bytes at all.
        case emptyData
        /// The leading bytes match neither the PNG nor the JPEG signature (the first 8 are kept).
        case unknownFormat(leadingBytes: [UInt8])
        /// The data ends before the image is complete; `message` is the codec's.
        case truncated(ImageFormat, message: String)
        /// The codec rejected the data (bad CRC, bad Huffman code, invalid header…); `message` is the codec's.
        case corrupt(ImageFormat, message: String)
        /// The header declares more pixels than ``ImageDecoding/Options/maximumPixelCount`` allows.
        /// Raised before any pixel memory is allocated.
        case tooLarge(width: Int, height: Int, limit: Int)
        /// Valid data that this decoder does not handle (for example a 12-bit JPEG).
        case unsupported(ImageFormat, message: String)
        /// The codec could not allocate memory.
        case outOfMemory(message: String)
        /// The file could not be read; `message` is the system's.
        case unreadableFile(message: String)
        /// The file could not be written; `message` is the system's.
        case unwritableFile(message: String)
        /// An argument is out of range (a non-positive size, a mismatched pixel count, …).
        case invalidArgument(operation: String, reason: String)
    }

    /// What went wrong.
    public var reason: Reason
    /// The file being read or written, when the operation involved one.
    public var file: URL?

    /// Creates an error.
    public init(_ reason: Reason, file: URL? = nil) {
        self.reason = reason
        self.file = file
    }

    /// The same error attributed to `file`.
    func naming(_ file: URL) -> ImageError {
        ImageError(reason, file: file)
    }

    /// A one-line explanation, prefixed by the file's path when known.
    public var description: String {
        let text: String
        switch reason {
        case .emptyData:
            text = "empty file: no image data"
        case .unknownFormat(let bytes):
            let hex = bytes.map { String(format: "%02X", $0) }.joined(separator: " ")
            text = "unknown image format (starts with \(hex.isEmpty ? "nothing" : hex)); expected PNG or JPEG"
        case .truncated(let format, let message):
            text = "truncated \(format): \(message)"
        case .corrupt(let format, let message):
            text = "corrupt \(format): \(message)"
        case .tooLarge(let width, let height, let limit):
            text = "image of \(width)×\(height) = \(width * height) pixels exceeds the limit of \(limit) pixels"
        case .unsupported(let format, let message):
            text = "unsupported \(format) image: \(message)"
        case .outOfMemory(let message):
            text = "out of memory: \(message)"
        case .unreadableFile(let message):
            text = "cannot read file: \(message)"
        case .unwritableFile(let message):
            text = "cannot write file: \(message)"
        case .invalidArgument(let operation, let reason):
            text = "\(operation): \(reason)"
        }
        guard let file else { return text }
        return "\(file.path): \(text)"
    }
}
