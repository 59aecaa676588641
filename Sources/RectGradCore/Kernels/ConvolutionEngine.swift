/// Chooses the algorithm for each convolution pass:
///
/// - one input and one output channel per group: direct depthwise loops
///   (``DepthwiseConvolution``);
/// - 3×3, stride 1, no dilation or groups: Winograd F(2×2, 3×3) for the forward pass and the
///   gradient to the input (``WinogradConvolution``), unless a call has few tiles and a large
///   kernel (see ``WinogradConvolution/isApplicable(_:)``);
/// - everything else, and every gradient to the weights: im2col + SGEMM
///   (``ColumnConvolution``), cut into bands of output rows that stay in cache.
enum ConvolutionEngine {
    /// Overwrites every element of `y`.
    static func forward(_ s: ConvolutionShape, x: UnsafeBufferPointer<Float>, w: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>, workers: Workers) {
        guard let x = x.baseAddress, let w = w.baseAddress, let y = y.baseAddress else {
            // No input channels or no kernel taps: every output is an empty sum.
            if y.count > 0 { y.update(repeating: 0) }
            return
        }
        if DepthwiseConvolution.isApplicable(s) {
            DepthwiseConvolution.forward(s, x: x, w: w, y: y, workers: workers)
        } else if WinogradConvolution.isApplicable(s) {
            WinogradConvolution.forward(s, x: x, w: w, y: y, workers: workers)
        } else {
            ColumnConvolution.forward(s, x: x, w: w, y: y, workers: workers)
        }
    }

    /// Overwrites every element of `dx`.
    static func backwardInput(_ s: ConvolutionShape, dy: UnsafeBufferPointer<Float>, w: UnsafeBufferPointer<Float>, dx: UnsafeMutableBufferPointer<Float>, workers: Workers) {
        guard let dy = dy.baseAddress, let w = w.baseAddress, let dx = dx.baseAddress else {
            if dx.count > 0 { dx.update(repeating: 0) }
            return
        }
        if DepthwiseConvolution.isApplicable(s) {
            DepthwiseConvolution.backwardInput(s, dy: dy, w: w, dx: dx, workers: workers)
        } else if WinogradConvolution.isApplicable(s) {
            WinogradConvolution.backwardInput(s, dy: dy, w: w, dx: dx, workers: workers)
        } else {
            ColumnConvolution.backwardInput(s, dy: dy, w: w, dx: dx, workers: workers)
        }
    }

    /// Accumulates into `dw`.
    static func backwardWeight(_ s: ConvolutionShape, dy: UnsafeBufferPointer<Float>, x: UnsafeBufferPointer<Float>, dw: UnsafeMutableBufferPointer<Float>, workers: Workers) {
        guard let dy = dy.baseAddress, let x = x.baseAddress, let dw = dw.baseAddress else { return }
        if DepthwiseConvolution.isApplicable(s) {
            DepthwiseConvolution.backwardWeight(s, dy: dy, x: x, dw: dw, workers: workers)
        } else {
            ColumnConvolution.backwardWeight(s, dy: dy, x: x, dw: dw, workers: workers)
        }
    }
}

/// im2col + SGEMM convolutions.
///
/// When an image has enough output rows, each worker unfolds a band of rows into its own column
/// buffer (sized to stay in its core's cache) and multiplies it on its own thread. Small images
/// are unfolded whole, in parallel by channel, and multiplied with the product split across the
/// workers (``ParallelGEMM``). Bands, channel ranges and partial sums are cut by the shape and
/// ``Parallel/plannedWorkers`` alone, so the result does not depend on the number of workers.
enum ColumnConvolution {
    /// Floats of column buffer per worker and band.
    static let bandBudget = 1 << 18
    /// The fewest output positions a band's product should have: narrower products run far
    /// below the blocked kernel's speed and re-read the whole kernel for little work.
    static let minimumBandWidth = 128

    /// Rows that give a band at least ``minimumBandWidth`` output positions.
    static func minimumRows(_ s: ConvolutionShape) -> Int {
        (minimumBandWidth + s.outputWidth - 1) / max(s.outputWidth, 1)
    }

