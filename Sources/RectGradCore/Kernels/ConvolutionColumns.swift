/// The im2col unfolding of a range of output rows and input channels, and its adjoint.
///
/// The column matrix of a band has one row per (channel, kernel row, kernel column) and one
/// column per output position of the band's rows: `[channels·kH·kW, rows·outW]`, row-major. A
/// `rowStride` larger than `rows·outW` places the band inside a wider matrix (several examples'
/// columns side by side).
enum ConvolutionColumns {
    /// Unfolds channels `channels` of one group image (`image` points at the group's first
    /// channel) for output rows `rows` into `columns` (zeros where the kernel reads padding);
    /// consecutive rows of the column matrix are `rowStride` floats apart (by default, packed).
    static func unfold(_ s: ConvolutionShape, image: UnsafePointer<Float>, channels: Range<Int>, rows: Range<Int>, into columns: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let g = s.geometry
        let outW = s.outputWidth, inH = s.inputHeight, inW = s.inputWidth
        let bandColumns = rowStride ?? rows.count * outW
        var row = 0
        for c in channels {
            let channel = image + c * s.inputPlane
            for ki in 0..<s.kernelHeight {
                let rowOffset = ki * g.dilation.height - g.padding.height
                for kj in 0..<s.kernelWidth {
                    let destination = columns + row * bandColumns
                    let columnOffset = kj * g.dilation.width - g.padding.width
                    let valid = DepthwiseConvolution.validColumns(offset: columnOffset, stride: g.stride.width, inputWidth: inW, outputWidth: outW)
                    for (index, oy) in rows.enumerated() {
                        let iy = oy * g.stride.height + rowOffset
                        let line = destination + index * outW
                        if iy < 0 || iy >= inH {
                            line.update(repeating: 0, count: outW)
                            continue
                        }
                        let source = channel + iy * inW
                        if valid.lowerBound > 0 { line.update(repeating: 0, count: valid.lowerBound) }
                        if g.stride.width == 1 {
                            (line + valid.lowerBound).update(from: source + valid.lowerBound + columnOffset, count: valid.count)
                        } else {
                            let stride = g.stride.width
                            for ox in valid { line[ox] = source[ox * stride + columnOffset] }
                        }
                        if valid.upperBound < outW { (line + valid.upperBound).update(repeating: 0, count: outW - valid.upperBound) }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of ``unfold(_:image:channels:rows:into:)``: accumulates the band's column
    /// matrix (rows `rowStride` floats apart, by default packed) into channels `channels` of `image`.
    static func fold(_ s: ConvolutionShape, columns: UnsafePointer<Float>, channels: Range<Int>, rows: Range<Int>, into image: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let g = s.geometry
        let outW = s.outputWidth, inH = s.inputHeight, inW = s.inputWidth
        let bandColumns = rowStride ?? rows.count * outW
        var row = 0
        for c in channels {
            let channel = image + c * s.inputPlane
            for ki in 0..<s.kernelHeight {
                let rowOffset = ki * g.dilation.height - g.padding.height
                for kj in 0..<s.kernelWidth {
                    let source = columns + row * bandColumns
                    let columnOffset = kj * g.dilation.width - g.padding.width
                    let valid = DepthwiseConvolution.validColumns(offset: columnOffset, stride: g.stride.width, inputWidth: inW, outputWidth: outW)
                    for (index, oy) in rows.enumerated() {
                        let iy = oy * g.stride.height + rowOffset
                        if iy < 0 || iy >= inH { continue }
                        let line = source + index * outW
                        let destination = channel + iy * inW
                        if g.stride.width == 1 {
                            let shifted = destination + columnOffset
                            for ox in valid { shifted[ox] += line[ox] }
                        } else {
                            let stride = g.stride.width
                            for ox in valid { destination[ox * stride + columnOffset] += line[ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
