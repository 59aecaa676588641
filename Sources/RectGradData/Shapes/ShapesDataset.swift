import RectGradCore
import RectGradImage

/// Which part of the built-in dataset to draw. The splits use independent random streams, so a
/// test image never repeats a training image.
public enum DatasetSplit: String, CaseIterable, Sendable, Hashable {
    /// The training images.
    case train
    /// The held-out images.
    case test

    var salt: UInt64 {
        switch self {
        case .train: 0x7452_4149_4E00_0001
        case .test: 0x7445_5354_0000_0002
        }
    }
}

/// The built-in procedural dataset: 32×32 RGB images of ten shapes (``ShapeClass``) of random
/// size, rotation, stretch, colour and position on cluttered textured backgrounds with distractors,
/// each with the exact mask of its object — so "how much attribution falls outside the object"
/// has a true answer.
///
/// Image `i` depends only on `(seed, split, i)` and the style, so a dataset of 100 images is the
/// prefix of one of 1 000 images with the same seed. Labels cycle through the classes
/// (`label = i % 10`), so every class appears `count / 10` times (±1).
///
/// ```swift
/// let train = try ShapesDataset(split: .train, count: 10_000, seed: 1)
/// let test = try ShapesDataset(split: .test, count: 1_000, seed: 1)
/// let occluded = try ShapesDataset(split: .train, count: 10_000, seed: 1, style: .standard.withOcclusionPatch())
/// ```
public struct ShapesDataset: Sendable {
    /// Images are `imageSize × imageSize` pixels.
    public static let imageSize = 32
    /// The number of classes.
    public static let classCount = ShapeClass.allCases.count
    /// The largest supported dataset (about 12 GB of Float images).
    public static let maximumCount = 1_000_000

    /// The split the images were drawn for.
    public let split: DatasetSplit
    /// The number of images.
    public let count: Int
    /// The seed the images were drawn from.
    public let seed: UInt64
    /// How the images were drawn.
    public let style: ShapesStyle

    /// The images as a network input `[count, 3, 32, 32]`, scaled as `pixel / 127.5 − 1`.
    public let images: Tensor
    /// The 8-bit pixels, `count × 32 × 32 × 3` bytes in row-major RGB order (for display).
    public let pixels: [UInt8]
    /// The object masks, `count × 32 × 32` flags in row-major order (`true` on object pixels).
    public let masks: [Bool]
    /// The class index of every image.
    public let labels: [Int]
    /// How each image's object was drawn.
    public let objects: [ShapeObject]

    /// Draws `count` images of `split`.
    /// - Throws: ``DataError/invalidCount(_:reason:)`` for a negative or too large count and
    ///   ``DataError/invalidStyle(_:)`` for a style out of range.
    public init(split: DatasetSplit, count: Int, seed: UInt64 = 0, style: ShapesStyle = .standard) throws(DataError) {
        guard count >= 0 else { throw .invalidCount(count, reason: "the count must not be negative") }
        guard count <= Self.maximumCount else { throw .invalidCount(count, reason: "at most \(Self.maximumCount) images are supported") }
        try style.validate()
        let side = Self.imageSize, plane = side * side
        var pixels = [UInt8](repeating: 0, count: count * plane * 3)
        var masks = [Bool](repeating: false, count: count * plane)
        var objects: [ShapeObject] = []
        objects.reserveCapacity(count)
        var renderer = ShapesRenderer(style: style)
        pixels.withUnsafeMutableBufferPointer { allPixels in
            masks.withUnsafeMutableBufferPointer { allMasks in
                for index in 0..<count {
                    var random = SeededGenerator(seed: Self.imageSeed(seed: seed, split: split, index: index))
                    let shape = ShapeClass.allCases[index % Self.classCount]
                    let imagePixels = UnsafeMutableBufferPointer(rebasing: allPixels[(index * plane * 3)..<((index + 1) * plane * 3)])
                    let imageMask = UnsafeMutableBufferPointer(rebasing: allMasks[(index * plane)..<((index + 1) * plane)])
                    objects.append(renderer.render(shape, random: &random, pixels: imagePixels, mask: imageMask))
                }
            }
        }
        self.split = split
        self.count = count
        self.seed = seed
        self.style = style
        self.pixels = pixels
        self.masks = masks
        self.labels = (0..<count).map { $0 % Self.classCount }
        self.objects = objects
        self.images = Self.networkInput(fromPixels: pixels, count: count)
    }

    /// The seed of image `index`: a SplitMix64-style mix of the dataset seed, the split and the index.
    static func imageSeed(seed: UInt64, split: DatasetSplit, index: Int) -> UInt64 {
        func mix(_ value: UInt64) -> UInt64 {
            var z = value &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return mix(mix(seed ^ split.salt) ^ UInt64(index))
    }

    /// How the dataset's pixels become inputs of `cifar-cnn`: `pixel / 127.5 − 1` (the zoo
    /// entry's preprocessing; the images are already 32×32).
    public static let scaling = PixelScaling.minusOneToOne

    /// Converts row-major RGB bytes to an NCHW tensor scaled by ``scaling``.
    static func networkInput(fromPixels pixels: [UInt8], count: Int) -> Tensor {
        let plane = imageSize * imageSize
        var tensor = Tensor.zeros([count, 3, imageSize, imageSize])
        tensor.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { bytes in
                for image in 0..<count {
                    let source = image * plane * 3, target = image * plane * 3
                    for p in 0..<plane {
                        for c in 0..<3 {
                            out[target + c * plane + p] = scaling.value(of: bytes[source + 3 * p + c], channel: c)
                        }
                    }
                }
            }
        }
        return tensor
    }

    // MARK: Access

    /// Image `index` as a network input `[1, 3, 32, 32]`.
    /// - Throws: ``DataError/indexOutOfRange(_:count:)``.
    public func image(at index: Int) throws(DataError) -> Tensor {
        try batch([index]).images
    }

    /// The 8-bit pixels of image `index`, 32 × 32 × 3 bytes in row-major RGB order.
    /// - Throws: ``DataError/indexOutOfRange(_:count:)``.
    public func pixels(at index: Int) throws(DataError) -> [UInt8] {
        try checkIndex(index)
        let size = 3 * Self.imageSize * Self.imageSize
        return Array(pixels[(index * size)..<((index + 1) * size)])
    }

    /// The object mask of image `index`, 32 × 32 flags in row-major order.
    /// - Throws: ``DataError/indexOutOfRange(_:count:)``.
    public func mask(at index: Int) throws(DataError) -> [Bool] {
        try checkIndex(index)
        let size = Self.imageSize * Self.imageSize
        return Array(masks[(index * size)..<((index + 1) * size)])
    }

    /// The images and labels at `indices`, in that order, as a batch `[indices.count, 3, 32, 32]`.
    /// - Throws: ``DataError/indexOutOfRange(_:count:)``.
    public func batch(_ indices: [Int]) throws(DataError) -> (images: Tensor, labels: [Int]) {
        for index in indices { try checkIndex(index) }
        do {
            return (try images.gathering(examples: indices), indices.map { labels[$0] })
        } catch {
            throw .inconsistentData("\(error)")
        }
    }

    private func checkIndex(_ index: Int) throws(DataError) {
        guard index >= 0, index < count else { throw .indexOutOfRange(index, count: count) }
    }
}