    /// Output rows per band for a column matrix of `columnRows` rows: within the cache budget,
    /// few enough that an image makes at least `minimumBands` bands (to balance the workers), and
    /// at least `minimumRows`.
    static func rowsPerBand(_ s: ConvolutionShape, columnRows: Int, minimumBands: Int = 1, minimumRows: Int = 1) -> Int {
        let budgetRows = bandBudget / max(columnRows * s.outputWidth, 1)
        let balancedRows = (s.outputHeight + minimumBands - 1) / max(minimumBands, 1)
        return max(1, minimumRows, min(s.outputHeight, budgetRows, balancedRows))
    }

    /// Bands per image that give each of ``Parallel/plannedWorkers`` workers a few bands to take.
    static func balancingBands(images: Int) -> Int {
        (4 * Parallel.plannedWorkers + images - 1) / max(images, 1)
    }

    /// Whether `items` bands are enough to share band by band rather than image by image.
    static func enoughBands(_ items: Int) -> Bool {
        items >= Parallel.plannedWorkers / 2
    }

    /// The largest output plane whose im2col convolutions put several examples into one product
    /// (``forwardAcrossExamples(_:x:w:y:workers:)`` and its gradients): below it a product per
    /// example is narrow (the blocked kernel runs below speed) and reads the whole kernel again
    /// for every example. 1×1 convolutions multiply example by example at every plane size:
    /// laying their examples side by side cost two copies of the input and output, more than the
    /// wider product gained (session 13, Docs/benchmarks.md).
    static let batchedPlane = 400

    /// Pointers into example `n`, group `g`.
    private struct GroupPointers {
        let input: Int, output: Int, weight: Int
        init(_ s: ConvolutionShape, example n: Int, group g: Int) {
            input = (n * s.inputChannels + g * s.inputChannelsPerGroup) * s.inputPlane
            output = (n * s.outputChannels + g * s.outputChannelsPerGroup) * s.outputPlane
            weight = g * s.outputChannelsPerGroup * s.columnRows
        }
    }

    static func forward(_ s: ConvolutionShape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, workers: Workers) {
        let k = s.columnRows, plane = s.outputPlane, outW = s.outputWidth
        let images = s.batch * s.groups
        if s.isPointwise {
            for image in 0..<images {
                let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                ParallelGEMM.sgemm(transposeA: false, transposeB: false, m: s.outputChannelsPerGroup, n: plane, k: k,
                                   a: w + at.weight, lda: k, b: x + at.input, ldb: plane, c: y + at.output, ldc: plane, workers: workers)
            }
            return
        }
        if batchesColumns(s) {
            forwardAcrossExamples(s, x: x, w: w, y: y, workers: workers)
            return
        }
        let rows = rowsPerBand(s, columnRows: k, minimumBands: balancingBands(images: images), minimumRows: minimumRows(s))
        let bands = (s.outputHeight + rows - 1) / rows
        if enoughBands(images * bands) {
            let scratch = ScratchBuffer(workers: workers.count, sliceCount: k * rows * outW)
            SingleThreadedBLAS.run {
                workers.forEach(items: images * bands) { worker, item in
                    let image = item / bands, band = item % bands
                    let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                    let range = (band * rows)..<min((band + 1) * rows, s.outputHeight)
                    let columns = scratch.slice(worker)
                    ConvolutionColumns.unfold(s, image: x + at.input, channels: 0..<s.inputChannelsPerGroup, rows: range, into: columns)
                    BLAS.sgemm(transposeA: false, transposeB: false, m: s.outputChannelsPerGroup, n: range.count * outW, k: k,
                               a: w + at.weight, lda: k, b: columns, ldb: range.count * outW,
                               c: y + at.output + range.lowerBound * outW, ldc: plane)
                }
            }
        } else {
            let scratch = ScratchBuffer(workers: 1, sliceCount: k * plane)
            let columns = scratch.slice(0)
            for image in 0..<images {
                let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                unfoldInParallel(s, image: x + at.input, into: columns, workers: workers)
                ParallelGEMM.sgemm(transposeA: false, transposeB: false, m: s.outputChannelsPerGroup, n: plane, k: k,
                                   a: w + at.weight, lda: k, b: columns, ldb: plane, c: y + at.output, ldc: plane, workers: workers)
            }
        }
    }

