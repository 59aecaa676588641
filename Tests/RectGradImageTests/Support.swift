import Foundation
import RectGradImage
import Testing

/// The URL of a file of the committed corpus (written by Scripts/make-image-corpus.py).
func corpusURL(_ name: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Corpus"), "missing corpus file \(name)")
}

/// Decodes a corpus file.
func decodeCorpus(_ name: String, options: ImageDecoding.Options = .init()) throws -> RGBImage {
    try ImageDecoding.decode(contentsOf: corpusURL(name), options: options)
}

/// The error decoding a corpus file raises (recording an issue when it decodes).
func corpusError(_ name: String, options: ImageDecoding.Options = .init(), sourceLocation: SourceLocation = #_sourceLocation) throws -> ImageError? {
    let url = try corpusURL(name)
    let error = #expect(throws: ImageError.self, sourceLocation: sourceLocation) {
        try ImageDecoding.decode(contentsOf: url, options: options)
    }
    if let error {
        #expect(error.file == url, "the error names the file", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix(url.path), sourceLocation: sourceLocation)
    }
    return error
}

extension ImageError.Reason {
    /// A short name for the case, to compare kinds without the codec's message.
    var kind: String {
        switch self {
        case .emptyData: "empty"
        case .unknownFormat: "unknownFormat"
        case .truncated(let format, _): "truncated \(format)"
        case .corrupt(let format, _): "corrupt \(format)"
        case .tooLarge: "tooLarge"
        case .unsupported(let format, _): "unsupported \(format)"
        case .outOfMemory: "outOfMemory"
        case .unreadableFile: "unreadableFile"
        case .unwritableFile: "unwritableFile"
        case .invalidArgument: "invalidArgument"
        }
    }

    /// The codec's or system's message, when the case carries one.
    var message: String? {
        switch self {
        case .truncated(_, let message), .corrupt(_, let message), .unsupported(_, let message),
             .outOfMemory(let message), .unreadableFile(let message), .unwritableFile(let message):
            message
        case .invalidArgument(_, let reason):
            reason
        case .emptyData, .unknownFormat, .tooLarge:
            nil
        }
    }
}

/// The colours of a row of pixels.
func row(_ image: RGBImage, _ y: Int) -> [RGBColor] {
    (0..<image.width).map { image[x: $0, y: y] }
}

/// A colour from three integers.
func rgb(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> RGBColor {
    RGBColor(red: r, green: g, blue: b)
}

/// The largest per-channel difference between two colours.
func channelDistance(_ a: RGBColor, _ b: RGBColor) -> Int {
    max(abs(Int(a.red) - Int(b.red)), abs(Int(a.green) - Int(b.green)), abs(Int(a.blue) - Int(b.blue)))
}

/// The largest per-byte difference between two images of the same size (nil when sizes differ).
func maximumDifference(_ a: RGBImage, _ b: RGBImage) -> Int? {
    guard a.width == b.width, a.height == b.height else { return nil }
    return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

/// A deterministic pseudo-random byte sequence (SplitMix64).
func seededBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}
