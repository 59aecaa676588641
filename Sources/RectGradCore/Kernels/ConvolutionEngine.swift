/// im2col + SGEMM implementation of the convolution paths, with a direct kernel for depthwise
/// convolutions (one input channel per group), where a matrix product would be degenerate.
enum ConvolutionEngine {
    static func forward(_ s: ConvolutionShape, x: UnsafeBufferPointer<Float>, w: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        guard let x = x.baseAddress, let w = w.baseAddress, let y = y.baseAddress else { return }
        if s.inputChannelsPerGroup == 1 && s.outputChannelsPerGroup == 1 {
            DepthwiseConvolution.forward(s, x: x, w: w, y: y)
            return
        }
        let k = s.columnRows, plane = s.outputPlane
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: s.isPointwise ? 0 : k * plane)
        defer { columns.deallocate() }
        for n in 0..<s.batch {
            for g in 0..<s.groups {
                let xg = x + (n * s.inputChannels + g * s.inputChannelsPerGroup) * s.inputPlane
                let yg = y + (n * s.outputChannels + g * s.outputChannelsPerGroup) * plane
                let wg = w + g * s.outputChannelsPerGroup * k
                let source: UnsafePointer<Float>
                if s.isPointwise {
                    source = UnsafePointer(xg)
                } else {
                    imageToColumns(s, image: xg, columns: columns)
                    source = UnsafePointer(columns)
                }
                BLAS.sgemm(transposeA: false, transposeB: false, m: s.outputChannelsPerGroup, n: plane, k: k,
                           a: wg, lda: k, b: source, ldb: plane, c: yg, ldc: plane)
            }
        }
    }

    static func backwardInput(_ s: ConvolutionShape, dy: UnsafeBufferPointer<Float>, w: UnsafeBufferPointer<Float>, dx: UnsafeMutableBufferPointer<Float>) {
        guard let dy = dy.baseAddress, let w = w.baseAddress, let dx = dx.baseAddress else { return }
        if s.inputChannelsPerGroup == 1 && s.outputChannelsPerGroup == 1 {
            DepthwiseConvolution.backwardInput(s, dy: dy, w: w, dx: dx)
            return
        }
        let k = s.columnRows, plane = s.outputPlane
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * plane)
        defer { columns.deallocate() }
        for n in 0..<s.batch {
            for g in 0..<s.groups {
                let dxg = dx + (n * s.inputChannels + g * s.inputChannelsPerGroup) * s.inputPlane
                let dyg = dy + (n * s.outputChannels + g * s.outputChannelsPerGroup) * plane
                let wg = w + g * s.outputChannelsPerGroup * k
                if s.isPointwise {
                    BLAS.sgemm(transposeA: true, transposeB: false, m: k, n: plane, k: s.outputChannelsPerGroup,
                               a: wg, lda: k, b: dyg, ldb: plane, c: dxg, ldc: plane)
                } else {
                    BLAS.sgemm(transposeA: true, transposeB: false, m: k, n: plane, k: s.outputChannelsPerGroup,
                               a: wg, lda: k, b: dyg, ldb: plane, c: columns, ldc: plane)
                    columnsToImage(s, columns: columns, image: dxg)
                }
            }
        }
    }

    static func backwardWeight(_ s: ConvolutionShape, dy: UnsafeBufferPointer<Float>, x: UnsafeBufferPointer<Float>, dw: UnsafeMutableBufferPointer<Float>) {
        guard let dy = dy.baseAddress, let x = x.baseAddress, let dw = dw.baseAddress else { return }
        if s.inputChannelsPerGroup == 1 && s.outputChannelsPerGroup == 1 {
            DepthwiseConvolution.backwardWeight(s, dy: dy, x: x, dw: dw)
            return
        }
        let k = s.columnRows, plane = s.outputPlane
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: s.isPointwise ? 0 : k * plane)
        defer { columns.deallocate() }
        for n in 0..<s.batch {
            for g in 0..<s.groups {
                let xg = x + (n * s.inputChannels + g * s.inputChannelsPerGroup) * s.inputPlane
                let dyg = dy + (n * s.outputChannels + g * s.outputChannelsPerGroup) * plane
                let dwg = dw + g * s.outputChannelsPerGroup * k
                let source: UnsafePointer<Float>
                if s.isPointwise {
                    source = xg
                } else {
                    imageToColumns(s, image: xg, columns: columns)
                    source = UnsafePointer(columns)
                }
                BLAS.sgemm(transposeA: false, transposeB: true, m: s.outputChannelsPerGroup, n: k, k: plane,
                           a: dyg, lda: plane, b: source, ldb: plane, beta: 1, c: dwg, ldc: k)
            }
        }
    }

    /// Unfolds one group of one example into a `[C·kH·kW, outH·outW]` matrix (zeros where padded).
    static func imageToColumns(_ s: ConvolutionShape, image: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>) {
        let g = s.geometry
        let outH = s.outputHeight, outW = s.outputWidth, inH = s.inputHeight, inW = s.inputWidth
        var row = 0
        for c in 0..<s.inputChannelsPerGroup {
            let channel = image + c * s.inputPlane
            for ki in 0..<s.kernelHeight {
                for kj in 0..<s.kernelWidth {
                    let destination = columns + row * outH * outW
                    let rowOffset = ki * g.dilation.height - g.padding.height
                    let columnOffset = kj * g.dilation.width - g.padding.width
                    for oy in 0..<outH {
                        let iy = oy * g.stride.height + rowOffset
                        let line = destination + oy * outW
                        if iy < 0 || iy >= inH {
                            line.update(repeating: 0, count: outW)
                            continue
                        }
                        let source = channel + iy * inW
                        if g.stride.width == 1 {
                            // Contiguous run: zeros on the left and right, a copy in between.
                            let first = max(0, -columnOffset)
                            let last = min(outW, inW - columnOffset)
                            if first > 0 { line.update(repeating: 0, count: min(first, outW)) }
                            if last > first { (line + first).update(from: source + first + columnOffset, count: last - first) }
                            if last < outW { (line + max(last, 0)).update(repeating: 0, count: outW - max(last, 0)) }
                        } else {
                            for ox in 0..<outW {
                                let ix = ox * g.stride.width + columnOffset
                                line[ox] = (ix >= 0 && ix < inW) ? source[ix] : 0
                            }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of ``imageToColumns``: accumulates a column matrix back into an image.
    static func columnsToImage(_ s: ConvolutionShape, columns: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>) {
        let g = s.geometry
        let outH = s.outputHeight, outW = s.outputWidth, inH = s.inputHeight, inW = s.inputWidth
        var row = 0
        for c in 0..<s.inputChannelsPerGroup {
            let channel = image + c * s.inputPlane
            for ki in 0..<s.kernelHeight {
                for kj in 0..<s.kernelWidth {
                    let source = columns + row * outH * outW
                    let rowOffset = ki * g.dilation.height - g.padding.height
                    let columnOffset = kj * g.dilation.width - g.padding.width
                    for oy in 0..<outH {
                        let iy = oy * g.stride.height + rowOffset
                        if iy < 0 || iy >= inH { continue }
                        let line = source + oy * outW
                        let destination = channel + iy * inW
                        if g.stride.width == 1 {
                            let first = max(0, -columnOffset)
                            let last = min(outW, inW - columnOffset)
                            if last > first {
                                for ox in first..<last { destination[ox + columnOffset] += line[ox] }
                            }
                        } else {
                            for ox in 0..<outW {
                                let ix = ox * g.stride.width + columnOffset
                                if ix >= 0 && ix < inW { destination[ix] += line[ox] }
                            }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}

/// Direct loops for convolutions with one input and one output channel per group.
enum DepthwiseConvolution {
    static func forward(_ s: ConvolutionShape, x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let g = s.geometry
        let taps = s.kernelHeight * s.kernelWidth
        for n in 0..<s.batch {
            for c in 0..<s.outputChannels {
                let input = x + (n * s.inputChannels + c) * s.inputPlane
                let output = y + (n * s.outputChannels + c) * s.outputPlane
                let kernel = w + c * taps
                for oy in 0..<s.outputHeight {
                    for ox in 0..<s.outputWidth {
                        var total: Float = 0
                        for ki in 0..<s.kernelHeight {
                            let iy = oy * g.stride.height - g.padding.height + ki * g.dilation.height
                            if iy < 0 || iy >= s.inputHeight { continue }
                            for kj in 0..<s.kernelWidth {
                                let ix = ox * g.stride.width - g.padding.width + kj * g.dilation.width
                                if ix < 0 || ix >= s.inputWidth { continue }
                                total += kernel[ki * s.kernelWidth + kj] * input[iy * s.inputWidth + ix]
                            }
                        }
                        output[oy * s.outputWidth + ox] = total
                    }
                }
            }
        }
    }

    static func backwardInput(_ s: ConvolutionShape, dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let g = s.geometry
        let taps = s.kernelHeight * s.kernelWidth
        for n in 0..<s.batch {
            for c in 0..<s.outputChannels {
                let inputGradient = dx + (n * s.inputChannels + c) * s.inputPlane
                let outputGradient = dy + (n * s.outputChannels + c) * s.outputPlane
                let kernel = w + c * taps
                for oy in 0..<s.outputHeight {
                    for ox in 0..<s.outputWidth {
                        let upstream = outputGradient[oy * s.outputWidth + ox]
                        if upstream == 0 { continue }
                        for ki in 0..<s.kernelHeight {
                            let iy = oy * g.stride.height - g.padding.height + ki * g.dilation.height
                            if iy < 0 || iy >= s.inputHeight { continue }
                            for kj in 0..<s.kernelWidth {
                                let ix = ox * g.stride.width - g.padding.width + kj * g.dilation.width
                                if ix < 0 || ix >= s.inputWidth { continue }
                                inputGradient[iy * s.inputWidth + ix] += kernel[ki * s.kernelWidth + kj] * upstream
                            }
                        }
                    }
                }
            }
        }
    }

    static func backwardWeight(_ s: ConvolutionShape, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>) {
        let g = s.geometry
        let taps = s.kernelHeight * s.kernelWidth
        for n in 0..<s.batch {
            for c in 0..<s.outputChannels {
                let input = x + (n * s.inputChannels + c) * s.inputPlane
                let outputGradient = dy + (n * s.outputChannels + c) * s.outputPlane
                let kernelGradient = dw + c * taps
                for oy in 0..<s.outputHeight {
                    for ox in 0..<s.outputWidth {
                        let upstream = outputGradient[oy * s.outputWidth + ox]
                        for ki in 0..<s.kernelHeight {
                            let iy = oy * g.stride.height - g.padding.height + ki * g.dilation.height
                            if iy < 0 || iy >= s.inputHeight { continue }
                            for kj in 0..<s.kernelWidth {
                                let ix = ox * g.stride.width - g.padding.width + kj * g.dilation.width
                                if ix < 0 || ix >= s.inputWidth { continue }
                                kernelGradient[ki * s.kernelWidth + kj] += input[iy * s.inputWidth + ix] * upstream
                            }
                        }
                    }
                }
            }
        }
    }
}
