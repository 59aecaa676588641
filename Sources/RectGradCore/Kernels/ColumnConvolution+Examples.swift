/// im2col convolutions of small images at batch > 1, several examples per product.
///
/// With a small output plane (7×7, 14×14) a product per example is narrow (49 or 196 columns):
/// the blocked kernel runs below speed and packs the whole kernel matrix again for each example.
/// Here the column matrices of a chunk of examples are unfolded side by side,
/// `[k, examples·plane]`, and one product serves the chunk. Chunks have a fixed size (by shape,
/// see ``ColumnConvolution/examplesPerChunk(_:)``), and the products are cut by shape
/// (``ParallelGEMM``), so the result does not depend on the number of workers.
extension ColumnConvolution {
    /// Whether an im2col convolution of `s` (not pointwise) multiplies several examples at once.
    static func batchesColumns(_ s: ConvolutionShape) -> Bool {
        s.groups == 1 && s.batch > 1 && s.outputPlane < batchedPlane
    }

    /// Examples per chunk: the side-by-side columns and output (or output gradient) of a chunk
    /// within 2²¹ floats (8 MiB).
    static func examplesPerChunk(_ s: ConvolutionShape) -> Int {
        max(1, min(s.batch, (1 << 21) / max((s.columnRows + s.outputChannels) * s.outputPlane, 1)))
    }

    /// Unfolds examples `first ..< first + examples` side by side into `columns` (row stride
    /// `examples · plane`), example by example and channel range by channel range across the workers.
    private static func unfoldExamples(_ s: ConvolutionShape, x: UnsafePointer<Float>, first: Int, examples: Int, into columns: UnsafeMutablePointer<Float>, workers: Workers) {
        let plane = s.outputPlane, width = examples * plane, taps = s.kernelHeight * s.kernelWidth
        let parts = min(s.inputChannels, max(1, (4 * workers.count + examples - 1) / examples))
        let pointers = UncheckedSendable((x, columns))
        // Copies: the cut does not change any value.
        workers.forEach(items: examples * parts) { _, item in
            let (x, columns) = pointers.value
            let e = item / parts, range = Parallel.range(item % parts, of: parts, count: s.inputChannels)
            ConvolutionColumns.unfold(s, image: x + (first + e) * s.inputChannels * s.inputPlane, channels: range, rows: 0..<s.outputHeight,
                                      into: columns + range.lowerBound * taps * width + e * plane, rowStride: width)
        }
    }

    /// Copies the `[channels, plane]` tensors of examples `first ..< first + examples` side by side
    /// into `side`, `[channels, examples · plane]`.
    private static func gatherExamples(_ tensor: UnsafePointer<Float>, into side: UnsafeMutablePointer<Float>, channels: Int, plane: Int,
                                       first: Int, examples: Int, workers: Workers) {
        let width = examples * plane
        let pointers = UncheckedSendable((tensor, side))
        workers.forEach(items: examples) { _, e in
            let (tensor, side) = pointers.value
            let example = tensor + (first + e) * channels * plane
            for row in 0..<channels { (side + row * width + e * plane).update(from: example + row * plane, count: plane) }
        }
    }

    /// The inverse of ``gatherExamples(_:into:channels:plane:first:examples:workers:)``: deals
    /// `side` back to the examples' tensors.
    private static func scatterExamples(_ side: UnsafePointer<Float>, into tensor: UnsafeMutablePointer<Float>, channels: Int, plane: Int,
                                        first: Int, examples: Int, workers: Workers) {
        let width = examples * plane
        let pointers = UncheckedSendable((tensor, side))
        workers.forEach(items: examples) { _, e in
            let (tensor, side) = pointers.value
            let example = tensor + (first + e) * channels * plane
            for row in 0..<channels { (example + row * plane).update(from: side + row * width + e * plane, count: plane) }
        }
    }

