/// Direct kernels for convolutions with one input and one output channel per group (depthwise),
/// where a matrix product would be degenerate. Channels run in parallel; within a channel each
/// kernel tap sweeps whole rows, so stride-1 rows are contiguous multiply–adds. Unit dilation and
/// strides 1 and 2 go to the vectorised ``DepthwisePadded`` (same sums in the same order).
enum DepthwiseConvolution {
    /// Whether `s` has one input and one output channel per group.
    static func isApplicable(_ s: ConvolutionShape) -> Bool {
        s.inputChannelsPerGroup == 1 && s.outputChannelsPerGroup == 1
    }

    /// The output columns `ox` whose input column `ox·stride + offset` lies in `0..<inputWidth`.
    @inline(__always)
    static func validColumns(offset: Int, stride: Int, inputWidth: Int, outputWidth: Int) -> Range<Int> {
        // First ox with ox·stride + offset ≥ 0, and one past the last with ox·stride + offset < inputWidth.
        let first = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let limit = inputWidth - offset
        let end = limit <= 0 ? 0 : (limit - 1) / stride + 1
        let lower = min(first, outputWidth), upper = min(max(end, lower), outputWidth)
        return lower..<upper
    }

    static func forward(_ s: ConvolutionShape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, workers: Workers) {
        if DepthwisePadded.isApplicable(s) {
            DepthwisePadded.forward(s, x: x, w: w, y: y, workers: workers)
            return
        }
        let pointers = UncheckedSendable((x, w, y))
        workers.forEach(items: s.batch * s.outputChannels) { _, item in
            let (x, w, y) = pointers.value
            let c = item % s.outputChannels
            let input = x + item * s.inputPlane
            let output = y + item * s.outputPlane
            forwardChannel(s, input: input, kernel: w + c * s.kernelHeight * s.kernelWidth, output: output)
        }
    }

    private static func forwardChannel(_ s: ConvolutionShape, input: UnsafePointer<Float>, kernel: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let g = s.geometry, sw = g.stride.width
        output.update(repeating: 0, count: s.outputPlane)
        for oy in 0..<s.outputHeight {
            let line = output + oy * s.outputWidth
            for ki in 0..<s.kernelHeight {
                let iy = oy * g.stride.height - g.padding.height + ki * g.dilation.height
                if iy < 0 || iy >= s.inputHeight { continue }
                let source = input + iy * s.inputWidth
                for kj in 0..<s.kernelWidth {
                    let weight = kernel[ki * s.kernelWidth + kj]
                    let offset = kj * g.dilation.width - g.padding.width
                    let columns = validColumns(offset: offset, stride: sw, inputWidth: s.inputWidth, outputWidth: s.outputWidth)
                    if sw == 1 {
                        let shifted = source + offset
                        for ox in columns { line[ox] += weight * shifted[ox] }
                    } else {
                        for ox in columns { line[ox] += weight * source[ox * sw + offset] }
                    }
                }
            }
        }
    }

    static func backwardInput(_ s: ConvolutionShape, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workers: Workers) {
        if DepthwisePadded.isApplicable(s) {
            DepthwisePadded.backwardInput(s, dy: dy, w: w, dx: dx, workers: workers)
            return
        }
        let pointers = UncheckedSendable((dy, w, dx))
        workers.forEach(items: s.batch * s.outputChannels) { _, item in
            let (dy, w, dx) = pointers.value
            let c = item % s.outputChannels
            backwardInputChannel(s, outputGradient: dy + item * s.outputPlane,
                                 kernel: w + c * s.kernelHeight * s.kernelWidth, inputGradient: dx + item * s.inputPlane)
        }
    }

    /// Overwrites `inputGradient`.
    private static func backwardInputChannel(_ s: ConvolutionShape, outputGradient: UnsafePointer<Float>, kernel: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
        let g = s.geometry, sw = g.stride.width
        inputGradient.update(repeating: 0, count: s.inputPlane)
        for oy in 0..<s.outputHeight {
            let upstream = outputGradient + oy * s.outputWidth
            for ki in 0..<s.kernelHeight {
                let iy = oy * g.stride.height - g.padding.height + ki * g.dilation.height
                if iy < 0 || iy >= s.inputHeight { continue }
                let target = inputGradient + iy * s.inputWidth
                for kj in 0..<s.kernelWidth {
                    let weight = kernel[ki * s.kernelWidth + kj]
                    let offset = kj * g.dilation.width - g.padding.width
                    let columns = validColumns(offset: offset, stride: sw, inputWidth: s.inputWidth, outputWidth: s.outputWidth)
                    if sw == 1 {
                        let shifted = target + offset
                        for ox in columns { shifted[ox] += weight * upstream[ox] }
                    } else {
                        for ox in columns { target[ox * sw + offset] += weight * upstream[ox] }
                    }
                }
            }
        }
    }

    /// Accumulates into `dw`.
    static func backwardWeight(_ s: ConvolutionShape, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, workers: Workers) {
        let taps = s.kernelHeight * s.kernelWidth
        let pointers = UncheckedSendable((dy, x, dw))
        // Each channel's taps are summed over the batch by one worker, so no two workers write
        // the same weight.
        workers.forEach(items: s.outputChannels) { _, c in
            let (dy, x, dw) = pointers.value
            var totals = [Double](repeating: 0, count: taps)
            for n in 0..<s.batch {
                let item = n * s.outputChannels + c
                accumulateWeightGradient(s, outputGradient: dy + item * s.outputPlane, input: x + item * s.inputPlane, into: &totals)
            }
            for tap in 0..<taps { dw[c * taps + tap] += Float(totals[tap]) }
        }
    }

    private static func accumulateWeightGradient(_ s: ConvolutionShape, outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, into totals: inout [Double]) {
        let g = s.geometry, sw = g.stride.width
        for oy in 0..<s.outputHeight {
            let upstream = outputGradient + oy * s.outputWidth
            for ki in 0..<s.kernelHeight {
                let iy = oy * g.stride.height - g.padding.height + ki * g.dilation.height
                if iy < 0 || iy >= s.inputHeight { continue }
                let source = input + iy * s.inputWidth
                for kj in 0..<s.kernelWidth {
                    let offset = kj * g.dilation.width - g.padding.width
                    let columns = validColumns(offset: offset, stride: sw, inputWidth: s.inputWidth, outputWidth: s.outputWidth)
                    // One row in Float, rows summed in Double.
                    var sum: Float = 0
                    if sw == 1 {
                        let shifted = source + offset
                        for ox in columns { sum += upstream[ox] * shifted[ox] }
                    } else {
                        for ox in columns { sum += upstream[ox] * source[ox * sw + offset] }
                    }
                    totals[ki * s.kernelWidth + kj] += Double(sum)
                }
            }
        }
    }
}
