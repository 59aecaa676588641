/// Winograd F(2×2, 3×3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural
/// Networks", CVPR 2016) for 3×3, stride-1, undilated, ungrouped convolutions.
///
/// Each 2×2 block of outputs ("tile") is computed from a 4×4 input patch with 16 multiplications
/// per channel pair instead of 36: `Y = Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A`. The sum over channels is
/// 16 matrix products, one per position ξ of the 4×4 transformed tile. The transform matrices
/// only hold 0, ±1 and ±½, so the rounding error stays within a few ulps of the direct sum.
///
/// The gradient with respect to the input of a stride-1 convolution is itself a stride-1
/// convolution of the output gradient with the spatially flipped, channel-transposed kernel and
/// padding `2 − p`, so the same engine serves both directions.
enum WinogradConvolution {
    /// Positions of a transformed 4×4 tile.
    static let positions = 16

    /// Whether the fast path applies to the forward and input-gradient passes of `s`.
    static func isApplicable(_ s: ConvolutionShape) -> Bool {
        let g = s.geometry
        return s.kernelHeight == 3 && s.kernelWidth == 3
            && g.stride == 1 && g.dilation == 1 && g.groups == 1
            && g.padding.height <= 2 && g.padding.width <= 2
            // Too few channels leave nothing for the products to win back the transforms.
            && s.inputChannels >= 8 && s.outputChannels >= 8
            && s.outputHeight >= 2 && s.outputWidth >= 2
            && !transformOutweighsProducts(s)
    }

    /// The fewest tiles per call (all examples) at which a large kernel is worth transforming.
    static let minimumTilesForLargeKernels = 40

    /// Whether the kernel transform, recomputed on every call, would cost more than Winograd's
    /// products save over im2col: when the transformed kernel (16 floats per channel pair)
    /// exceeds a core's cache budget (2¹⁹ floats, 2 MiB), the transform is bound
    /// by memory (it reads 9 and writes 16 floats per pair, and the products read the 16 again),
    /// and with few tiles the products are too small to pay for it. ResNet-50's 512→512 layers
    /// at 7×7 (16 tiles per image): 3.8 ms transform + 3.1 ms products against 3.0 ms for the
    /// im2col product at batch 1 (Docs/benchmarks.md, "Per-core efficiency").
    static func transformOutweighsProducts(_ s: ConvolutionShape) -> Bool {
        let tiles = s.batch * ((s.outputHeight + 1) / 2) * ((s.outputWidth + 1) / 2)
        return positions * s.inputChannels * s.outputChannels > 1 << 19 && tiles < minimumTilesForLargeKernels
    }

    /// `y = conv(x, w)` for every example.
    static func forward(_ s: ConvolutionShape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, workers: Workers) {
        let problem = WinogradProblem(
            batch: s.batch, inputChannels: s.inputChannels, outputChannels: s.outputChannels,
            inputHeight: s.inputHeight, inputWidth: s.inputWidth,
            outputHeight: s.outputHeight, outputWidth: s.outputWidth,
            padTop: s.geometry.padding.height, padLeft: s.geometry.padding.width, flipped: false)
        run(problem, input: x, weights: w, output: y, workers: workers)
    }

    /// `dx = convᵀ(dy, w)`: a forward pass over `dy` with the flipped, transposed kernel.
    static func backwardInput(_ s: ConvolutionShape, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workers: Workers) {
        let problem = WinogradProblem(
            batch: s.batch, inputChannels: s.outputChannels, outputChannels: s.inputChannels,
            inputHeight: s.outputHeight, inputWidth: s.outputWidth,
            outputHeight: s.inputHeight, outputWidth: s.inputWidth,
            padTop: 2 - s.geometry.padding.height, padLeft: 2 - s.geometry.padding.width, flipped: true)
        run(problem, input: dy, weights: w, output: dx, workers: workers)
    }

