import RectGradCore

/// A fixed square of random pixels pasted into the top-left corner of every image, train and test
/// alike — the paper's training-dataset occlusion experiment (Kim et al. 2019): the patch carries
/// no class information, so a good attribution method puts almost nothing in it.
public struct OcclusionPatch: Hashable, Sendable {
    /// The side length in pixels.
    public let size: Int
    /// The seed the pixels were drawn from.
    public let seed: UInt64
    /// The pixels, `size × size × 3` bytes in row-major RGB order.
    public let pixels: [UInt8]

    /// The seed of the paper-style patch.
    public static let defaultSeed: UInt64 = 0x0CC1_0DED

    /// Draws a patch of uniformly random pixels.
    /// - Throws: ``DataError/invalidStyle(_:)`` unless `1 ≤ size ≤ 32`.
    public init(size: Int = 10, seed: UInt64 = OcclusionPatch.defaultSeed) throws(DataError) {
        guard (1...ShapesDataset.imageSize).contains(size) else {
            throw .invalidStyle("occlusion patch size \(size) is outside 1...\(ShapesDataset.imageSize)")
        }
        self.init(validSize: size, seed: seed)
    }

    private init(validSize size: Int, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        self.size = size
        self.seed = seed
        self.pixels = (0..<(size * size * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) }
    }

    /// The paper's setting: one 10×10 patch of random pixels, drawn once from a fixed seed.
    public static let paper = OcclusionPatch(validSize: 10, seed: defaultSeed)

    /// Whether pixel `(row, column)` lies under the patch.
    public func covers(row: Int, column: Int) -> Bool { row >= 0 && column >= 0 && row < size && column < size }
}
