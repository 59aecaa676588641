import RectGradCore
import RectGradImage
import Testing

/// The geometry of torchvision's evaluation transform, with hand-derived sizes and offsets.
@Suite struct PreprocessingTests {
    let center = Preprocessing(inputSize: 224, resize: .centerCrop(shorterSide: 256), scaling: .imageNet)

    func image(width: Int, height: Int) throws -> RGBImage {
        try RGBImage(width: width, height: height, pixels: seededBytes(count: width * height * 3, seed: UInt64(width * 1000 + height)))
    }

    // (width, height) → resized size and crop corner, by hand:
    // 300×200: shorter side 200 → 256, longer ⌊256·300/200⌋ = 384; left (384−224)/2 = 80, top 16.
    // 301×200: longer ⌊385.28⌋ = 385; left 161/2 = 80.5 → 80 (half to even), top 16.
    // 200×301: the same transposed: 256×385, left 16, top 80.
    // 256×256: no resize; crop at (16, 16).
    @Test(arguments: [
        (300, 200, 384, 256, 80, 16), (301, 200, 385, 256, 80, 16), (200, 301, 256, 385, 16, 80), (256, 256, 256, 256, 16, 16),
        (224, 1000, 256, 1142, 16, 459),
    ])
    func centerCropFollowsTorchvision(_ c: (Int, Int, Int, Int, Int, Int)) throws {
        let photo = try image(width: c.0, height: c.1)
        let expected = try photo.resized(width: c.2, height: c.3).cropped(x: c.4, y: c.5, width: 224, height: 224)
        #expect(try center.prepared(photo) == expected)
        #expect(try center.input(from: photo).scalars == expected.tensor(scaling: .imageNet).scalars)
    }

    @Test func stretchResizesStraightToTheInputSize() throws {
        let photo = try image(width: 50, height: 20)
        let stretch = center.resizing(.stretch)
        #expect(try stretch.prepared(photo) == photo.resized(width: 224, height: 224))
        let cifar = Preprocessing.symmetric(inputSize: 32)
        #expect(try cifar.input(from: photo).shape == [1, 3, 32, 32])
    }

    @Test func batchesStackThePreparedImages() throws {
        let a = try image(width: 300, height: 200), b = try image(width: 200, height: 301)
        let batch = try center.input(from: [a, b])
        #expect(batch.shape == [2, 3, 224, 224])
        #expect(batch.example(1).scalars == (try center.input(from: b)).scalars)
        #expect(throws: ImageError.self) { try center.input(from: [RGBImage]()) }
    }

    @Test func timmCropFractionForOtherSizes() {
        #expect(Preprocessing.imageNetEvaluation(inputSize: 224).resize == .centerCrop(shorterSide: 256))
        #expect(Preprocessing.imageNetEvaluation(inputSize: 299).resize == .centerCrop(shorterSide: 341))
    }

    @Test func aShorterSideSmallerThanTheCropIsRefused() throws {
        let bad = Preprocessing(inputSize: 224, resize: .centerCrop(shorterSide: 200), scaling: .imageNet)
        #expect(throws: ImageError.self) { try bad.prepared(image(width: 300, height: 300)) }
    }
}

/// Against torchvision's `Resize(256)` + `CenterCrop(224)` on PIL images
/// (`Scripts/fixtures/make_preprocessing_fixtures.py`): Pillow rounds its intermediate rows to
/// 8 bits, this package keeps them in Float, so a level may differ by one.
@Test(arguments: ["landscape-301x213", "portrait-230x411"])
func centerCropMatchesTorchvision(name: String) throws {
    let source = try decodeCorpus("\(name).png")
    let torchvision = try decodeCorpus("\(name).torchvision-eval.png")
    let ours = try Preprocessing.imageNetEvaluation(inputSize: 224).prepared(source)
    #expect(ours.width == 224 && ours.height == 224)
    let difference = try #require(maximumDifference(ours, torchvision))
    #expect(difference <= 1, "largest difference from torchvision: \(difference)")
}
