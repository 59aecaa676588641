import Foundation
import RectGradCore
import RectGradImage

/// Writes images of the built-in dataset as files, so that file-based tools (`rectgrad attribute`
/// on a folder or a manifest) can be tried without downloads:
///
/// - `images/<index>-<shape>.png`: the 32×32 RGB image (index zero-padded to the width of the count);
/// - `masks/<index>-<shape>.png`: its object mask as an RGB PNG, white (255) on the object, black elsewhere;
/// - `manifest.csv`: a header `path,label`, then one line per image with the image's path
///   (relative to the folder) and its class index (``ShapeClass/rawValue``; the shipped
///   `cifar-cnn` weights were trained with these indices).
///
/// Image `i` is image `i` of `ShapesDataset(split:count:seed:)` for any count, bit for bit; the
/// default split and seed are the shipped model's held-out images. Images are rendered one at a
/// time, so the memory does not grow with the count. Files are written atomically, the manifest last.
public struct ShapesExport: Sendable {
    /// The split drawn from (default: the held-out test split).
    public var split: DatasetSplit
    /// The dataset seed (default: the shipped model's recipe seed).
    public var seed: UInt64
    /// How the images are drawn.
    public var style: ShapesStyle

    /// Creates an export of the shipped model's held-out images by default.
    public init(split: DatasetSplit = .test, seed: UInt64 = ShippedModel.recipe.seed, style: ShapesStyle = .standard) {
        self.split = split
        self.seed = seed
        self.style = style
    }

    /// The file name stem of image `index` among `count`: `0042-triangle`.
    public static func stem(index: Int, count: Int) -> String {
        let width = String(max(count - 1, 0)).count
        let number = String(index)
        let shape = ShapeClass.allCases[index % ShapesDataset.classCount]
        return String(repeating: "0", count: max(0, width - number.count)) + number + "-" + shape.name
    }

    /// Writes `count` images, their masks and the manifest under `folder` (created if needed).
    /// - Returns: the manifest's URL.
    /// - Throws: ``DataError/invalidCount(_:reason:)``, ``DataError/invalidStyle(_:)``, or
    ///   ``DataError/inconsistentData(_:)`` naming a file that cannot be written.
    @discardableResult
    public func write(count: Int, to folder: URL) throws(DataError) -> URL {
        guard count >= 1 else { throw .invalidCount(count, reason: "export at least one image") }
        guard count <= ShapesDataset.maximumCount else { throw .invalidCount(count, reason: "at most \(ShapesDataset.maximumCount) images are supported") }
        try style.validate()
        let images = folder.appendingPathComponent("images"), masks = folder.appendingPathComponent("masks")
        for directory in [images, masks] {
            do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
                throw .inconsistentData("\(directory.path) cannot be created: \(error.localizedDescription)")
            }
        }
        let side = ShapesDataset.imageSize, plane = side * side
        var renderer = ShapesRenderer(style: style)
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        var mask = [Bool](repeating: false, count: plane)
        var manifest = "path,label\n"
        for index in 0..<count {
            var random = SeededGenerator(seed: ShapesDataset.imageSeed(seed: seed, split: split, index: index))
            let shape = ShapeClass.allCases[index % ShapesDataset.classCount]
            pixels.withUnsafeMutableBufferPointer { pixelBuffer in
                mask.withUnsafeMutableBufferPointer { maskBuffer in
                    _ = renderer.render(shape, random: &random, pixels: pixelBuffer, mask: maskBuffer)
                }
            }
            let name = Self.stem(index: index, count: count) + ".png"
            do {
                let image = try ImageEncoding.encodePNG(pixels: pixels, width: side, height: side, layout: .rgb)
                let maskBytes = mask.flatMap { $0 ? [UInt8](repeating: 255, count: 3) : [0, 0, 0] }
                let maskImage = try ImageEncoding.encodePNG(pixels: maskBytes, width: side, height: side, layout: .rgb)
                try Self.write(image, to: images.appendingPathComponent(name))
                try Self.write(maskImage, to: masks.appendingPathComponent(name))
            } catch {
                throw .inconsistentData("\(name): \(error)")
            }
            manifest += "images/\(name),\(shape.rawValue)\n"
        }
        let manifestURL = folder.appendingPathComponent("manifest.csv")
        do { try Self.write(Data(manifest.utf8), to: manifestURL) } catch {
            throw .inconsistentData("\(manifestURL.path) cannot be written: \(error)")
        }
        return manifestURL
    }

    private static func write(_ data: Data, to url: URL) throws {
        try data.write(to: url, options: .atomic)
    }
}
