import CElementwise

/// Depthwise convolutions with unit dilation and stride 1 or 2 (EfficientNet's), on a zero-padded
/// copy of each plane so that the inner loops have no bounds. The loops are C
/// (`rg_depthwise_taps`, `rg_depthwise_scatter` in CElementwise) with AVX-512 and AVX2 versions
/// chosen at run time; every version gives the same bits.
///
/// - Forward: each output sums its kernel taps in a register, in the order of
///   ``DepthwiseConvolution``'s row sweeps (taps row by row); taps over the padding add zero.
///   With stride 1 the outputs of all rows are one arithmetic sequence of positions in the padded
///   plane, so small planes (7×7, 14×14) still fill whole vectors.
/// - Gradient to the input, stride 1: gathered per input element from a zero-padded copy of the
///   output gradient (``backwardInputByTaps(_:dy:w:dx:workers:level:)``), the same sums in the
///   same order as the scatter.
/// - Gradient to the input, stride 2: each tap adds `w · dy` to a row of a zero-padded
///   input-gradient plane, in ``DepthwiseConvolution``'s order (output row, kernel row, kernel
///   column), kept as its even and odd columns, where a tap's targets are contiguous; the padding
///   is dropped when the plane is copied out.
enum DepthwisePadded {
    /// Whether `s` (a depthwise convolution) has unit dilation, equal strides of 1 or 2, and
    /// padding smaller than the kernel.
    static func isApplicable(_ s: ConvolutionShape) -> Bool {
        let g = s.geometry
        return g.dilation == 1 && g.stride.height == g.stride.width && (g.stride.height == 1 || g.stride.height == 2)
            && g.padding.height < s.kernelHeight && g.padding.width < s.kernelWidth
            && s.kernelHeight * s.kernelWidth <= 64
    }

    /// Floats read or written past the end of a padded plane and of a wide output by the vector
    /// levels of the C kernels (see `rg_depthwise_taps`), with room to spare.
    private static let slack = 128

    /// The kernels' instruction-set level for this call: the best the processor runs, capped by
    /// the environment variable `RECTGRAD_MAX_ISA` (`portable`, `avx2`); every level gives the
    /// same bits.
    static var instructionSetLevel: Int32 { rg_isa_best() }

