/// Geometry of a 2-D pooling window on NCHW tensors.
public struct Pooling2DGeometry: Hashable, Sendable, CustomStringConvertible {
    /// Window size.
    public var kernel: Size2D
    /// Step between windows.
    public var stride: Size2D
    /// Implicit padding on each side (padded positions never win a max and are excluded from PRR means).
    public var padding: Size2D
    /// Rounds the output size up instead of down (PyTorch's `ceil_mode`, ONNX `ceil_mode=1`): a
    /// last, partial window covers the remaining rows and columns, provided it starts inside the
    /// input or its leading padding.
    public var ceilMode: Bool

    /// Creates a pooling geometry; the stride defaults to the kernel size.
    public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.ceilMode = ceilMode
    }

    public var description: String { "kernel \(kernel), stride \(stride), padding \(padding)\(ceilMode ? ", ceil mode" : "")" }

    /// The number of windows along one dimension of `input` elements.
    private func windowCount(input: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        let span = input + 2 * padding - kernel
        var count = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        // PyTorch's rule: the last window must start inside the input or its leading padding.
        if ceilMode && (count - 1) * stride >= input + padding { count -= 1 }
        return count
    }

    func outputSize(height: Int, width: Int, operation: String) throws(TensorError) -> Size2D {
        guard kernel.height >= 1, kernel.width >= 1, stride.height >= 1, stride.width >= 1,
              padding.height >= 0, padding.width >= 0,
              2 * padding.height <= kernel.height, 2 * padding.width <= kernel.width else {
            throw .invalidArgument(operation: operation, reason: "invalid geometry (\(self)); padding may be at most half the kernel")
        }
        let paddedHeight = height + 2 * padding.height, paddedWidth = width + 2 * padding.width
        guard paddedHeight >= kernel.height, paddedWidth >= kernel.width else {
            throw .invalidArgument(operation: operation, reason: "window \(kernel) does not fit input \(height)×\(width) padded by \(padding)")
        }
        return Size2D(windowCount(input: height, kernel: kernel.height, stride: stride.height, padding: padding.height),
                      windowCount(input: width, kernel: kernel.width, stride: stride.width, padding: padding.width))
    }
}

/// The result of a max-pool forward pass: the pooled values and, for each output, the flat
/// in-plane index (`h * W + w`) of the input that won the window.
public struct MaxPoolResult: Sendable {
    /// Pooled values, `[N, C, outH, outW]`.
    public var output: Tensor
    /// For each output element, the in-plane index of its winning input.
    public var argmax: [Int32]
}

/// Max, average and adaptive-average pooling kernels.
public enum Pooling2D {
    private static func planeShape(_ shape: [Int], _ operation: String) throws(TensorError) -> (n: Int, c: Int, h: Int, w: Int) {
        guard shape.count == 4 else { throw .shapeMismatch(operation: operation, expected: [-1, -1, -1, -1], actual: shape) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .invalidShape(shape) }
        return (shape[0], shape[1], shape[2], shape[3])
    }

