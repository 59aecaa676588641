import Testing
import RectGradCore
import RectGradData

@Suite struct ShapesDatasetTests {
    @Test func theSameSeedGivesTheSameBytes() throws {
        let a = try ShapesDataset(split: .train, count: 40, seed: 7)
        let b = try ShapesDataset(split: .train, count: 40, seed: 7)
        #expect(a.pixels == b.pixels)
        #expect(a.masks == b.masks)
        #expect(a.labels == b.labels)
        #expect(a.images == b.images)
        #expect(a.objects == b.objects)
    }

    @Test func seedsAndSplitsGiveDifferentImages() throws {
        let base = try ShapesDataset(split: .train, count: 20, seed: 7)
        let otherSeed = try ShapesDataset(split: .train, count: 20, seed: 8)
        let test = try ShapesDataset(split: .test, count: 20, seed: 7)
        for other in [otherSeed, test] {
            // Not a single image repeats.
            for i in 0..<20 { #expect(try base.pixels(at: i) != other.pixels(at: i)) }
            #expect(base.labels == other.labels)
        }
    }

    @Test func aSmallerDatasetIsAPrefixOfALargerOne() throws {
        let small = try ShapesDataset(split: .test, count: 13, seed: 3)
        let large = try ShapesDataset(split: .test, count: 50, seed: 3)
        #expect(Array(large.pixels.prefix(small.pixels.count)) == small.pixels)
        #expect(Array(large.masks.prefix(small.masks.count)) == small.masks)
        #expect(Array(large.objects.prefix(13)) == small.objects)
    }

    @Test(arguments: [1000, 25]) func classesAreBalanced(count: Int) throws {
        let data = try ShapesDataset(split: .train, count: count, seed: 1, style: .plain)
        var perClass = [Int](repeating: 0, count: ShapesDataset.classCount)
        for label in data.labels { perClass[label] += 1 }
        #expect(perClass.allSatisfy { $0 == count / 10 || $0 == count / 10 + 1 })
        #expect(perClass.reduce(0, +) == count)
        #expect(zip(data.labels, data.objects).allSatisfy { $0 == $1.shape.rawValue })
    }

    /// On the plain style every object pixel has exactly the object colour and every other pixel
    /// exactly the background colour, so the mask is the drawn object, pixel for pixel.
    @Test func masksAreExactlyTheDrawnObject() throws {
        let data = try ShapesDataset(split: .test, count: 200, seed: 11, style: .plain)
        for i in 0..<data.count {
            let pixels = try data.pixels(at: i), mask = try data.mask(at: i)
            let color = data.objects[i].color
            var objectPixels = 0
            for p in 0..<1024 {
                let rgb = RGBColor(pixels[3 * p], pixels[3 * p + 1], pixels[3 * p + 2])
                if mask[p] {
                    objectPixels += 1
                    #expect(rgb == color, "image \(i) pixel \(p)")
                } else {
                    #expect(rgb == RGBColor(128, 128, 128), "image \(i) pixel \(p)")
                }
            }
            #expect(objectPixels >= 20, "image \(i) (\(data.objects[i].shape)) has only \(objectPixels) object pixels")
        }
    }

    /// The mask agrees with the recorded geometry: symmetric shapes are centred on the recorded
    /// centre, and a circle's area is π (0.88 r)² times the stretch.
    @Test func masksAgreeWithTheObjectGeometry() throws {
        let data = try ShapesDataset(split: .train, count: 300, seed: 5)
        let symmetric: Set<ShapeClass> = [.circle, .square, .triangle, .cross, .star, .ring, .diamond, .hourglass]
        for i in 0..<data.count {
            let mask = try data.mask(at: i), object = data.objects[i]
            var (sumX, sumY, area) = (0.0, 0.0, 0.0)
            for p in 0..<1024 where mask[p] {
                sumX += Double(p % 32) + 0.5
                sumY += Double(p / 32) + 0.5
                area += 1
            }
            #expect(area > 0)
            if symmetric.contains(object.shape) {
                #expect(abs(sumX / area - Double(object.centerX)) < 1, "image \(i) \(object.shape)")
                #expect(abs(sumY / area - Double(object.centerY)) < 1, "image \(i) \(object.shape)")
            }
            if object.shape == .circle {
                let expected = Double.pi * (0.88 * Double(object.radius)) * (0.88 * Double(object.radius)) * Double(object.stretch.x * object.stretch.y)
                #expect(abs(area - expected) / expected < 0.1, "image \(i): area \(area), expected \(expected)")
            }
        }
    }

    @Test func theStandardStyleIsClutteredAroundTheObject() throws {
        let data = try ShapesDataset(split: .train, count: 50, seed: 2)
        for i in 0..<data.count {
            let pixels = try data.pixels(at: i), mask = try data.mask(at: i)
            let background = (0..<1024).filter { !mask[$0] }.map { Double(pixels[3 * $0 + 1]) }
            let mean = background.reduce(0, +) / Double(background.count)
            let deviation = (background.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(background.count)).squareRoot()
            // Stripes, checks or blobs plus noise: the background is far from flat.
            #expect(deviation > 5, "image \(i): background deviation \(deviation)")
        }
    }

    @Test func thePatchVariantHasThePatchInTheTopLeftCornerOfEveryImage() throws {
        let patch = OcclusionPatch.paper
        #expect(patch.size == 10)
        for split in DatasetSplit.allCases {
            let plain = try ShapesDataset(split: split, count: 60, seed: 4)
            let patched = try ShapesDataset(split: split, count: 60, seed: 4, style: .standard.withOcclusionPatch())
            #expect(patched.style.occlusionPatch == patch)
            for i in 0..<patched.count {
                let pixels = try patched.pixels(at: i), original = try plain.pixels(at: i)
                let mask = try patched.mask(at: i), originalMask = try plain.mask(at: i)
                for y in 0..<32 {
                    for x in 0..<32 {
                        let p = y * 32 + x
                        if patch.covers(row: y, column: x) {
                            for c in 0..<3 { #expect(pixels[3 * p + c] == patch.pixels[3 * (y * 10 + x) + c]) }
                            #expect(!mask[p])
                        } else {
                            // Elsewhere the image and mask are those of the unpatched dataset.
                            for c in 0..<3 { #expect(pixels[3 * p + c] == original[3 * p + c]) }
                            #expect(mask[p] == originalMask[p])
                        }
                    }
                }
            }
        }
    }

    @Test func theNetworkInputIsThePixelsScaledToPlusMinusOneInNCHW() throws {
        let data = try ShapesDataset(split: .test, count: 3, seed: 9)
        #expect(data.images.shape == [3, 3, 32, 32])
        for (i, y, x, c) in [(0, 0, 0, 0), (1, 5, 17, 1), (2, 31, 31, 2), (2, 12, 3, 0)] {
            let byte = data.pixels[((i * 32 + y) * 32 + x) * 3 + c]
            #expect(data.images[i, c, y, x] == Float(byte) / 127.5 - 1)
        }
        let image = try data.image(at: 1)
        #expect(image.shape == [1, 3, 32, 32])
        #expect(image.scalars == data.images.example(1).scalars)
        let batch = try data.batch([2, 0])
        #expect(batch.labels == [2, 0])
        #expect(batch.images.example(0) == data.images.example(2))
    }

    @Test func badSettingsAreRefused() throws {
        #expect(throws: DataError.self) { try ShapesDataset(split: .train, count: -1) }
        #expect(throws: DataError.self) { try ShapesDataset(split: .train, count: ShapesDataset.maximumCount + 1) }
        #expect(throws: DataError.self) { try ShapesDataset(split: .train, count: 1, style: ShapesStyle(objectRadius: 5...20)) }
        #expect(throws: DataError.self) { try ShapesDataset(split: .train, count: 1, style: ShapesStyle(distractorCount: -1...2)) }
        #expect(throws: DataError.self) { try OcclusionPatch(size: 0) }
        #expect(throws: DataError.self) { try OcclusionPatch(size: 33) }
        let data = try ShapesDataset(split: .train, count: 2)
        #expect(throws: DataError.indexOutOfRange(2, count: 2)) { try data.mask(at: 2) }
        #expect(throws: DataError.indexOutOfRange(-1, count: 2)) { try data.batch([0, -1]) }
        #expect(try ShapesDataset(split: .train, count: 0).images.shape == [0, 3, 32, 32])
    }

    @Test func classNamesAreInLabelOrder() {
        #expect(ShapeClass.names == ["circle", "square", "triangle", "cross", "star", "ring", "diamond", "hourglass", "arrow", "crescent"])
        #expect(Set(RGBColor.palette).count == RGBColor.palette.count)
    }
}