    /// Unfolds a whole group image, its channels split across the workers.
    private static func unfoldInParallel(_ s: ConvolutionShape, image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, workers: Workers) {
        let channels = s.inputChannelsPerGroup, taps = s.kernelHeight * s.kernelWidth
        // A copy: the cut does not change any value.
        let parts = min(channels, workers.count * 4)
        let pointers = UncheckedSendable((image, columns))
        workers.forEach(items: parts) { _, part in
            let (image, columns) = pointers.value
            let range = Parallel.range(part, of: parts, count: channels)
            ConvolutionColumns.unfold(s, image: image, channels: range, rows: 0..<s.outputHeight,
                                      into: columns + range.lowerBound * taps * s.outputPlane)
        }
    }

    /// Overwrites `dx`. Large images go band by band: a band's columns are the transposed kernel
    /// times the band of the output gradient, folded back into the input rows the band reads.
    /// Neighbouring bands share input rows, so the even bands run first and the odd bands after;
    /// a band at least as tall as the kernel's extent never reaches the next band of its parity.
    /// Small images split the input channels across the workers instead.
    static func backwardInput(_ s: ConvolutionShape, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workers: Workers) {
        let k = s.columnRows, plane = s.outputPlane
        let images = s.batch * s.groups
        if s.isPointwise {
            for image in 0..<images {
                let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                ParallelGEMM.sgemm(transposeA: true, transposeB: false, m: k, n: plane, k: s.outputChannelsPerGroup,
                                   a: w + at.weight, lda: k, b: dy + at.output, ldb: plane, c: dx + at.input, ldc: plane, workers: workers)
            }
            return
        }
        if batchesColumns(s) {
            backwardInputAcrossExamples(s, dy: dy, w: w, dx: dx, workers: workers)
            return
        }
        let extent = s.geometry.dilation.height * (s.kernelHeight - 1) + 1
        let rows = rowsPerBand(s, columnRows: k, minimumBands: 2 * balancingBands(images: images), minimumRows: max(extent, minimumRows(s)))
        let bands = (s.outputHeight + rows - 1) / rows
        if enoughBands(images * bands) {
            backwardInputByBands(s, rows: rows, bands: bands, workers: workers, dy: dy, w: w, dx: dx)
        } else {
            backwardInputByChannels(s, workers: workers, dy: dy, w: w, dx: dx)
        }
    }