    /// Calls `body` for each chunk of examples in order, with the chunk's first example, its number
    /// of examples and two scratch matrices of row width `examples · plane`: the side-by-side
    /// columns (`columnRows` rows) and the output or output gradient (`outputChannels` rows).
    private static func forEachChunk(
        _ s: ConvolutionShape,
        _ body: (_ first: Int, _ examples: Int, _ columns: UnsafeMutablePointer<Float>, _ outputs: UnsafeMutablePointer<Float>) -> Void
    ) {
        let chunk = examplesPerChunk(s)
        let scratch = ScratchBuffer(workers: 1, sliceCount: chunk * s.outputPlane * (s.columnRows + s.outputChannels))
        let columns = scratch.slice(0), outputs = columns + chunk * s.outputPlane * s.columnRows
        for first in stride(from: 0, to: s.batch, by: chunk) {
            body(first, min(chunk, s.batch - first), columns, outputs)
        }
    }

    /// Overwrites `y`: `y[chunk] = w · columns[chunk]`.
    static func forwardAcrossExamples(_ s: ConvolutionShape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, workers: Workers) {
        let k = s.columnRows, m = s.outputChannels, plane = s.outputPlane
        forEachChunk(s) { first, examples, columns, product in
            let width = examples * plane
            unfoldExamples(s, x: x, first: first, examples: examples, into: columns, workers: workers)
            ParallelGEMM.sgemm(transposeA: false, transposeB: false, m: m, n: width, k: k,
                               a: w, lda: k, b: columns, ldb: width, c: product, ldc: width, workers: workers)
            scatterExamples(product, into: y, channels: m, plane: plane, first: first, examples: examples, workers: workers)
        }
    }

    /// Overwrites `dx`: the columns of a chunk are `wᵀ · dy[chunk]`, folded back example by example.
    static func backwardInputAcrossExamples(_ s: ConvolutionShape, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workers: Workers) {
        let k = s.columnRows, m = s.outputChannels, plane = s.outputPlane, taps = s.kernelHeight * s.kernelWidth
        forEachChunk(s) { first, examples, columns, gradient in
            let width = examples * plane
            gatherExamples(dy, into: gradient, channels: m, plane: plane, first: first, examples: examples, workers: workers)
            ParallelGEMM.sgemm(transposeA: true, transposeB: false, m: k, n: width, k: m,
                               a: w, lda: k, b: gradient, ldb: width, c: columns, ldc: width, workers: workers)
            // Each item owns a range of input channels of one example: disjoint writes.
            let parts = min(s.inputChannels, max(1, (4 * workers.count + examples - 1) / examples))
            let pointers = UncheckedSendable((dx, UnsafePointer(columns)))
            workers.forEach(items: examples * parts) { _, item in
                let (dx, columns) = pointers.value
                let e = item / parts, range = Parallel.range(item % parts, of: parts, count: s.inputChannels)
                let image = dx + (first + e) * s.inputChannels * s.inputPlane
                (image + range.lowerBound * s.inputPlane).update(repeating: 0, count: range.count * s.inputPlane)
                ConvolutionColumns.fold(s, columns: columns + range.lowerBound * taps * width + e * plane, channels: range,
                                        rows: 0..<s.outputHeight, into: image, rowStride: width)
            }
        }
    }

    /// Accumulates into `dw`: `dw += dy[chunk] · columns[chunk]ᵀ`, chunk by chunk in order.
    static func backwardWeightAcrossExamples(_ s: ConvolutionShape, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, workers: Workers) {
        let k = s.columnRows, m = s.outputChannels, plane = s.outputPlane
        forEachChunk(s) { first, examples, columns, gradient in
            let width = examples * plane
            unfoldExamples(s, x: x, first: first, examples: examples, into: columns, workers: workers)
            gatherExamples(dy, into: gradient, channels: m, plane: plane, first: first, examples: examples, workers: workers)
            ParallelGEMM.sgemm(transposeA: false, transposeB: true, m: m, n: k, k: width,
                               a: gradient, lda: width, b: columns, ldb: width, beta: 1, c: dw, ldc: k, workers: workers)
        }
    }
}
