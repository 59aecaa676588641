import Foundation
import RectGradImage
import Testing

/// Bad files of the corpus: each must fail with its specific typed error, naming the file.
@Suite struct BadFileTests {
    @Test func emptyFile() throws {
        let error = try corpusError("empty.bin")
        #expect(error?.reason == .emptyData)
    }

    @Test func randomBytesAreAnUnknownFormat() throws {
        let error = try corpusError("random.bin")
        let leading = Array(try Data(contentsOf: corpusURL("random.bin")).prefix(8))
        #expect(error?.reason == .unknownFormat(leadingBytes: leading))
    }

    @Test func truncatedPNG() throws {
        let error = try corpusError("truncated.png")
        #expect(error?.reason.kind == "truncated PNG")
        #expect(error?.reason.message?.isEmpty == false)
    }

    @Test func pngWithBadCRC() throws {
        let error = try corpusError("bad-crc.png")
        #expect(error?.reason.kind == "corrupt PNG")
        #expect(error?.reason.message?.contains("CRC") == true, "libpng's message: \(error?.reason.message ?? "")")
    }

    @Test func pngSignatureFollowedByGarbage() throws {
        let error = try corpusError("garbage-after-signature.png")
        #expect(error?.reason.kind == "corrupt PNG")
    }

    @Test func pngDeclaringHugeSizeIsRefusedBeforeDecoding() throws {
        let error = try corpusError("huge-header.png")
        #expect(error?.reason == .tooLarge(width: 100_000, height: 100_000, limit: 100_000_000))
        // The header itself is readable.
        let header = try ImageDecoding.header(of: Data(contentsOf: corpusURL("huge-header.png")))
        #expect(header.width == 100_000 && header.height == 100_000 && header.format == .png)
    }

    @Test func truncatedJPEG() throws {
        let error = try corpusError("truncated.jpg")
        #expect(error?.reason.kind == "truncated JPEG")
        #expect(error?.reason.message == "Premature end of JPEG file")
    }

    @Test func truncatedJPEGIsRepairedWhenTolerated() throws {
        let image = try decodeCorpus("truncated.jpg", options: .init(jpegDamage: .tolerate))
        #expect(image.width == 16 && image.height == 16)
    }

    @Test func jpegTruncatedInItsHeader() throws {
        let error = try corpusError("truncated-header.jpg")
        #expect(error?.reason.kind == "truncated JPEG")
        // Tolerating damage cannot invent a missing header.
        let tolerated = try corpusError("truncated-header.jpg", options: .init(jpegDamage: .tolerate))
        #expect(tolerated?.reason.kind == "truncated JPEG")
    }

    @Test func jpegWithCorruptHuffmanData() throws {
        let error = try corpusError("corrupt-huffman.jpg")
        #expect(error?.reason.kind == "corrupt JPEG")
        #expect(error?.reason.message?.contains("Huffman") == true, "libjpeg's message: \(error?.reason.message ?? "")")
        // libjpeg can patch over it when asked to.
        let repaired = try decodeCorpus("corrupt-huffman.jpg", options: .init(jpegDamage: .tolerate))
        #expect(repaired.width == 16)
    }

    @Test func twelveBitJPEGIsUnsupported() throws {
        let error = try corpusError("precision12.jpg")
        #expect(error?.reason.kind == "unsupported JPEG")
        #expect(error?.reason.message?.contains("12") == true)
    }

    @Test func jpegDeclaringHugeSizeIsRefused() throws {
        let error = try corpusError("huge-header.jpg")
        #expect(error?.reason == .tooLarge(width: 60_000, height: 60_000, limit: 100_000_000))
    }

    @Test func missingFileIsUnreadable() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-no-such-file-\(UUID()).png")
        let error = #expect(throws: ImageError.self) { try ImageDecoding.decode(contentsOf: url) }
        #expect(error?.reason.kind == "unreadableFile")
        #expect(error?.file == url)
    }

    @Test func pixelLimitIsConfigurable() throws {
        // interlaced.png is 9 × 9 = 81 pixels.
        let error = try corpusError("interlaced.png", options: .init(maximumPixelCount: 80))
        #expect(error?.reason == .tooLarge(width: 9, height: 9, limit: 80))
        let image = try decodeCorpus("interlaced.png", options: .init(maximumPixelCount: 81))
        #expect(image.pixelCount == 81)
    }
}

/// Odd but valid files of the corpus: each must decode to the pixels the generator put there.
@Suite struct OddFileTests {
    @Test func sixteenBitPNGIsScaledWithRounding() throws {
        let image = try decodeCorpus("rgb16.png")
        // round(v · 255 / 65535): 0x8080 → 128, 0x12FF → 19 (high byte 0x12 = 18), 0x1280 → 18,
        // 0x00FF → 1, 0x7F7F → 127.
        #expect(row(image, 0) == [rgb(0, 255, 128), rgb(19, 18, 1), rgb(255, 0, 127)])
    }

    @Test func grayscalePNGIsReplicated() throws {
        let image = try decodeCorpus("gray.png")
        #expect(image.width == 4 && image.height == 2)
        #expect(row(image, 0) == [0, 64, 128, 255].map { RGBColor(gray: $0) })
        #expect(row(image, 1) == [17, 34, 51, 68].map { RGBColor(gray: $0) })
    }