    static func forward(_ s: ConvolutionShape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, workers: Workers, level: Int32 = instructionSetLevel) {
        let (ph, pw) = (s.geometry.padding.height, s.geometry.padding.width)
        let stride = s.geometry.stride.height
        let (kh, kw) = (s.kernelHeight, s.kernelWidth)
        // Rows enough for every tap of every output row (≥ the input's rows plus its padding).
        let paddedHeight = stride * s.outputHeight + kh
        let paddedWidth = s.inputWidth + 2 * pw
        // Stride 1: output rows are one arithmetic sequence of positions across the padded rows
        // (the padding columns give a few discarded outputs); stride 2: row by row.
        let virtualWidth = stride == 1 ? paddedWidth : s.outputWidth
        let paddedCount = paddedHeight * paddedWidth + slack
        let wideCount = s.outputHeight * virtualWidth + slack
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: paddedCount + wideCount)
        // Tap t = ki·kw + kj reads the padded plane at ki·paddedWidth + kj from its output's origin.
        let offsets = (0..<(kh * kw)).map { ($0 / kw) * paddedWidth + $0 % kw }
        let pointers = UncheckedSendable((x, w, y))
        workers.forEach(items: s.batch * s.outputChannels) { worker, item in
            let (x, w, y) = pointers.value
            let padded = scratch.slice(worker), wide = padded + paddedCount
            pad(x + item * s.inputPlane, height: s.inputHeight, width: s.inputWidth, top: ph, left: pw,
                into: padded, paddedHeight: paddedHeight, paddedWidth: paddedWidth)
            let c = item % s.outputChannels
            offsets.withUnsafeBufferPointer { offsets in
                rg_depthwise_taps(level, padded, stride * paddedWidth, stride, virtualWidth, offsets.baseAddress, w + c * kh * kw, kh * kw,
                                  wide, y + item * s.outputPlane, s.outputHeight, s.outputWidth)
            }
        }
    }

    /// Copies a plane into the middle of a zeroed `paddedHeight × paddedWidth` plane (plus slack).
    private static func pad(_ plane: UnsafePointer<Float>, height: Int, width: Int, top: Int, left: Int, into padded: UnsafeMutablePointer<Float>, paddedHeight: Int, paddedWidth: Int) {
        padded.update(repeating: 0, count: top * paddedWidth)
        for row in 0..<height {
            let target = padded + (top + row) * paddedWidth
            target.update(repeating: 0, count: left)
            (target + left).update(from: plane + row * width, count: width)
            (target + left + width).update(repeating: 0, count: paddedWidth - left - width)
        }
        let below = (top + height) * paddedWidth
        (padded + below).update(repeating: 0, count: paddedHeight * paddedWidth - below + slack)
    }

    static func backwardInput(_ s: ConvolutionShape, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workers: Workers, level: Int32 = instructionSetLevel) {
        if s.geometry.stride.height == 1 {
            backwardInputByTaps(s, dy: dy, w: w, dx: dx, workers: workers, level: level)
            return
        }
        let (ph, pw) = (s.geometry.padding.height, s.geometry.padding.width)
        let stride = s.geometry.stride.height
        let paddedHeight = s.inputHeight + 2 * ph
        let paddedWidth = s.inputWidth + 2 * pw
        // Stride 2: the even and odd columns of each padded row, side by side.
        let rowLength = 2 * ((paddedWidth + 1) / 2)
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: paddedHeight * rowLength + slack)
        let pointers = UncheckedSendable((dy, w, dx))
        workers.forEach(items: s.batch * s.outputChannels) { worker, item in
            let (dy, w, dx) = pointers.value
            let padded = scratch.slice(worker)
            padded.update(repeating: 0, count: paddedHeight * rowLength + slack)
            let c = item % s.outputChannels
            rg_depthwise_scatter(level, dy + item * s.outputPlane, s.outputHeight, s.outputWidth,
                                 w + c * s.kernelHeight * s.kernelWidth, s.kernelHeight, s.kernelWidth, stride, padded, rowLength)
            // Copy the input gradient out of the padding.
            let target = dx + item * s.inputPlane
            let half = rowLength / 2
            for iy in 0..<s.inputHeight {
                let source = padded + (iy + ph) * rowLength
                let line = target + iy * s.inputWidth
                for ix in 0..<s.inputWidth {
                    let column = ix + pw
                    line[ix] = source[(column & 1) * half + column >> 1]
                }
            }
        }
    }

    /// Stride 1: the scatter of ``DepthwiseConvolution``'s loops, gathered per input element.
    ///
    /// Element `(r, c)` of the padded input gradient receives `w[ki, kj] · dy[r − ki, c − kj]` in
    /// the scatter's order (output row ascending, then kernel column ascending), that is kernel
    /// row descending and kernel column ascending. Over a copy of `dy` with `kh − 1` rows and
    /// `kw − 1` columns of zeros on each side, that is a tap sum (`rg_depthwise_taps`) with the
    /// kernel flipped in both directions, read in the order (a ascending, b descending) of its
    /// flipped taps; the taps that fall outside `dy` add `w · 0`, which leaves every sum as it was
    /// (a sum that starts at +0 never becomes −0).
    private static func backwardInputByTaps(_ s: ConvolutionShape, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workers: Workers, level: Int32) {
        let (ph, pw) = (s.geometry.padding.height, s.geometry.padding.width)
        let (kh, kw) = (s.kernelHeight, s.kernelWidth)
        let top = kh - 1, left = kw - 1
        let paddedWidth = s.outputWidth + 2 * left
        // Rows for the placed gradient and for every tap of every input row.
        let paddedHeight = max(s.outputHeight + 2 * top, s.inputHeight + ph + kh) + 1
        let paddedCount = paddedHeight * paddedWidth + slack
        let wideCount = s.inputHeight * paddedWidth + slack
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: paddedCount + wideCount)
        // Taps in the scatter's order for each input element: a = kh − 1 − ki ascending, b = kw − 1 − kj descending.
        var offsets: [Int] = [], order: [Int] = []
        for a in 0..<kh {
            for b in stride(from: kw - 1, through: 0, by: -1) {
                offsets.append((ph + a) * paddedWidth + pw + b)
                order.append((kh - 1 - a) * kw + (kw - 1 - b))
            }
        }
        let pointers = UncheckedSendable((dy, w, dx))
        let taps = (offsets, order)
        workers.forEach(items: s.batch * s.outputChannels) { worker, item in
            let (dy, w, dx) = pointers.value
            let padded = scratch.slice(worker), wide = padded + paddedCount
            pad(dy + item * s.outputPlane, height: s.outputHeight, width: s.outputWidth, top: top, left: left,
                into: padded, paddedHeight: paddedHeight, paddedWidth: paddedWidth)
            let kernel = w + (item % s.outputChannels) * kh * kw
            withUnsafeTemporaryAllocation(of: Float.self, capacity: kh * kw) { weights in
                for (t, tap) in taps.1.enumerated() { weights[t] = kernel[tap] }
                taps.0.withUnsafeBufferPointer { offsets in
                    rg_depthwise_taps(level, padded, paddedWidth, 1, paddedWidth, offsets.baseAddress, weights.baseAddress, kh * kw,
                                      wide, dx + item * s.inputPlane, s.inputHeight, s.inputWidth)
                }
            }
        }
    }
}