    private static func run(_ p: WinogradProblem, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, workers: Workers) {
        if let bands = p.bandsPerExample {
            runBands(p, bandsPerExample: bands, workers: workers, input: input, weights: weights, output: output)
        } else {
            runChannelBlocks(p, workers: workers, input: input, weights: weights, output: output)
        }
    }

    /// Large images: the whole kernel is transformed once, then each worker takes bands of tile
    /// rows and runs all three steps on them, so a band's transformed tiles and products stay
    /// in that core's cache.
    private static func runBands(_ p: WinogradProblem, bandsPerExample: Int, workers: Workers, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let kernelCount = positions * p.outputChannels * p.inputChannels
        let maximumTiles = (p.tilesY + bandsPerExample - 1) / bandsPerExample * p.tilesX
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: positions * maximumTiles * (p.inputChannels + p.outputChannels))
        let kernel = ScratchBuffer(workers: 1, sliceCount: kernelCount)
        let u = kernel.slice(0)
        let layout = p.transformWeights(weights, outputChannels: 0..<p.outputChannels, scratch: nil, splitAcrossWorkers: workers, into: u)
        SingleThreadedBLAS.run {
            workers.forEach(items: p.batch * bandsPerExample) { worker, item in
                let tiles = WinogradTiles(examples: (item / bandsPerExample)..<(item / bandsPerExample + 1),
                                          rows: Parallel.range(item % bandsPerExample, of: bandsPerExample, count: p.tilesY),
                                          tilesX: p.tilesX)
                let v = scratch.slice(worker), m = v + positions * p.inputChannels * tiles.count
                p.transformInput(input, tiles: tiles, channels: 0..<p.inputChannels, into: v)
                for xi in 0..<positions {
                    BLAS.sgemm(transposeA: layout.transposed, transposeB: false, m: p.outputChannels, n: tiles.count, k: p.inputChannels,
                               a: u + xi * p.outputChannels * p.inputChannels, lda: layout.leadingDimension,
                               b: v + xi * p.inputChannels * tiles.count, ldb: tiles.count,
                               c: m + xi * p.outputChannels * tiles.count, ldc: tiles.count)
                }
                p.transformOutput(m, positionStride: p.outputChannels * tiles.count, tiles: tiles,
                                  channels: 0..<p.outputChannels, into: output)
            }
        }
    }

    /// Small images: all tiles of a chunk of examples are transformed together, then each worker
    /// takes blocks of output channels and, for its block, transforms that slice of the kernel,
    /// runs the products and the output transform. The transformed kernel (16/9 the size of the
    /// kernel) thus never leaves the worker's cache.
    private static func runChannelBlocks(_ p: WinogradProblem, workers: Workers, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let perExample = positions * p.inputChannels * p.tilesPerImage
        let examplesPerChunk = max(1, min(p.batch, (1 << 22) / perExample))
        let maximumTiles = examplesPerChunk * p.tilesPerImage
        let transformedInput = ScratchBuffer(workers: 1, sliceCount: positions * p.inputChannels * maximumTiles)
        let v = transformedInput.slice(0)
        // Each block re-reads the transformed input, so blocks grow with the tile count (about
        // two thirds of it, 16 to 128 channels), and each planned worker gets at least one (two
        // each made ResNet-50's 256-channel products at 14 × 14 sixteen channels tall, too small for
        // OpenBLAS's packed kernel: eight blocks took 0.982 of the forward pass on one core).
        let blockTarget = min(128, max(16, (2 * maximumTiles / 3 + 15) / 16 * 16))
        let blocks = max((p.outputChannels + blockTarget - 1) / blockTarget, min(Parallel.plannedWorkers, p.outputChannels / 8))
        let blockSize = (p.outputChannels + blocks - 1) / blocks
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: positions * blockSize * (p.inputChannels + maximumTiles) + 9 * blockSize * p.inputChannels)
        SingleThreadedBLAS.run {
            for firstExample in stride(from: 0, to: p.batch, by: examplesPerChunk) {
                let tiles = WinogradTiles(examples: firstExample..<min(firstExample + examplesPerChunk, p.batch),
                                          rows: 0..<p.tilesY, tilesX: p.tilesX)
                // Transforms channel by channel: the cut does not change any value.
                let inputParts = min(p.inputChannels, 4 * workers.count)
                workers.forEach(items: inputParts) { _, part in
                    p.transformInput(input, tiles: tiles, channels: Parallel.range(part, of: inputParts, count: p.inputChannels), into: v)
                }
                workers.forEach(items: blocks) { worker, block in
                    let channels = Parallel.range(block, of: blocks, count: p.outputChannels)
                    let u = scratch.slice(worker), m = u + positions * blockSize * p.inputChannels
                    let gathered = m + positions * blockSize * maximumTiles
                    let layout = p.transformWeights(weights, outputChannels: channels, scratch: gathered, splitAcrossWorkers: nil, into: u)
                    for xi in 0..<positions {
                        BLAS.sgemm(transposeA: layout.transposed, transposeB: false, m: channels.count, n: tiles.count, k: p.inputChannels,
                                   a: u + xi * channels.count * p.inputChannels, lda: layout.leadingDimension,
                                   b: v + xi * p.inputChannels * tiles.count, ldb: tiles.count,
                                   c: m + xi * channels.count * tiles.count, ldc: tiles.count)
                    }
                    p.transformOutput(m, positionStride: channels.count * tiles.count, tiles: tiles, channels: channels, into: output)
                }
            }
        }
    }
}