    @Test func palettePNGWithTransparency() throws {
        // Palette red, green, blue (alpha 128), (10, 20, 30) (alpha 0).
        // On white: blue at alpha 128 → (255 · 127 / 255, same, (255 · 128 + 255 · 127) / 255) = (127, 127, 255).
        let composited = try decodeCorpus("palette.png")
        #expect(row(composited, 0) == [rgb(255, 0, 0), rgb(0, 255, 0), rgb(127, 127, 255), .white])
        let dropped = try decodeCorpus("palette.png", options: .init(alpha: .drop))
        #expect(row(dropped, 0) == [rgb(255, 0, 0), rgb(0, 255, 0), rgb(0, 0, 255), rgb(10, 20, 30)])
    }

    @Test func rgbaPNG() throws {
        // (200, 100, 50) at alpha 255, 128, 0 and black at alpha 64, composited on white:
        // alpha 128: (200·128 + 255·127) / 255 = 227.4 → 227, (100·128 + 32385) / 255 = 177.2 → 177,
        // (50·128 + 32385) / 255 = 152.1 → 152; black at 64: 255 · 191 / 255 = 191.
        let composited = try decodeCorpus("rgba.png")
        #expect(row(composited, 0) == [rgb(200, 100, 50), rgb(227, 177, 152), .white, RGBColor(gray: 191)])
        let dropped = try decodeCorpus("rgba.png", options: .init(alpha: .drop))
        #expect(row(dropped, 0) == [rgb(200, 100, 50), rgb(200, 100, 50), rgb(200, 100, 50), .black])
        let header = try ImageDecoding.header(of: Data(contentsOf: corpusURL("rgba.png")))
        #expect(header.hasAlpha && header.storedComponents == 4)
    }

    @Test func grayPlusAlphaPNG() throws {
        // 100 at alpha 51 on white: (100·51 + 255·204) / 255 = 224.
        let composited = try decodeCorpus("gray-alpha.png")
        #expect(row(composited, 0) == [RGBColor(gray: 100), RGBColor(gray: 224)])
        let dropped = try decodeCorpus("gray-alpha.png", options: .init(alpha: .drop))
        #expect(row(dropped, 0) == [RGBColor(gray: 100), RGBColor(gray: 100)])
    }

    @Test func interlacedPNG() throws {
        let data = try Data(contentsOf: corpusURL("interlaced.png"))
        #expect(try ImageDecoding.header(of: data).isInterlaced)
        let image = try ImageDecoding.decode(data: data)
        for y in 0..<9 {
            for x in 0..<9 {
                #expect(image[x: x, y: y] == rgb(UInt8(20 * x), UInt8(20 * y), UInt8(10 * (x + y))), "pixel (\(x), \(y))")
            }
        }
    }

    @Test func rgbJPEG() throws {
        let image = try decodeCorpus("rgb.jpg")
        // Four 8 × 8 blocks: red, green / blue, white (JPEG is lossy: allow 3 levels).
        let expected: [(Int, Int, RGBColor)] = [(3, 3, .red), (12, 3, rgb(0, 255, 0)), (3, 12, .blue), (12, 12, .white)]
        for (x, y, color) in expected {
            #expect(channelDistance(image[x: x, y: y], color) <= 3, "(\(x), \(y)) = \(image[x: x, y: y])")
        }
    }

    @Test func progressiveJPEG() throws {
        let data = try Data(contentsOf: corpusURL("progressive.jpg"))
        #expect(try ImageDecoding.header(of: data).isInterlaced)
        let image = try ImageDecoding.decode(data: data)
        #expect(channelDistance(image[x: 4, y: 4], .red) <= 3)
        #expect(channelDistance(image[x: 11, y: 11], .white) <= 3)
    }

    @Test func grayscaleJPEG() throws {
        let data = try Data(contentsOf: corpusURL("gray.jpg"))
        #expect(try ImageDecoding.header(of: data).storedComponents == 1)
        let image = try ImageDecoding.decode(data: data)
        let expected: [(Int, Int, UInt8)] = [(3, 3, 0), (12, 3, 85), (3, 12, 170), (12, 12, 255)]
        for (x, y, level) in expected {
            let pixel = image[x: x, y: y]
            #expect(pixel.red == pixel.green && pixel.green == pixel.blue)
            #expect(abs(Int(pixel.red) - Int(level)) <= 2, "(\(x), \(y)) = \(pixel)")
        }
    }

    @Test func cmykJPEGWithAdobeMarker() throws {
        let data = try Data(contentsOf: corpusURL("cmyk.jpg"))
        #expect(try ImageDecoding.header(of: data).storedComponents == 4)
        let image = try ImageDecoding.decode(data: data)
        // CMYK blocks (0,0,0,0) white, (255,0,0,0) cyan, (0,0,0,255) black, (0,128,255,0):
        // R = (255 − C)(255 − K)/255 → (255, 127, 0).
        let expected: [(Int, Int, RGBColor)] = [
            (3, 3, .white), (12, 3, rgb(0, 255, 255)), (3, 12, .black), (12, 12, rgb(255, 127, 0)),
        ]
        for (x, y, color) in expected {
            #expect(channelDistance(image[x: x, y: y], color) <= 3, "(\(x), \(y)) = \(image[x: x, y: y])")
        }
    }

    /// Pillow decodes the same JPEGs with libjpeg-turbo too; the references are its `convert("RGB")`.
    @Test(arguments: ["rgb.jpg", "gray.jpg", "cmyk.jpg", "progressive.jpg"])
    func jpegMatchesPillow(name: String) throws {
        let ours = try decodeCorpus(name)
        let pillow = try decodeCorpus(name + ".pillow.png")
        let difference = try #require(maximumDifference(ours, pillow))
        #expect(difference <= 1, "largest difference from Pillow: \(difference)")
    }
}
