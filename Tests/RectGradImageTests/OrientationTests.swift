import Foundation
import Testing
import RectGradImage

/// EXIF orientation: the eight transforms on a hand-labelled image, the tag parser on hand-built
/// segments (both byte orders, malformed ones), and decoding against Pillow's `exif_transpose`.
@Suite struct OrientationTests {
    /// A 3×2 image whose pixels are labelled a…f (grey levels 10…60), row by row.
    static func labelled() throws -> RGBImage {
        let levels: [UInt8] = [10, 20, 30, 40, 50, 60]
        return try RGBImage(width: 3, height: 2, pixels: levels.flatMap { [$0, $0, $0] })
    }

    /// The grey level of every displayed pixel, row by row.
    static func labels(_ image: RGBImage) -> [[UInt8]] {
        (0..<image.height).map { y in row(image, y).map(\.red) }
    }

    /// Stored  a b c / d e f; what each orientation displays, drawn from the EXIF definitions.
    @Test(arguments: [
        (ImageOrientation.up, [[10, 20, 30], [40, 50, 60]]),
        (.upMirrored, [[30, 20, 10], [60, 50, 40]]),
        (.down, [[60, 50, 40], [30, 20, 10]]),
        (.downMirrored, [[40, 50, 60], [10, 20, 30]]),
        (.leftMirrored, [[10, 40], [20, 50], [30, 60]]),
        (.right, [[40, 10], [50, 20], [60, 30]]),
        (.rightMirrored, [[60, 30], [50, 20], [40, 10]]),
        (.left, [[30, 60], [20, 50], [10, 40]]),
    ] as [(ImageOrientation, [[UInt8]])])
    func orientsAHandLabelledImage(orientation: ImageOrientation, expected: [[UInt8]]) throws {
        let displayed = try Self.labelled().oriented(orientation)
        #expect(Self.labels(displayed) == expected)
        #expect(displayed.width == expected[0].count && displayed.height == expected.count)
    }

    /// A JPEG prefix: SOI, one APP1 segment with `payload`, then EOI.
    static func jpeg(app1 payload: [UInt8]) -> Data {
        let length = payload.count + 2
        return Data([0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + [0xFF, 0xD9])
    }

    /// An EXIF payload whose IFD0 holds `entries` (tag, type, count, value) in the given byte order.
    static func exif(bigEndian: Bool, entries: [(UInt16, UInt16, UInt32, UInt16)]) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] { bigEndian ? (0..<4).reversed().map { UInt8((v >> (8 * $0)) & 0xFF) } : (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        var tiff: [UInt8] = (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(42) + u32(8) + u16(UInt16(entries.count))
        for (tag, type, count, value) in entries { tiff += u16(tag) + u16(type) + u32(count) + u16(value) + [0, 0] }
        tiff += u32(0)
        return Array("Exif".utf8) + [0, 0] + tiff
    }

    @Test func readsTheTagInBothByteOrders() throws {
        for bigEndian in [false, true] {
            // The orientation after another tag (ImageWidth), as cameras write IFD0.
            let payload = Self.exif(bigEndian: bigEndian, entries: [(0x0100, 3, 1, 640), (0x0112, 3, 1, 6)])
            #expect(try ImageDecoding.exifOrientation(of: Self.jpeg(app1: payload)) == .right)
        }
    }

    @Test func ignoresMissingAndMalformedMetadata() throws {
        let cases: [[UInt8]] = [
            Self.exif(bigEndian: false, entries: [(0x0100, 3, 1, 640)]),        // no orientation tag
            Self.exif(bigEndian: false, entries: [(0x0112, 3, 1, 9)]),          // value outside 1…8
            Self.exif(bigEndian: false, entries: [(0x0112, 4, 1, 6)]),          // LONG instead of SHORT
            Array(Self.exif(bigEndian: true, entries: [(0x0112, 3, 1, 6)]).prefix(20)),  // IFD cut short
            Array("Exif".utf8) + [0, 0, 0x49, 0x49, 43, 0, 8, 0, 0, 0],          // not TIFF (43)
            Array("XMP\0".utf8) + Array(repeating: 0, count: 20),                // another APP1
        ]
        for payload in cases {
            #expect(try ImageDecoding.exifOrientation(of: Self.jpeg(app1: payload)) == nil)
        }
        // A segment length running past the data, and a PNG.
        #expect(try ImageDecoding.exifOrientation(of: Data([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xF0, 0x45])) == nil)
        #expect(try ImageDecoding.exifOrientation(of: Data(contentsOf: corpusURL("rgba.png"))) == nil)
    }

    /// Pillow writes the tag; `ImageOps.exif_transpose` gives the upright reference.
    @Test(arguments: [3, 5, 6, 8])
    func decodesUprightLikePillow(orientation: Int) throws {
        let name = "oriented-\(orientation).jpg"
        let stored = try decodeCorpus(name)
        #expect(stored.width == 24 && stored.height == 16)
        #expect(try ImageDecoding.exifOrientation(of: Data(contentsOf: corpusURL(name)))?.rawValue == orientation)
        let upright = try decodeCorpus(name, options: .init(orientation: .applyEXIF))
        let pillow = try decodeCorpus(name + ".upright.pillow.png")
        #expect(upright.width == pillow.width && upright.height == pillow.height)
        let difference = try #require(maximumDifference(upright, pillow))
        #expect(difference <= 1, "largest difference from Pillow: \(difference)")
    }
}