/// Sizes of one Winograd pass, in the pass's own orientation: for the input gradient the
/// "input" is the output gradient, the "output" is the input gradient, and the kernel is read
/// flipped and transposed.
struct WinogradProblem: Sendable {
    let batch, inputChannels, outputChannels: Int
    let inputHeight, inputWidth, outputHeight, outputWidth: Int
    let padTop, padLeft: Int
    let flipped: Bool

    var tilesY: Int { (outputHeight + 1) / 2 }
    var tilesX: Int { (outputWidth + 1) / 2 }
    var tilesPerImage: Int { tilesY * tilesX }

    /// Bands per image when bands are worth running independently, else nil. Band `b` of `B`
    /// holds tile rows `Parallel.range(b, of: B, count: tilesY)`. Decided by the shape alone
    /// (the bands change the products' sizes, so they must not depend on the workers).
    var bandsPerExample: Int? {
        // A band's transformed tiles and products within about 2 MiB, a core's L2 cache, but
        // with at least 96 tiles so that the products stay efficient.
        let budget = 1 << 19
        let tilesPerBand = max(budget / (WinogradConvolution.positions * (inputChannels + outputChannels)), 1)
        let rows = max(tilesPerBand / tilesX, (96 + tilesX - 1) / tilesX, 1)
        var bands = (tilesY + rows - 1) / rows
        // One band per image would read the whole transformed kernel for one image's tiles:
        // when that kernel is larger than the budget, channel blocks multiply the tiles of
        // several examples at once instead (a small kernel stays in cache: bands are faster,
        // e.g. cifar-cnn's 32- and 64-channel layers at batch 100).
        guard bands > 1 || WinogradConvolution.positions * inputChannels * outputChannels <= budget else { return nil }
        // Enough bands to share (else channel blocks balance better).
        let planned = Parallel.plannedWorkers
        guard batch * bands >= planned / 2 else { return nil }
        // A multiple of the planned workers where the rows allow, so that 1, 2, 4 or 8 workers
        // get the same number of bands each.
        while (batch * bands) % planned != 0 && bands < tilesY { bands += 1 }
        return bands
    }
}

/// The tiles of tile rows `rows` of examples `examples`, numbered example by example, row by row.
struct WinogradTiles: Sendable {
    let examples: Range<Int>
    let rows: Range<Int>
    let tilesX: Int

    var count: Int { examples.count * rows.count * tilesX }

    /// The number of the first tile of row `row` of example `example`.
    func first(example: Int, row: Int) -> Int {
        ((example - examples.lowerBound) * rows.count + row - rows.lowerBound) * tilesX
    }
}
