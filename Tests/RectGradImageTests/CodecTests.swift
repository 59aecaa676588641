import Foundation
import RectGradImage
import Testing

@Suite struct CodecTests {
    @Test(arguments: [(1, 1), (7, 5), (64, 3)])
    func pngRoundTripIsLossless(width: Int, height: Int) throws {
        let image = try RGBImage(width: width, height: height, pixels: seededBytes(count: width * height * 3, seed: 42))
        let data = try image.encodePNG()
        #expect(try ImageDecoding.format(of: data) == .png)
        #expect(try ImageDecoding.decode(data: data) == image)
        #expect(try ImageDecoding.decode(data: image.encodePNG(compressionLevel: 0)) == image)
    }

    @Test func rgbaEncodingKeepsAlpha() throws {
        let pixels: [UInt8] = [200, 100, 50, 128, 1, 2, 3, 255]
        let data = try ImageEncoding.encodePNG(pixels: pixels, width: 2, height: 1, layout: .rgba)
        let header = try ImageDecoding.header(of: data)
        #expect(header.hasAlpha && header.storedComponents == 4)
        let dropped = try ImageDecoding.decode(data: data, options: .init(alpha: .drop))
        #expect(dropped.pixels == [200, 100, 50, 1, 2, 3])
        let composited = try ImageDecoding.decode(data: data)
        #expect(composited.pixels == [227, 177, 152, 1, 2, 3])
    }

    @Test func encodingRejectsInconsistentArguments() {
        #expect(throws: ImageError.self) {
            try ImageEncoding.encodePNG(pixels: [1, 2, 3], width: 2, height: 1, layout: .rgb)
        }
        #expect(throws: ImageError.self) {
            try ImageEncoding.encodePNG(pixels: [1, 2, 3], width: 1, height: 1, layout: .rgb, compressionLevel: 10)
        }
        #expect(throws: ImageError.self) {
            try ImageEncoding.encodePNG(pixels: [], width: 0, height: 1, layout: .rgb)
        }
    }

    @Test func writingAndReadingAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-image-test-\(UUID()).png")
        defer { try? FileManager.default.removeItem(at: url) }
        let image = try RGBImage(width: 3, height: 2, pixels: seededBytes(count: 18, seed: 7))
        try image.writePNG(to: url)
        #expect(try ImageDecoding.decode(contentsOf: url) == image)
    }

    @Test func sniffing() throws {
        #expect(ImageFormat(sniffing: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageFormat(sniffing: [0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat(sniffing: [0xFF, 0xD8]) == nil)
        #expect(ImageFormat(sniffing: [UInt8]()) == nil)
        let error = #expect(throws: ImageError.self) { try ImageDecoding.decode(data: Data([0xFF])) }
        #expect(error?.reason == .unknownFormat(leadingBytes: [0xFF]))
        #expect(error?.file == nil)
        #expect(error?.description == "unknown image format (starts with FF); expected PNG or JPEG")
    }

    @Test func invalidImageConstruction() {
        #expect(throws: ImageError.self) { try RGBImage(width: 2, height: 2, pixels: [0, 0, 0]) }
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 2, pixels: []) }
        #expect(throws: ImageError.self) { try RGBImage(width: -1, height: 2, color: .white) }
    }

    @Test func pixelAccessAndGrayscale() throws {
        var image = try RGBImage(width: 2, height: 1, color: .black)
        image[x: 1, y: 0] = rgb(255, 0, 0)
        #expect(image.pixels == [0, 0, 0, 255, 0, 0])
        // Luma of red: round(0.299 · 255) = 76.
        #expect(image.grayscale().pixels == [0, 0, 0, 76, 76, 76])
    }
}
