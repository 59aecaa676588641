import RectGradCore

/// Direct loop versions of the kernels, written independently of the library (no im2col, no
/// BLAS): the reference the fast paths and the tape are compared with. Sums run in Double.
enum NaiveKernels {
    /// Reads element `[n, c, y, x]` of an NCHW tensor.
    static func at(_ t: Tensor, _ n: Int, _ c: Int, _ y: Int, _ x: Int) -> Float {
        t.scalars[((n * t.shape[1] + c) * t.shape[2] + y) * t.shape[3] + x]
    }

    static func index(_ shape: [Int], _ n: Int, _ c: Int, _ y: Int, _ x: Int) -> Int {
        ((n * shape[1] + c) * shape[2] + y) * shape[3] + x
    }

    static func make(_ shape: [Int], _ scalars: [Float]) -> Tensor {
        (try? Tensor(shape: shape, scalars: scalars)) ?? Tensor.zeros([0])
    }

    static func make(_ shape: [Int], _ scalars: [Double]) -> Tensor {
        make(shape, scalars.map { Float($0) })
    }

    // MARK: Convolution

    static func convOutputSize(_ input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        (input + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
    }

    /// Calls `body(n, o, oy, ox, c, iy, ix, ki, kj)` for every tap that reads a real (unpadded) input.
    static func forEachTap(input: [Int], weight: [Int], _ g: Convolution2DGeometry, _ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
        let (batch, channels, h, w) = (input[0], input[1], input[2], input[3])
        let (outChannels, kh, kw) = (weight[0], weight[2], weight[3])
        let oh = convOutputSize(h, kernel: kh, stride: g.stride.height, padding: g.padding.height, dilation: g.dilation.height)
        let ow = convOutputSize(w, kernel: kw, stride: g.stride.width, padding: g.padding.width, dilation: g.dilation.width)
        let inPerGroup = channels / g.groups, outPerGroup = outChannels / g.groups
        for n in 0..<batch {
            for o in 0..<outChannels {
                let group = o / outPerGroup
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        for ci in 0..<inPerGroup {
                            let c = group * inPerGroup + ci
                            for ki in 0..<kh {
                                let iy = oy * g.stride.height - g.padding.height + ki * g.dilation.height
                                guard iy >= 0, iy < h else { continue }
                                for kj in 0..<kw {
                                    let ix = ox * g.stride.width - g.padding.width + kj * g.dilation.width
                                    guard ix >= 0, ix < w else { continue }
                                    body(n, o, oy, ox, c, iy, ix, ki, kj)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func convOutputShape(input: [Int], weight: [Int], _ g: Convolution2DGeometry) -> [Int] {
        [input[0], weight[0],
         convOutputSize(input[2], kernel: weight[2], stride: g.stride.height, padding: g.padding.height, dilation: g.dilation.height),
         convOutputSize(input[3], kernel: weight[3], stride: g.stride.width, padding: g.padding.width, dilation: g.dilation.width)]
    }

    static func conv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ g: Convolution2DGeometry) -> Tensor {
        let shape = convOutputShape(input: x.shape, weight: weight.shape, g)
        var y = [Double](repeating: 0, count: shape.reduce(1, *))
        forEachTap(input: x.shape, weight: weight.shape, g) { n, o, oy, ox, c, iy, ix, ki, kj in
            let ci = c % weight.shape[1]
            y[index(shape, n, o, oy, ox)] += Double(at(weight, o, ci, ki, kj)) * Double(at(x, n, c, iy, ix))
        }
        if let bias {
            for i in 0..<y.count { y[i] += Double(bias.scalars[(i / (shape[2] * shape[3])) % shape[1]]) }
        }
        return make(shape, y)
    }

    static func conv2dBackwardInput(_ dy: Tensor, _ weight: Tensor, inputShape: [Int], _ g: Convolution2DGeometry) -> Tensor {
        var dx = [Double](repeating: 0, count: inputShape.reduce(1, *))
        forEachTap(input: inputShape, weight: weight.shape, g) { n, o, oy, ox, c, iy, ix, ki, kj in
            let ci = c % weight.shape[1]
            dx[index(inputShape, n, c, iy, ix)] += Double(at(weight, o, ci, ki, kj)) * Double(at(dy, n, o, oy, ox))
        }
        return make(inputShape, dx)
    }

    static func conv2dBackwardWeight(_ dy: Tensor, _ x: Tensor, weightShape: [Int], _ g: Convolution2DGeometry) -> Tensor {
        var dw = [Double](repeating: 0, count: weightShape.reduce(1, *))
        forEachTap(input: x.shape, weight: weightShape, g) { n, o, oy, ox, c, iy, ix, ki, kj in
            let ci = c % weightShape[1]
            dw[index(weightShape, o, ci, ki, kj)] += Double(at(x, n, c, iy, ix)) * Double(at(dy, n, o, oy, ox))
        }
        return make(weightShape, dw)
    }

    static func conv2dBackwardBias(_ dy: Tensor) -> Tensor {
        var db = [Double](repeating: 0, count: dy.shape[1])
        let plane = dy.shape[2] * dy.shape[3]
        for i in 0..<dy.count { db[(i / plane) % dy.shape[1]] += Double(dy.scalars[i]) }
        return make([dy.shape[1]], db)
    }

    /// The RectGrad padding rule's mask applied to a `[N, C, H, W]` gradient.
    static func zeroOuterFrame(_ t: Tensor) -> Tensor {
        var out = t.scalars
        let (h, w) = (t.shape[2], t.shape[3])
        for i in 0..<out.count {
            let y = (i / w) % h, x = i % w
            if y == 0 || y == h - 1 || x == 0 || x == w - 1 { out[i] = 0 }
        }
        return make(t.shape, out)
    }

    // MARK: Dense

    static func dense(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?) -> Tensor {
        let (batch, inFeatures, outFeatures) = (x.shape[0], x.shape[1], weight.shape[0])
        var y = [Double](repeating: 0, count: batch * outFeatures)
        for n in 0..<batch {
            for o in 0..<outFeatures {
                var total = Double(bias?.scalars[o] ?? 0)
                for i in 0..<inFeatures { total += Double(x.scalars[n * inFeatures + i]) * Double(weight.scalars[o * inFeatures + i]) }
                y[n * outFeatures + o] = total
            }
        }
        return make([batch, outFeatures], y)
    }

    static func denseBackwardInput(_ dy: Tensor, _ weight: Tensor) -> Tensor {
        let (batch, outFeatures, inFeatures) = (dy.shape[0], weight.shape[0], weight.shape[1])
        var dx = [Double](repeating: 0, count: batch * inFeatures)
        for n in 0..<batch {
            for i in 0..<inFeatures {
                for o in 0..<outFeatures { dx[n * inFeatures + i] += Double(dy.scalars[n * outFeatures + o]) * Double(weight.scalars[o * inFeatures + i]) }
            }
        }
        return make([batch, inFeatures], dx)
    }

    // MARK: Pooling

    /// The valid (unpadded) input rows and columns of window `(oy, ox)`.
    static func window(_ g: Pooling2DGeometry, oy: Int, ox: Int, h: Int, w: Int) -> (rows: [Int], columns: [Int]) {
        let top = oy * g.stride.height - g.padding.height, left = ox * g.stride.width - g.padding.width
        return ((top..<(top + g.kernel.height)).filter { $0 >= 0 && $0 < h },
                (left..<(left + g.kernel.width)).filter { $0 >= 0 && $0 < w })
    }

    static func poolOutputShape(_ shape: [Int], _ g: Pooling2DGeometry) -> [Int] {
        // PyTorch's pooling_output_shape: floor or ceil of (L + 2p − k)/s, plus 1; in ceil mode the
        // last window is dropped when it would start in the trailing padding.
        func extent(_ length: Int, _ k: Int, _ s: Int, _ p: Int) -> Int {
            let span = Double(length + 2 * p - k) / Double(s)
            var out = Int(g.ceilMode ? span.rounded(.up) : span.rounded(.down)) + 1
            if g.ceilMode, (out - 1) * s >= length + p { out -= 1 }
            return out
        }
        return [shape[0], shape[1],
                extent(shape[2], g.kernel.height, g.stride.height, g.padding.height),
                extent(shape[3], g.kernel.width, g.stride.width, g.padding.width)]
    }

    /// Max pooling; `winners[o]` is the flat index (into `x`) of the first maximal element of window `o`.
    static func maxPool(_ x: Tensor, _ g: Pooling2DGeometry) -> (output: Tensor, winners: [Int]) {
        let shape = poolOutputShape(x.shape, g)
        var output: [Float] = [], winners: [Int] = []
        for n in 0..<shape[0] {
            for c in 0..<shape[1] {
                for oy in 0..<shape[2] {
                    for ox in 0..<shape[3] {
                        let (rows, columns) = window(g, oy: oy, ox: ox, h: x.shape[2], w: x.shape[3])
                        var best = -Float.infinity, winner = -1
                        for y in rows {
                            for xx in columns where winner < 0 || at(x, n, c, y, xx) > best {
                                best = at(x, n, c, y, xx)
                                winner = index(x.shape, n, c, y, xx)
                            }
                        }
                        output.append(best)
                        winners.append(winner)
                    }
                }
            }
        }
        return (make(shape, output), winners)
    }

    static func maxPoolBackward(_ dy: Tensor, winners: [Int], inputShape: [Int]) -> Tensor {
        var dx = [Double](repeating: 0, count: inputShape.reduce(1, *))
        for (o, winner) in winners.enumerated() { dx[winner] += Double(dy.scalars[o]) }
        return make(inputShape, dx)
    }

    /// PRR: `x_i · (R / m) / k` with `m = mean of the valid window inputs + 1e-10`.
    static func proportionalRedistribution(_ dy: Tensor, input x: Tensor, _ g: Pooling2DGeometry) -> Tensor {
        var dx = [Double](repeating: 0, count: x.count)
        for n in 0..<dy.shape[0] {
            for c in 0..<dy.shape[1] {
                for oy in 0..<dy.shape[2] {
                    for ox in 0..<dy.shape[3] {
                        let (rows, columns) = window(g, oy: oy, ox: ox, h: x.shape[2], w: x.shape[3])
                        let k = Double(rows.count * columns.count)
                        var total = 0.0
                        for y in rows { for xx in columns { total += Double(at(x, n, c, y, xx)) } }
                        let mean = total / k + 1e-10
                        let r = Double(at(dy, n, c, oy, ox))
                        for y in rows {
                            for xx in columns { dx[index(x.shape, n, c, y, xx)] += Double(at(x, n, c, y, xx)) * (r / mean) / k }
                        }
                    }
                }
            }
        }
        return make(x.shape, dx)
    }

    /// Average pooling; the divisor is the window clipped to the padded input (PyTorch's
    /// `count_include_pad=True`) or the number of real inputs.
    static func averagePool(_ x: Tensor, _ g: Pooling2DGeometry, countIncludesPadding: Bool) -> Tensor {
        let shape = poolOutputShape(x.shape, g)
        var output: [Double] = []
        for n in 0..<shape[0] {
            for c in 0..<shape[1] {
                for oy in 0..<shape[2] {
                    for ox in 0..<shape[3] {
                        let (rows, columns) = window(g, oy: oy, ox: ox, h: x.shape[2], w: x.shape[3])
                        var total = 0.0
                        for y in rows { for xx in columns { total += Double(at(x, n, c, y, xx)) } }
                        output.append(total / Double(averageDivisor(g, oy: oy, ox: ox, h: x.shape[2], w: x.shape[3], rows: rows.count * columns.count, countIncludesPadding: countIncludesPadding)))
                    }
                }
            }
        }
        return make(shape, output)
    }

    static func averageDivisor(_ g: Pooling2DGeometry, oy: Int, ox: Int, h: Int, w: Int, rows valid: Int, countIncludesPadding: Bool) -> Int {
        guard countIncludesPadding else { return valid }
        // The window clipped to [−padding, size + padding).
        let top = oy * g.stride.height - g.padding.height, left = ox * g.stride.width - g.padding.width
        let bottom = min(top + g.kernel.height, h + g.padding.height), right = min(left + g.kernel.width, w + g.padding.width)
        return (bottom - top) * (right - left)
    }

    /// Adaptive average pooling with PyTorch's bins `[⌊i·H/out⌋, ⌈(i+1)·H/out⌉)`.
    static func adaptiveAveragePool(_ x: Tensor, outHeight: Int, outWidth: Int) -> Tensor {
        let (h, w) = (x.shape[2], x.shape[3])
        var output: [Double] = []
        for n in 0..<x.shape[0] {
            for c in 0..<x.shape[1] {
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        let y0 = Int((Double(oy * h) / Double(outHeight)).rounded(.down))
                        let y1 = Int((Double((oy + 1) * h) / Double(outHeight)).rounded(.up))
                        let x0 = Int((Double(ox * w) / Double(outWidth)).rounded(.down))
                        let x1 = Int((Double((ox + 1) * w) / Double(outWidth)).rounded(.up))
                        var total = 0.0
                        for y in y0..<y1 { for xx in x0..<x1 { total += Double(at(x, n, c, y, xx)) } }
                        output.append(total / Double((y1 - y0) * (x1 - x0)))
                    }
                }
            }
        }
        return make([x.shape[0], x.shape[1], outHeight, outWidth], output)
    }
}