    /// Max pooling. On ties the **first** maximal element in row-major window order wins
    /// (TensorFlow's CPU kernel, oneDNN and PyTorch agree); padded positions never win.
    /// NaN inputs propagate: a window containing NaN outputs NaN.
    public static func maxPool(_ input: Tensor, geometry: Pooling2DGeometry, workers: Workers = .default) throws(TensorError) -> MaxPoolResult {
        let (n, c, h, w) = try planeShape(input.shape, "maxPool2d")
        let out = try geometry.outputSize(height: h, width: w, operation: "maxPool2d")
        let outPlane = out.height * out.width
        let planes = n * c, count = planes * outPlane
        // Every element of both arrays is written below (the indices in a buffer of the current
        // pool when it has one of this size: at batch 8 resnet50's are 6 MiB).
        var argmax = TensorBufferPool.current?.takeIndices(count: count)
            ?? [Int32](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        let output = input.withUnsafeBufferPointer { x in
            argmax.withUnsafeMutableBufferPointer { indices in
                Tensor.uninitializedStorage(count: count) { y in
                    if let origin = x.baseAddress, let y = y.baseAddress, let indices = indices.baseAddress {
                        let g = geometry
                        // (In ceil mode a last window may hang over the edge: the general loop clips it.)
                        let pairwise = g.kernel == 2 && g.stride == 2 && g.padding == 0 && 2 * out.height <= h && 2 * out.width <= w
                        workers.forRanges(count: planes, minimumPerRange: max(1, (1 << 14) / max(h * w, 1))) { range in
                            for plane in range {
                                let source = origin + plane * h * w
                                let target = y + plane * outPlane, winners = indices + plane * outPlane
                                if pairwise {
                                    maxPool2x2(source, width: w, out: out, into: target, argmax: winners)
                                } else if g.stride.width == 2 {
                                    maxPoolPlaneStride2(source, height: h, width: w, geometry: g, out: out, into: target, argmax: winners)
                                } else {
                                    maxPoolPlane(source, height: h, width: w, geometry: g, out: out, into: target, argmax: winners)
                                }
                            }
                        }
                    }
                }
            }
        }
        return MaxPoolResult(output: Tensor(uncheckedShape: [n, c, out.height, out.width], scalars: output), argmax: argmax)
    }

    /// One plane of max pooling: the first maximal element of each window in row-major order,
    /// or its first NaN.
    @inline(__always)
    private static func maxPoolPlane(_ source: UnsafePointer<Float>, height h: Int, width w: Int, geometry: Pooling2DGeometry, out: Size2D, into output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        for oy in 0..<out.height {
            let (yStart, yEnd) = geometry.windowRows(outputRow: oy, inputHeight: h)
            for ox in 0..<out.width {
                let (xStart, xEnd) = geometry.windowColumns(outputColumn: ox, inputWidth: w)
                let (best, bestIndex) = maxOfWindow(source, width: w, rows: yStart..<yEnd, columns: xStart..<xEnd)
                let o = oy * out.width + ox
                output[o] = best
                argmax[o] = Int32(bestIndex)
            }
        }
    }

    /// One plane of max pooling whose windows step two columns at a time (ResNet's 3×3 stride-2
    /// pooling): eight outputs at once wherever their windows lie inside the row, the others as
    /// in ``maxPoolPlane(_:height:width:geometry:out:into:argmax:)``, with the same decisions —
    /// candidates in row-major window order, strictly greater wins, the first NaN wins and stays.
    @inline(__always)
    private static func maxPoolPlaneStride2(_ source: UnsafePointer<Float>, height h: Int, width w: Int, geometry: Pooling2DGeometry, out: Size2D, into output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        let kernelWidth = geometry.kernel.width, padding = geometry.padding.width
        let laneOffsets = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        // Eight outputs from `ox` on take 16-float loads from column 2·ox − padding + kx for every kx:
        // the group needs its first window to start inside the row and the last load to end in it.
        let firstVector = (padding + 1) / 2
        for oy in 0..<out.height {
            let (yStart, yEnd) = geometry.windowRows(outputRow: oy, inputHeight: h)
            let row = output + oy * out.width, winners = argmax + oy * out.width
            var ox = 0
            while ox < out.width {
                let start = 2 * ox - padding
                if ox >= firstVector, ox + 8 <= out.width, start + kernelWidth + 14 <= w, yEnd > yStart {
                    let first = yStart * w + start
                    var best = UnsafeRawPointer(source + first).loadUnaligned(as: SIMD16<Float>.self).evenHalf
                    var index = SIMD8<Int32>(repeating: Int32(first)) &+ laneOffsets
                    for iy in yStart..<yEnd {
                        for kx in 0..<kernelWidth {
                            let position = iy * w + start + kx
                            let candidate = UnsafeRawPointer(source + position).loadUnaligned(as: SIMD16<Float>.self).evenHalf
                            let take = replaces(candidate, best)
                            best.replace(with: candidate, where: take)
                            index.replace(with: SIMD8<Int32>(repeating: Int32(position)) &+ laneOffsets, where: take)
                        }
                    }
                    UnsafeMutableRawPointer(row + ox).storeBytes(of: best, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(winners + ox).storeBytes(of: index, as: SIMD8<Int32>.self)
                    ox += 8
                } else {
                    let (xStart, xEnd) = geometry.windowColumns(outputColumn: ox, inputWidth: w)
                    let (best, bestIndex) = maxOfWindow(source, width: w, rows: yStart..<yEnd, columns: xStart..<xEnd)
                    row[ox] = best
                    winners[ox] = Int32(bestIndex)
                    ox += 1
                }
            }
        }
    }

    /// The lanes where `candidate`, met after `best` in window order, takes its place: once the
    /// best is NaN it stays; otherwise a NaN or a strictly greater value wins.
    @inline(__always)
    private static func replaces(_ candidate: SIMD8<Float>, _ best: SIMD8<Float>) -> SIMDMask<SIMD8<Int32>> {
        (best .== best) .& ((candidate .!= candidate) .| (candidate .> best))
    }

    /// The first maximal element of a (non-empty) window in row-major order, or its first NaN,
    /// with its index in the plane.
    @inline(__always)
    private static func maxOfWindow(_ source: UnsafePointer<Float>, width w: Int, rows: Range<Int>, columns: Range<Int>) -> (Float, Int) {
        var bestIndex = rows.lowerBound * w + columns.lowerBound
        var best = source[bestIndex]
        if !best.isNaN {
            search: for iy in rows {
                for ix in columns {
                    let value = source[iy * w + ix]
                    if value.isNaN { best = value; bestIndex = iy * w + ix; break search }
                    if value > best { best = value; bestIndex = iy * w + ix }
                }
            }
        }
        return (best, bestIndex)
    }

    /// One plane of 2×2, stride-2, unpadded max pooling: the same decisions as
    /// ``maxPoolPlane(_:height:width:geometry:out:into:argmax:)`` (window order top-left,
    /// top-right, bottom-left, bottom-right; strictly greater wins; the first NaN wins).
    @inline(__always)
    private static func maxPool2x2(_ source: UnsafePointer<Float>, width w: Int, out: Size2D, into output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        let columnOffsets = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        for oy in 0..<out.height {
            let top = source + 2 * oy * w, bottom = top + w
            let topIndex = 2 * oy * w
            var ox = 0
            // Eight windows at a time: even and odd columns of both rows, in window order.
            while ox + 8 <= out.width {
                let upper = UnsafeRawPointer(top + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                let lower = UnsafeRawPointer(bottom + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                var best = upper.evenHalf
                var offset = SIMD8<Int32>()
                @inline(__always) func consider(_ candidate: SIMD8<Float>, at position: Int32) {
                    let take = replaces(candidate, best)
                    best.replace(with: candidate, where: take)
                    offset.replace(with: position, where: take)
                }
                consider(upper.oddHalf, at: 1)
                consider(lower.evenHalf, at: Int32(w))
                consider(lower.oddHalf, at: Int32(w + 1))
                UnsafeMutableRawPointer(output + oy * out.width + ox).storeBytes(of: best, as: SIMD8<Float>.self)
                let indices = SIMD8<Int32>(repeating: Int32(topIndex + 2 * ox)) &+ columnOffsets &+ offset
                UnsafeMutableRawPointer(argmax + oy * out.width + ox).storeBytes(of: indices, as: SIMD8<Int32>.self)
                ox += 8
            }
            while ox < out.width {
                let x = 2 * ox
                var best = top[x], bestIndex = topIndex + x
                if !best.isNaN {
                    let candidates = (top[x + 1], bottom[x], bottom[x + 1])
                    let offsets = (1, w, w + 1)
                    if candidates.0.isNaN || candidates.0 > best { best = candidates.0; bestIndex = topIndex + x + offsets.0 }
                    if !best.isNaN && (candidates.1.isNaN || candidates.1 > best) { best = candidates.1; bestIndex = topIndex + x + offsets.1 }
                    if !best.isNaN && (candidates.2.isNaN || candidates.2 > best) { best = candidates.2; bestIndex = topIndex + x + offsets.2 }
                }
                let o = oy * out.width + ox
                output[o] = best
                argmax[o] = Int32(bestIndex)
                ox += 1
            }
        }
    }

    /// Routes each output gradient to the input recorded in `argmax` (overlapping windows add up).
    /// - Throws: when the gradient is not `[N, C, outH, outW]` for the input's N and C, when `argmax`
    ///   has a different element count, or when an index lies outside the input plane.
    public static func maxPoolBackward(outputGradient: Tensor, argmax: [Int32], inputShape: [Int], workers: Workers = .default) throws(TensorError) -> Tensor {
        let (n, c, h, w) = try planeShape(inputShape, "maxPool2d backward")
        guard outputGradient.rank == 4, outputGradient.shape[0] == n, outputGradient.shape[1] == c, argmax.count == outputGradient.count else {
            throw .shapeMismatch(operation: "maxPool2d backward", expected: [n, c, -1, -1], actual: outputGradient.shape)
        }
        let outPlane = outputGradient.shape[2] * outputGradient.shape[3]
        // The indices are written through an unchecked pointer: each must lie in the h × w plane.
        if let bad = argmax.first(where: { $0 < 0 || Int($0) >= h * w }) {
            throw .invalidArgument(operation: "maxPool2d backward", reason: "argmax index \(bad) outside the \(h)×\(w) input plane")
        }
        let planes = n * c, plane = h * w, count = planes * plane
        let result = outputGradient.withUnsafeBufferPointer { dy in
            argmax.withUnsafeBufferPointer { indices in
                Tensor.uninitializedStorage(count: count) { dx in
                    if let dy = dy.baseAddress, let indices = indices.baseAddress, let dx = dx.baseAddress {
                        workers.forRanges(count: planes, minimumPerRange: max(1, (1 << 14) / max(plane, 1))) { range in
                            // Each plane is cleared, then receives its windows' gradients (overlapping
                            // windows add up).
                            (dx + range.lowerBound * plane).update(repeating: 0, count: range.count * plane)
                            for p in range {
                                let target = dx + p * plane
                                for o in (p * outPlane)..<((p + 1) * outPlane) { target[Int(indices[o])] += dy[o] }
                            }
                        }
                    } else if let dx = dx.baseAddress {
                        dx.update(repeating: 0, count: count)
                    }
                }
            }
        }
        return Tensor(uncheckedShape: inputShape, scalars: result)
    }

    /// The proportional redistribution rule (PRR) at a max-pool layer: each window's gradient `R`
    /// is spread over its `k` valid inputs as `x_i · (R / m) / k` with `m = mean(x_i) + 1e-10`.
    public static func proportionalRedistribution(outputGradient: Tensor, input: Tensor, geometry: Pooling2DGeometry) throws(TensorError) -> Tensor {
        let (n, c, h, w) = try planeShape(input.shape, "maxPool2d PRR")
        let out = try geometry.outputSize(height: h, width: w, operation: "maxPool2d PRR")
        guard outputGradient.shape == [n, c, out.height, out.width] else {
            throw .shapeMismatch(operation: "maxPool2d PRR", expected: [n, c, out.height, out.width], actual: outputGradient.shape)
        }
        var result = [Float](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { x in
            outputGradient.withUnsafeBufferPointer { dy in
                result.withUnsafeMutableBufferPointer { dx in
                    for plane in 0..<(n * c) {
                        let base = plane * h * w
                        for oy in 0..<out.height {
                            let (yStart, yEnd) = geometry.windowRows(outputRow: oy, inputHeight: h)
                            for ox in 0..<out.width {
                                let (xStart, xEnd) = geometry.windowColumns(outputColumn: ox, inputWidth: w)
                                let k = Float((yEnd - yStart) * (xEnd - xStart))
                                var total: Float = 0
                                for iy in yStart..<yEnd { for ix in xStart..<xEnd { total += x[base + iy * w + ix] } }
                                let mean = total / k + 1e-10
                                let upstream = dy[(plane * out.height + oy) * out.width + ox]
                                let factor = upstream / mean / k
                                for iy in yStart..<yEnd {
                                    for ix in xStart..<xEnd { dx[base + iy * w + ix] += x[base + iy * w + ix] * factor }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: input.shape, scalars: result)
    }

    /// Average pooling; `countIncludesPadding` divides by the full window like PyTorch's default.
    /// In ceil mode a window hanging over the padded end counts only up to it, as in PyTorch.
    /// Planes are split across `workers`; the result does not depend on their number.
    public static func averagePool(_ input: Tensor, geometry: Pooling2DGeometry, countIncludesPadding: Bool = true, workers: Workers = .serial) throws(TensorError) -> Tensor {
        let (n, c, h, w) = try planeShape(input.shape, "avgPool2d")
        let out = try geometry.outputSize(height: h, width: w, operation: "avgPool2d")
        return windowedAverage(input, n: n, c: c, h: h, w: w, outHeight: out.height, outWidth: out.width, workers: workers) { oy, ox in
            averageWindow(geometry, oy: oy, ox: ox, h: h, w: w, countIncludesPadding: countIncludesPadding)
        }
    }

    /// The gradient of ``averagePool(_:geometry:countIncludesPadding:workers:)`` with respect to its input.
    public static func averagePoolBackward(outputGradient: Tensor, inputShape: [Int], geometry: Pooling2DGeometry, countIncludesPadding: Bool = true, workers: Workers = .serial) throws(TensorError) -> Tensor {
        let (n, c, h, w) = try planeShape(inputShape, "avgPool2d backward")
        let out = try geometry.outputSize(height: h, width: w, operation: "avgPool2d backward")
        guard outputGradient.shape == [n, c, out.height, out.width] else {
            throw .shapeMismatch(operation: "avgPool2d backward", expected: [n, c, out.height, out.width], actual: outputGradient.shape)
        }
        return windowedAverageBackward(outputGradient, n: n, c: c, h: h, w: w, outHeight: out.height, outWidth: out.width, workers: workers) { oy, ox in
            averageWindow(geometry, oy: oy, ox: ox, h: h, w: w, countIncludesPadding: countIncludesPadding)
        }
    }

    /// Adaptive average pooling to `outputSize` with PyTorch's bins
    /// (`start = ⌊i·H/out⌋`, `end = ⌈(i+1)·H/out⌉`). `outputSize` 1×1 is global average pooling.
    public static func adaptiveAveragePool(_ input: Tensor, outputSize: Size2D) throws(TensorError) -> Tensor {
        let (n, c, h, w) = try planeShape(input.shape, "adaptiveAvgPool2d")
        guard outputSize.height >= 1, outputSize.width >= 1 else {
            throw .invalidArgument(operation: "adaptiveAvgPool2d", reason: "output size \(outputSize) must be positive")
        }
        return windowedAverage(input, n: n, c: c, h: h, w: w, outHeight: outputSize.height, outWidth: outputSize.width) { oy, ox in
            adaptiveWindow(oy: oy, ox: ox, h: h, w: w, out: outputSize)
        }
    }

    /// The gradient of ``adaptiveAveragePool(_:outputSize:)`` with respect to its input.
    public static func adaptiveAveragePoolBackward(outputGradient: Tensor, inputShape: [Int]) throws(TensorError) -> Tensor {
        let (n, c, h, w) = try planeShape(inputShape, "adaptiveAvgPool2d backward")
        guard outputGradient.rank == 4, outputGradient.shape[0] == n, outputGradient.shape[1] == c else {
            throw .shapeMismatch(operation: "adaptiveAvgPool2d backward", expected: [n, c, -1, -1], actual: outputGradient.shape)
        }
        let out = Size2D(outputGradient.shape[2], outputGradient.shape[3])
        return windowedAverageBackward(outputGradient, n: n, c: c, h: h, w: w, outHeight: out.height, outWidth: out.width) { oy, ox in
            adaptiveWindow(oy: oy, ox: ox, h: h, w: w, out: out)
        }
    }

    /// A window as half-open row and column ranges plus the divisor of its average.
    typealias Window = (rows: Range<Int>, columns: Range<Int>, divisor: Float)

    private static func averageWindow(_ g: Pooling2DGeometry, oy: Int, ox: Int, h: Int, w: Int, countIncludesPadding: Bool) -> Window {
        let y0 = oy * g.stride.height - g.padding.height, x0 = ox * g.stride.width - g.padding.width
        let y1 = min(y0 + g.kernel.height, h + g.padding.height), x1 = min(x0 + g.kernel.width, w + g.padding.width)
        let fullCount = (y1 - y0) * (x1 - x0)
        let rows = max(y0, 0)..<min(y1, h), columns = max(x0, 0)..<min(x1, w)
        let divisor = countIncludesPadding ? fullCount : rows.count * columns.count
        return (rows, columns, Float(max(divisor, 1)))
    }

    private static func adaptiveWindow(oy: Int, ox: Int, h: Int, w: Int, out: Size2D) -> Window {
        let rows = (oy * h / out.height)..<(((oy + 1) * h + out.height - 1) / out.height)
        let columns = (ox * w / out.width)..<(((ox + 1) * w + out.width - 1) / out.width)
        return (rows, columns, Float(max(rows.count * columns.count, 1)))
    }

    private static func windowedAverage(_ input: Tensor, n: Int, c: Int, h: Int, w: Int, outHeight: Int, outWidth: Int, workers: Workers = .serial, window: (Int, Int) -> Window) -> Tensor {
        var output = [Float](repeating: 0, count: n * c * outHeight * outWidth)
        output.withUnsafeMutableBufferPointer { output in
          input.withUnsafeBufferPointer { x in
            // Planes are independent: split them across the workers.
            workers.forRanges(count: n * c, minimumPerRange: Swift.max(1, (1 << 14) / Swift.max(h * w, 1))) { planes in
             for plane in planes {
                let base = plane * h * w
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        let win = window(oy, ox)
                        var total: Float = 0
                        for iy in win.rows { for ix in win.columns { total += x[base + iy * w + ix] } }
                        output[(plane * outHeight + oy) * outWidth + ox] = total / win.divisor
                    }
                }
             }
            }
          }
        }
        return Tensor(uncheckedShape: [n, c, outHeight, outWidth], scalars: output)
    }

    private static func windowedAverageBackward(_ dy: Tensor, n: Int, c: Int, h: Int, w: Int, outHeight: Int, outWidth: Int, workers: Workers = .serial, window: (Int, Int) -> Window) -> Tensor {
        let planes = n * c, plane = h * w
        // The storage comes from the current buffer pool when there is one (at batch 8 the
        // gradient of ResNet-50's last feature map is 3 MiB, allocated afresh on every pass
        // otherwise).
        let result = dy.withUnsafeBufferPointer { g in
            Tensor.uninitializedStorage(count: planes * plane) { dx in
                guard let dx = dx.baseAddress else { return }
                guard let g = g.baseAddress else {
                    dx.update(repeating: 0, count: planes * plane)
                    return
                }
                // Each plane is cleared, then receives its windows' shares; a plane's windows
                // write only into that plane.
                workers.forRanges(count: planes, minimumPerRange: Swift.max(1, (1 << 14) / Swift.max(plane, 1))) { range in
                    (dx + range.lowerBound * plane).update(repeating: 0, count: range.count * plane)
                    for p in range {
                        let base = p * plane
                        for oy in 0..<outHeight {
                            for ox in 0..<outWidth {
                                let win = window(oy, ox)
                                let share = g[(p * outHeight + oy) * outWidth + ox] / win.divisor
                                for iy in win.rows { for ix in win.columns { dx[base + iy * w + ix] += share } }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [n, c, h, w], scalars: result)
    }
}

extension Pooling2DGeometry {
    /// The input rows `start..<end` of the window of output row `oy`, clipped to the image
    /// (padded rows are left out).
    @inline(__always)
    func windowRows(outputRow oy: Int, inputHeight h: Int) -> (start: Int, end: Int) {
        let y0 = oy * stride.height - padding.height
        return (max(y0, 0), min(y0 + kernel.height, h))
    }

    /// The input columns `start..<end` of the window of output column `ox`, clipped to the image.
    @inline(__always)
    func windowColumns(outputColumn ox: Int, inputWidth w: Int) -> (start: Int, end: Int) {
        let x0 = ox * stride.width - padding.width
        return (max(x0, 0), min(x0 + kernel.width, w))
    }
}