    private static func backwardInputByBands(_ s: ConvolutionShape, rows: Int, bands: Int, workers: Workers, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let k = s.columnRows, plane = s.outputPlane, outW = s.outputWidth
        let images = s.batch * s.groups
        let total = s.batch * s.inputChannels * s.inputPlane
        let zeroParts = 4 * workers.count
        let target = UncheckedSendable(dx)
        workers.forEach(items: zeroParts) { _, part in
            let range = Parallel.range(part, of: zeroParts, count: total)
            (target.value + range.lowerBound).update(repeating: 0, count: range.count)
        }
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: k * rows * outW)
        SingleThreadedBLAS.run {
            for parity in 0..<2 {
                let perImage = (bands - parity + 1) / 2
                workers.forEach(items: images * perImage) { worker, item in
                    let image = item / perImage, band = parity + 2 * (item % perImage)
                    let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                    let range = (band * rows)..<min((band + 1) * rows, s.outputHeight)
                    let columns = scratch.slice(worker)
                    BLAS.sgemm(transposeA: true, transposeB: false, m: k, n: range.count * outW, k: s.outputChannelsPerGroup,
                               a: w + at.weight, lda: k, b: dy + at.output + range.lowerBound * outW, ldb: plane,
                               c: columns, ldc: range.count * outW)
                    ConvolutionColumns.fold(s, columns: columns, channels: 0..<s.inputChannelsPerGroup, rows: range, into: target.value + at.input)
                }
            }
        }
    }

    /// Each worker owns a range of input channels, multiplies the transposed kernel rows of those
    /// channels with the whole output gradient and folds the columns into its own channels.
    private static func backwardInputByChannels(_ s: ConvolutionShape, workers: Workers, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let k = s.columnRows, plane = s.outputPlane, outW = s.outputWidth
        let images = s.batch * s.groups
        let taps = s.kernelHeight * s.kernelWidth
        let channels = s.inputChannelsPerGroup
        let parts = min(channels, 2 * Parallel.plannedWorkers)
        let largestPart = (channels + parts - 1) / parts
        let rows = rowsPerBand(s, columnRows: largestPart * taps)
        let bands = (s.outputHeight + rows - 1) / rows
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: largestPart * taps * rows * outW)
        SingleThreadedBLAS.run {
            workers.forEach(items: images * parts) { worker, item in
                let image = item / parts
                let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                let channelRange = Parallel.range(item % parts, of: parts, count: channels)
                let columns = scratch.slice(worker)
                (dx + at.input + channelRange.lowerBound * s.inputPlane).update(repeating: 0, count: channelRange.count * s.inputPlane)
                for band in 0..<bands {
                    let range = (band * rows)..<min((band + 1) * rows, s.outputHeight)
                    BLAS.sgemm(transposeA: true, transposeB: false,
                               m: channelRange.count * taps, n: range.count * outW, k: s.outputChannelsPerGroup,
                               a: w + at.weight + channelRange.lowerBound * taps, lda: k,
                               b: dy + at.output + range.lowerBound * outW, ldb: plane,
                               c: columns, ldc: range.count * outW)
                    ConvolutionColumns.fold(s, columns: columns, channels: channelRange, rows: range, into: dx + at.input)
                }
            }
        }
    }

    /// Accumulates into `dw`. Bands are dealt to a fixed number of partial sums in a fixed order,
    /// so the result depends neither on thread timing nor on the number of workers.
    static func backwardWeight(_ s: ConvolutionShape, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, workers: Workers) {
        let k = s.columnRows, plane = s.outputPlane, outW = s.outputWidth
        let images = s.batch * s.groups
        if s.isPointwise {
            for image in 0..<images {
                let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                ParallelGEMM.sgemm(transposeA: false, transposeB: true, m: s.outputChannelsPerGroup, n: k, k: plane,
                                   a: dy + at.output, lda: plane, b: x + at.input, ldb: plane, beta: 1, c: dw + at.weight, ldc: k, workers: workers)
            }
            return
        }
        if batchesColumns(s) {
            backwardWeightAcrossExamples(s, dy: dy, x: x, dw: dw, workers: workers)
            return
        }
        let rows = rowsPerBand(s, columnRows: k, minimumBands: balancingBands(images: images), minimumRows: minimumRows(s))
        let bands = (s.outputHeight + rows - 1) / rows
        let items = images * bands
        guard enoughBands(items) else {
            let scratch = ScratchBuffer(workers: 1, sliceCount: k * plane)
            let columns = scratch.slice(0)
            for image in 0..<images {
                let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                unfoldInParallel(s, image: x + at.input, into: columns, workers: workers)
                ParallelGEMM.sgemm(transposeA: false, transposeB: true, m: s.outputChannelsPerGroup, n: k, k: plane,
                                   a: dy + at.output, lda: plane, b: columns, ldb: plane, beta: 1, c: dw + at.weight, ldc: k, workers: workers)
            }
            return
        }
        // A fixed number of partial sums, each over a fixed set of bands in a fixed order, added
        // in their order: the same sums whatever the number of workers.
        let weightCount = s.outputChannels * k
        let columnCount = k * rows * outW
        let partials = min(items, Parallel.plannedWorkers)
        let columns = ScratchBuffer(workers: workers.count, sliceCount: columnCount)
        let sums = ScratchBuffer(workers: partials, sliceCount: weightCount)
        SingleThreadedBLAS.run {
            workers.forEach(items: partials) { worker, part in
                let columns = columns.slice(worker), partial = sums.slice(part)
                partial.update(repeating: 0, count: weightCount)
                for item in stride(from: part, to: items, by: partials) {
                    let image = item / bands, band = item % bands
                    let at = GroupPointers(s, example: image / s.groups, group: image % s.groups)
                    let range = (band * rows)..<min((band + 1) * rows, s.outputHeight)
                    ConvolutionColumns.unfold(s, image: x + at.input, channels: 0..<s.inputChannelsPerGroup, rows: range, into: columns)
                    BLAS.sgemm(transposeA: false, transposeB: true, m: s.outputChannelsPerGroup, n: k, k: range.count * outW,
                               a: dy + at.output + range.lowerBound * outW, lda: plane, b: columns, ldb: range.count * outW,
                               beta: 1, c: partial + at.weight, ldc: k)
                }
            }
        }
        for part in 0..<partials {
            let partial = sums.slice(part)
            for i in 0..<weightCount { dw[i] += partial[i] }
        }
    }
}
