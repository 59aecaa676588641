import Foundation
import RectGradImage
import Testing

@Suite struct ResizeTests {
    @Test func sameSizeIsIdentity() throws {
        let image = try RGBImage(width: 6, height: 4, pixels: seededBytes(count: 72, seed: 1))
        #expect(try image.resized(width: 6, height: 4) == image)
    }

    /// 8 → 4 on one row: interior weights are 1/8, 3/8, 3/8, 1/8 and the edges renormalise.
    /// Output 1 is centred at input coordinate 3: w(j) = 1 − |j + 0.5 − 3| / 2 = 1/4, 3/4, 3/4, 1/4
    /// for j = 1…4 (sum 2), so the single 80 at j = 3 gives 3/8 · 80 = 30; output 2 (centre 5)
    /// sees it with weight 1/4 / 2 = 1/8 → 10; outputs 0 and 3 do not reach it.
    @Test func twoTimesShrinkUsesTheWidenedTriangle() throws {
        let values: [UInt8] = [0, 0, 0, 80, 0, 0, 0, 0]
        let image = try RGBImage(width: 8, height: 1, pixels: values.flatMap { [$0, $0, $0] })
        let small = try image.resized(width: 4, height: 1)
        #expect(row(small, 0) == [0, 30, 10, 0].map { RGBColor(gray: $0) })
    }

    /// 4 × 4 → 2 × 2 with R = 40x + 4y, G = 40x, B = 4y. Per axis, output 0 reads inputs 0, 1, 2
    /// with weights 3/4, 3/4, 1/4 (÷ 7/4) and output 1 reads 1, 2, 3 with 1/4, 3/4, 3/4:
    /// 40x → 200/7 = 28.57 and 640/7 = 91.43; 4y → 20/7 = 2.86 and 64/7 = 9.14.
    @Test func twoTimesShrinkHandCase() throws {
        var image = try RGBImage(width: 4, height: 4, color: .black)
        for y in 0..<4 {
            for x in 0..<4 {
                image[x: x, y: y] = rgb(UInt8(40 * x + 4 * y), UInt8(40 * x), UInt8(4 * y))
            }
        }
        let small = try image.resized(width: 2, height: 2)
        // R: 220/7 = 31.4, 660/7 = 94.3, 264/7 = 37.7, 704/7 = 100.6.
        #expect(row(small, 0) == [rgb(31, 29, 3), rgb(94, 91, 3)])
        #expect(row(small, 1) == [rgb(38, 29, 9), rgb(101, 91, 9)])
    }

    /// 2 → 4: output centres 0.25, 0.75, 1.25, 1.75 interpolate between the pixel centres 0.5
    /// and 1.5; the outermost outputs only see one input and copy it.
    @Test func upscaleIsBilinearBetweenPixelCentres() throws {
        let horizontal = try RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 100, 200, 40])
        #expect(try horizontal.resized(width: 4, height: 1).pixels == [0, 0, 0, 25, 50, 10, 75, 150, 30, 100, 200, 40])
        let vertical = try RGBImage(width: 1, height: 2, pixels: [0, 0, 0, 100, 200, 40])
        #expect(try vertical.resized(width: 1, height: 4).pixels == [0, 0, 0, 25, 50, 10, 75, 150, 30, 100, 200, 40])
    }

    @Test(arguments: [(1, 1), (3, 7), (10, 2), (17, 13)])
    func constantImagesStayConstant(width: Int, height: Int) throws {
        let image = try RGBImage(width: 5, height: 9, color: rgb(7, 128, 250))
        let resized = try image.resized(width: width, height: height)
        #expect(resized.pixels == (try RGBImage(width: width, height: height, color: rgb(7, 128, 250))).pixels)
    }

    /// References: Pillow's `resize(size, Image.Resampling.BILINEAR)` of the same 8 × 8 source.
    @Test(arguments: [(5, 3), (13, 11), (3, 12)])
    func matchesPillowWithinOneLevel(width: Int, height: Int) throws {
        let source = try decodeCorpus("resize-source.png")
        let pillow = try decodeCorpus("resize-pil-\(width)x\(height).png")
        let ours = try source.resized(width: width, height: height)
        let difference = try #require(maximumDifference(ours, pillow))
        #expect(difference <= 1, "largest difference from Pillow: \(difference)")
    }

    @Test func shorterSideKeepsAspectLikeTorchvision() throws {
        let wide = try RGBImage(width: 8, height: 4, color: .white)
        let a = try wide.resized(shorterSide: 2)
        #expect(a.width == 4 && a.height == 2)
        let tall = try RGBImage(width: 5, height: 7, color: .white)
        let b = try tall.resized(shorterSide: 3)
        #expect(b.width == 3 && b.height == 4) // ⌊3 · 7 / 5⌋ = ⌊4.2⌋
    }

    @Test func invalidSizesThrow() throws {
        let image = try RGBImage(width: 2, height: 2, color: .white)
        let error = #expect(throws: ImageError.self) { try image.resized(width: 0, height: 3) }
        #expect(error?.reason.kind == "invalidArgument")
        #expect(throws: ImageError.self) { try image.resized(shorterSide: -1) }
    }

    @Test func cropping() throws {
        var image = try RGBImage(width: 5, height: 5, color: .black)
        for y in 0..<5 { for x in 0..<5 { image[x: x, y: y] = rgb(UInt8(x), UInt8(y), 0) } }
        let crop = try image.cropped(x: 1, y: 2, width: 3, height: 2)
        #expect(row(crop, 0) == [rgb(1, 2, 0), rgb(2, 2, 0), rgb(3, 2, 0)])
        #expect(row(crop, 1) == [rgb(1, 3, 0), rgb(2, 3, 0), rgb(3, 3, 0)])
        // (5 − 2) / 2 = 1.5 rounds to even: 2.
        let centre = try image.centerCropped(width: 2, height: 2)
        #expect(centre[x: 0, y: 0] == rgb(2, 2, 0))
        #expect(throws: ImageError.self) { try image.cropped(x: 4, y: 0, width: 2, height: 1) }
        #expect(throws: ImageError.self) { try image.centerCropped(width: 6, height: 1) }
    }
}
