/// Depthwise convolutions with unit dilation and stride 1 or 2 (EfficientNet's), vectorised along
/// output rows on a zero-padded copy of each plane, so that the inner loops have no bounds.
///
/// - Forward: eight outputs at a time accumulate every kernel tap in a register, in the order of
///   ``DepthwiseConvolution``'s row sweeps (taps row by row); taps over the padding add zero.
/// - Gradient to the input: each tap adds `w · dy` to a row of a zero-padded input-gradient plane,
///   in ``DepthwiseConvolution``'s order (output row, kernel row, kernel column), so every element
///   receives the same sums. For stride 2 the plane is kept as its even and odd columns, where a
///   tap's targets are contiguous; the padding is dropped when the plane is copied out.
enum DepthwisePadded {
    /// Whether `s` (a depthwise convolution) has unit dilation, equal strides of 1 or 2, and
    /// padding smaller than the kernel.
    static func isApplicable(_ s: ConvolutionShape) -> Bool {
        let g = s.geometry
        return g.dilation == 1 && g.stride.height == g.stride.width && (g.stride.height == 1 || g.stride.height == 2)
            && g.padding.height < s.kernelHeight && g.padding.width < s.kernelWidth
            && s.kernelHeight * s.kernelWidth <= 64
    }

    /// Floats read past the end of a padded plane by the last vectors of its last row.
    private static let slack = 64

    static func forward(_ s: ConvolutionShape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, workers: Workers) {
        let (ph, pw) = (s.geometry.padding.height, s.geometry.padding.width)
        let paddedWidth = s.inputWidth + 2 * pw
        let paddedHeight = s.inputHeight + 2 * ph
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: paddedHeight * paddedWidth + slack)
        let pointers = UncheckedSendable((x, w, y))
        workers.forEach(items: s.batch * s.outputChannels) { worker, item in
            let (x, w, y) = pointers.value
            let padded = scratch.slice(worker)
            pad(x + item * s.inputPlane, height: s.inputHeight, width: s.inputWidth, top: ph, left: pw,
                into: padded, paddedHeight: paddedHeight, paddedWidth: paddedWidth)
            let c = item % s.outputChannels
            forwardPlane(s, padded: padded, paddedWidth: paddedWidth, kernel: w + c * s.kernelHeight * s.kernelWidth,
                         output: y + item * s.outputPlane)
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

    private static func forwardPlane(_ s: ConvolutionShape, padded: UnsafePointer<Float>, paddedWidth: Int, kernel: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let stride = s.geometry.stride.height
        let (kh, kw) = (s.kernelHeight, s.kernelWidth)
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: kh * kw) { weights in
            for tap in 0..<(kh * kw) { weights[tap] = SIMD8(repeating: kernel[tap]) }
            for oy in 0..<s.outputHeight {
                let line = output + oy * s.outputWidth
                var ox = 0
                while ox < s.outputWidth {
                    var sum = SIMD8<Float>()
                    for ki in 0..<kh {
                        let row = padded + (oy * stride + ki) * paddedWidth + ox * stride
                        for kj in 0..<kw {
                            let values = stride == 1
                                ? UnsafeRawPointer(row + kj).loadUnaligned(as: SIMD8<Float>.self)
                                : UnsafeRawPointer(row + kj).loadUnaligned(as: SIMD16<Float>.self).evenHalf
                            sum += weights[ki * kw + kj] * values
                        }
                    }
                    let lanes = min(8, s.outputWidth - ox)
                    if lanes == 8 {
                        UnsafeMutableRawPointer(line + ox).storeBytes(of: sum, as: SIMD8<Float>.self)
                    } else {
                        for lane in 0..<lanes { line[ox + lane] = sum[lane] }
                    }
                    ox += 8
                }
            }
        }
    }

    static func backwardInput(_ s: ConvolutionShape, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workers: Workers) {
        let (ph, pw) = (s.geometry.padding.height, s.geometry.padding.width)
        let stride = s.geometry.stride.height
        let paddedHeight = s.inputHeight + 2 * ph
        let paddedWidth = s.inputWidth + 2 * pw
        // Stride 2: the even and odd columns of each padded row, side by side.
        let rowLength = stride == 1 ? paddedWidth : 2 * ((paddedWidth + 1) / 2)
        let scratch = ScratchBuffer(workers: workers.count, sliceCount: paddedHeight * rowLength + slack)
        let pointers = UncheckedSendable((dy, w, dx))
        workers.forEach(items: s.batch * s.outputChannels) { worker, item in
            let (dy, w, dx) = pointers.value
            let padded = scratch.slice(worker)
            padded.update(repeating: 0, count: paddedHeight * rowLength + slack)
            let c = item % s.outputChannels
            backwardPlane(s, outputGradient: dy + item * s.outputPlane, kernel: w + c * s.kernelHeight * s.kernelWidth,
                          padded: padded, rowLength: rowLength)
            // Copy the input gradient out of the padding.
            let target = dx + item * s.inputPlane
            let half = rowLength / 2
            for iy in 0..<s.inputHeight {
                let source = padded + (iy + ph) * rowLength
                let line = target + iy * s.inputWidth
                if stride == 1 {
                    line.update(from: source + pw, count: s.inputWidth)
                } else {
                    for ix in 0..<s.inputWidth {
                        let column = ix + pw
                        line[ix] = source[(column & 1) * half + column >> 1]
                    }
                }
            }
        }
    }

    private static func backwardPlane(_ s: ConvolutionShape, outputGradient: UnsafePointer<Float>, kernel: UnsafePointer<Float>, padded: UnsafeMutablePointer<Float>, rowLength: Int) {
        let stride = s.geometry.stride.height
        let (kh, kw) = (s.kernelHeight, s.kernelWidth)
        let half = rowLength / 2
        for oy in 0..<s.outputHeight {
            let upstream = outputGradient + oy * s.outputWidth
            for ki in 0..<kh {
                let row = padded + (oy * stride + ki) * rowLength
                for kj in 0..<kw {
                    let weight = SIMD8<Float>(repeating: kernel[ki * kw + kj])
                    // Output column ox reaches padded column ox·stride + kj.
                    let target = stride == 1 ? row + kj : row + (kj & 1) * half + kj >> 1
                    var ox = 0
                    while ox + 8 <= s.outputWidth {
                        let gradient = UnsafeRawPointer(upstream + ox).loadUnaligned(as: SIMD8<Float>.self)
                        let sum = UnsafeRawPointer(target + ox).loadUnaligned(as: SIMD8<Float>.self) + weight * gradient
                        UnsafeMutableRawPointer(target + ox).storeBytes(of: sum, as: SIMD8<Float>.self)
                        ox += 8
                    }
                    while ox < s.outputWidth {
                        target[ox] += weight[0] * upstream[ox]
                        ox += 1
                    }
                }
            }
        }
    }
}
