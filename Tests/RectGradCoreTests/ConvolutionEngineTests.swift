import Testing
import RectGradCore

/// Every convolution algorithm (Winograd bands and channel blocks, banded and whole-image im2col,
/// pointwise, depthwise) against a direct loop in Double, forward and both gradients.
///
/// The shapes are chosen to reach each algorithm on a two-core machine and to cut bands and
/// blocks unevenly (odd sizes, a last band shorter than the others, padding that leaves a half
/// tile); on other machines they may take another path, which must be just as exact.
@Suite struct ConvolutionEngineTests {
    /// One convolution to check.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let batch, inputChannels, outputChannels, height, width, kernelHeight, kernelWidth: Int
        let geometry: Convolution2DGeometry

        init(_ name: String, batch: Int = 1, channels: (Int, Int), size: (Int, Int), kernel: (Int, Int) = (3, 3),
             stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1) {
            self.name = name
            self.batch = batch
            (inputChannels, outputChannels) = channels
            (height, width) = size
            (kernelHeight, kernelWidth) = kernel
            geometry = Convolution2DGeometry(stride: stride, padding: padding, dilation: dilation, groups: groups)
        }

        var inputShape: [Int] { [batch, inputChannels, height, width] }
        var weightShape: [Int] { [outputChannels, inputChannels / geometry.groups, kernelHeight, kernelWidth] }
        var testDescription: String { name }
    }

    static let winogradCases: [Case] = [
        // Channel blocks (small images), every padding the fast path takes, odd output sizes.
        Case("winograd 16→24 9×11 pad 1", channels: (16, 24), size: (9, 11), padding: 1),
        Case("winograd 16→24 9×11 pad 0", channels: (16, 24), size: (9, 11), padding: 0),
        Case("winograd 16→24 10×7 pad 2", channels: (16, 24), size: (10, 7), padding: 2),
        Case("winograd 8→8 4×4 pad (0, 2)", channels: (8, 8), size: (4, 4), padding: Size2D(0, 2)),
        Case("winograd batch 2, 24→16 13×6 pad 1", batch: 2, channels: (24, 16), size: (13, 6), padding: 1),
        Case("winograd 130→72 6×6 pad 1 (uneven channel blocks)", channels: (130, 72), size: (6, 6), padding: 1),
        // Small images at batch 4: one band per image would re-read the kernel per example, so
        // the examples' tiles are multiplied together in channel blocks.
        Case("winograd batch 4, 16→16 8×8 pad 1 (examples in one product)", batch: 4, channels: (16, 16), size: (8, 8), padding: 1),
        // Row bands (large images), including a last band shorter than the others.
        Case("winograd bands 8→16 199×201 pad 1", channels: (8, 16), size: (199, 201), padding: 1),
        Case("winograd bands batch 2, 16→16 150×97 pad 0", batch: 2, channels: (16, 16), size: (150, 97), padding: 0),
        // ResNet-50's last stage: a large kernel and few tiles, where the kernel transform would
        // cost more than the products save, so im2col takes it (whole image at batch 1, the
        // examples side by side in one product at batch 2).
        Case("3×3 512→512 7×7 pad 1 (few tiles, large kernel)", channels: (512, 512), size: (7, 7), padding: 1),
        Case("3×3 batch 2, 512→512 7×7 pad 1 (few tiles, examples in one product)", batch: 2, channels: (512, 512), size: (7, 7), padding: 1),
    ]

    static let columnCases: [Case] = [
        Case("im2col 3→16 3×3 pad 1 (few input channels)", channels: (3, 16), size: (12, 10), padding: 1),
        Case("im2col stride 2 pad 1", channels: (8, 12), size: (15, 16), stride: 2, padding: 1),
        Case("im2col stride (2, 1) pad (0, 2)", batch: 2, channels: (6, 5), size: (11, 9), stride: Size2D(2, 1), padding: Size2D(0, 2)),
        Case("im2col dilation 2 pad 2", channels: (8, 8), size: (13, 12), padding: 2, dilation: 2),
        Case("im2col 5×5 groups 2", batch: 2, channels: (8, 6), size: (9, 10), kernel: (5, 5), padding: 2, groups: 2),
        Case("im2col 7×7 stride 2 pad 3", channels: (3, 8), size: (23, 21), kernel: (7, 7), stride: 2, padding: 3),
        Case("im2col 3×1 kernel", channels: (5, 4), size: (8, 7), kernel: (3, 1), padding: Size2D(1, 0)),
        Case("im2col bands 32→8 5×5 41×40", channels: (32, 8), size: (41, 40), kernel: (5, 5), padding: 2),
        Case("im2col bands batch 2, 16→12 3×3 stride 2 93×90", batch: 2, channels: (16, 12), size: (93, 90), stride: 2, padding: 1),
        // Small planes at batch > 1: the examples' columns side by side in one product, in
        // chunks (a chunk of 3 and one of 1 for the 5×5 case).
        Case("im2col batch 3, 256→128 3×3 stride 2 14×14 (examples in one product)", batch: 3, channels: (256, 128), size: (14, 14), stride: 2, padding: 1),
        Case("im2col batch 4, 64→32 5×5 stride 2 37×37 (examples in one product, two chunks)", batch: 4, channels: (64, 32), size: (37, 37), kernel: (5, 5), stride: 2, padding: 2),
        Case("pointwise 1×1", batch: 2, channels: (12, 20), size: (7, 9), kernel: (1, 1)),
        Case("pointwise 1×1 groups 4", channels: (8, 12), size: (5, 6), kernel: (1, 1), groups: 4),
        // Small planes at batch > 1: the examples side by side in one product, in chunks (4 + 1).
        Case("pointwise 1×1 batch 5, 600→500 on 19×21 (examples in one product, two chunks)", batch: 5, channels: (600, 500), size: (19, 21), kernel: (1, 1)),
        Case("pointwise 1×1 batch 3, 24→40 on 5×5", batch: 3, channels: (24, 40), size: (5, 5), kernel: (1, 1)),
        Case("pointwise 1×1 96→80 on 3×3 (products split by rows)", channels: (96, 80), size: (3, 3), kernel: (1, 1)),
        Case("1×1 stride 2", channels: (12, 10), size: (9, 8), kernel: (1, 1), stride: 2),
        Case("1×1 pad 1", channels: (4, 6), size: (5, 5), kernel: (1, 1), padding: 1),
        Case("channel multiplier 2", channels: (4, 8), size: (9, 9), stride: 1, padding: 1, groups: 4),
    ]

    static let depthwiseCases: [Case] = [
        Case("depthwise 3×3 stride 1 pad 1", batch: 2, channels: (12, 12), size: (17, 15), padding: 1, groups: 12),
        Case("depthwise 3×3 stride 2 pad 1", channels: (10, 10), size: (16, 15), stride: 2, padding: 1, groups: 10),
        Case("depthwise 5×5 stride 2 pad 2", batch: 2, channels: (6, 6), size: (19, 20), kernel: (5, 5), stride: 2, padding: 2, groups: 6),
        Case("depthwise 5×5 stride 1 pad 2", channels: (7, 7), size: (9, 12), kernel: (5, 5), padding: 2, groups: 7),
        Case("depthwise 3×3 dilation 2 pad 0", channels: (5, 5), size: (11, 10), dilation: 2, groups: 5),
        Case("depthwise 3×3 pad 2 on a 2×3 image", channels: (3, 3), size: (2, 3), padding: 2, groups: 3),
    ]

    @Test(arguments: winogradCases + columnCases + depthwiseCases)
    func forwardMatchesDirectLoop(_ c: Case) throws {
        let (x, w, b) = inputs(c, seed: 1)
        let y = try Convolution2D.forward(input: x, weight: w, bias: b, geometry: c.geometry)
        let expected = ReferenceConvolution.forward(x, w, bias: b, c.geometry)
        #expect(y.shape == expected.shape)
        #expect(relativeError(y.scalars, expected.values) <= 1e-5, "\(c.name)")
    }

    @Test(arguments: winogradCases + columnCases + depthwiseCases)
    func inputGradientMatchesDirectLoop(_ c: Case) throws {
        let (x, w, _) = inputs(c, seed: 2)
        let outputShape = try Convolution2D.outputShape(input: x.shape, weight: w.shape, geometry: c.geometry)
        let dy = seededTensor(outputShape, seed: 3, range: -1...1)
        let dx = try Convolution2D.backwardInput(outputGradient: dy, weight: w, inputShape: x.shape, geometry: c.geometry)
        let expected = ReferenceConvolution.backwardInput(dy, w, inputShape: x.shape, c.geometry)
        #expect(dx.shape == x.shape)
        #expect(relativeError(dx.scalars, expected) <= 1e-5, "\(c.name)")
    }

    @Test(arguments: winogradCases + columnCases + depthwiseCases)
    func weightGradientMatchesDirectLoop(_ c: Case) throws {
        let (x, w, _) = inputs(c, seed: 4)
        let outputShape = try Convolution2D.outputShape(input: x.shape, weight: w.shape, geometry: c.geometry)
        let dy = seededTensor(outputShape, seed: 5, range: -1...1)
        let dw = try Convolution2D.backwardWeight(outputGradient: dy, input: x, weightShape: w.shape, geometry: c.geometry)
        let expected = ReferenceConvolution.backwardWeight(dy, x, weightShape: w.shape, c.geometry)
        #expect(dw.shape == w.shape)
        #expect(relativeError(dw.scalars, expected) <= 1e-5, "\(c.name)")
    }

    /// VGG-like magnitudes (non-negative activations, small weights) through a wide layer.
    @Test func winogradKeepsFloat32AccuracyOnVGGLikeData() throws {
        let c = Case("vgg-like 64→64 30×30", channels: (64, 64), size: (30, 30), padding: 1)
        let x = seededTensor(c.inputShape, seed: 6, range: 0...4)
        let w = seededTensor(c.weightShape, seed: 7, range: -0.06...0.06)
        let y = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: c.geometry)
        #expect(relativeError(y.scalars, ReferenceConvolution.forward(x, w, bias: nil, c.geometry).values) <= 1e-5)
        let dx = try Convolution2D.backwardInput(outputGradient: y, weight: w, inputShape: x.shape, geometry: c.geometry)
        #expect(relativeError(dx.scalars, ReferenceConvolution.backwardInput(y, w, inputShape: x.shape, c.geometry)) <= 1e-5)
    }

    /// Convolutions running at once from several tasks each narrow OpenBLAS to one thread for a
    /// while; the results stay exact. (Whether OpenBLAS' thread count is restored is not asserted
    /// here: it is process-wide, and other tests running in parallel change it at any moment.)
    @Test func concurrentConvolutionsAreExact() async throws {
        let c = Case("concurrent", channels: (16, 16), size: (40, 40), padding: 1)
        let (x, w, _) = inputs(c, seed: 8)
        let expected = ReferenceConvolution.forward(x, w, bias: nil, c.geometry).values
        let geometry = c.geometry
        let errors = try await withThrowingTaskGroup(of: Double.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let y = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: geometry)
                    return relativeError(y.scalars, expected)
                }
            }
            return try await group.reduce(into: [Double]()) { $0.append($1) }
        }
        #expect(errors.count == 6)
        #expect(errors.allSatisfy { $0 <= 1e-5 })
    }

    /// The input gradient is the adjoint of the forward map: ⟨conv(x), dy⟩ = ⟨x, convᵀ(dy)⟩.
    @Test(arguments: [winogradCases[0], winogradCases[6], columnCases[1], depthwiseCases[2]])
    func inputGradientIsAdjointOfForward(_ c: Case) throws {
        let (x, w, _) = inputs(c, seed: 9)
        let y = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: c.geometry)
        let dy = seededTensor(y.shape, seed: 10, range: -1...1)
        let dx = try Convolution2D.backwardInput(outputGradient: dy, weight: w, inputShape: x.shape, geometry: c.geometry)
        let left = zip(y.scalars, dy.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(x.scalars, dx.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(left - right) <= 1e-4 * max(abs(left), 1))
    }

    private func inputs(_ c: Case, seed: UInt64) -> (Tensor, Tensor, Tensor) {
        (seededTensor(c.inputShape, seed: seed, range: -1...1),
         seededTensor(c.weightShape, seed: seed &+ 100, range: -0.5...0.5),
         seededTensor([c.outputChannels], seed: seed &+ 200, range: -1...1))
    }
}

/// Uniform values from a fixed linear congruential sequence.
private func seededTensor(_ shape: [Int], seed: UInt64, range: ClosedRange<Float>) -> Tensor {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    let count = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: count)
    for i in 0..<count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let unit = Float(state >> 40) / Float(1 << 24)
        values[i] = range.lowerBound + unit * (range.upperBound - range.lowerBound)
    }
    return Tensor(repeating: 0, shape: shape).replacingScalars(values)
}

extension Tensor {
    fileprivate func replacingScalars(_ values: [Float]) -> Tensor {
        var copy = self
        copy.withUnsafeMutableBufferPointer { buffer in
            for i in values.indices { buffer[i] = values[i] }
        }
        return copy
    }
}

/// ‖a − b‖₂ / ‖b‖₂ (or ‖a‖₂ when b is zero).
private func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
    guard actual.count == expected.count else { return .infinity }
    var difference = 0.0, norm = 0.0
    for (a, b) in zip(actual, expected) {
        difference += (Double(a) - b) * (Double(a) - b)
        norm += b * b
    }
    return norm > 0 ? (difference / norm).squareRoot() : difference.squareRoot()
}

/// Direct convolution loops in Double, written from the definition
/// `y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), ki, kj} w[o, c, ki, kj] · x[n, c, i·s + ki·d − p, j·s + kj·d − p]`.
private enum ReferenceConvolution {
    struct Geometry {
        let n, c, h, w, o, kh, kw, oh, ow, groups: Int
        let sh, sw, ph, pw, dh, dw: Int

        init(input: [Int], weight: [Int], _ g: Convolution2DGeometry) {
            (n, c, h, w) = (input[0], input[1], input[2], input[3])
            (o, kh, kw) = (weight[0], weight[2], weight[3])
            groups = g.groups
            (sh, sw, ph, pw, dh, dw) = (g.stride.height, g.stride.width, g.padding.height, g.padding.width, g.dilation.height, g.dilation.width)
            oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1
            ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1
        }

        /// Calls `body(n, o, i, j, c, ki, kj, inputIndex, weightIndex, outputIndex)` for every term.
        func forEachTerm(_ body: (Int, Int, Int) -> Void) {
            let inPerGroup = c / groups, outPerGroup = o / groups
            for b in 0..<n {
                for oc in 0..<o {
                    let group = oc / outPerGroup
                    for i in 0..<oh {
                        for j in 0..<ow {
                            let outputIndex = ((b * o + oc) * oh + i) * ow + j
                            for local in 0..<inPerGroup {
                                let ic = group * inPerGroup + local
                                for ki in 0..<kh {
                                    let y = i * sh + ki * dh - ph
                                    if y < 0 || y >= h { continue }
                                    for kj in 0..<kw {
                                        let x = j * sw + kj * dw - pw
                                        if x < 0 || x >= w { continue }
                                        body(((b * c + ic) * h + y) * w + x, ((oc * inPerGroup + local) * kh + ki) * kw + kj, outputIndex)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func forward(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ g: Convolution2DGeometry) -> (shape: [Int], values: [Double]) {
        let s = Geometry(input: x.shape, weight: w.shape, g)
        var y = [Double](repeating: 0, count: s.n * s.o * s.oh * s.ow)
        s.forEachTerm { input, weight, output in y[output] += Double(x[flat: input]) * Double(w[flat: weight]) }
        if let bias {
            for index in y.indices { y[index] += Double(bias[flat: (index / (s.oh * s.ow)) % s.o]) }
        }
        return ([s.n, s.o, s.oh, s.ow], y)
    }

    static func backwardInput(_ dy: Tensor, _ w: Tensor, inputShape: [Int], _ g: Convolution2DGeometry) -> [Double] {
        let s = Geometry(input: inputShape, weight: w.shape, g)
        var dx = [Double](repeating: 0, count: inputShape.reduce(1, *))
        s.forEachTerm { input, weight, output in dx[input] += Double(dy[flat: output]) * Double(w[flat: weight]) }
        return dx
    }

    static func backwardWeight(_ dy: Tensor, _ x: Tensor, weightShape: [Int], _ g: Convolution2DGeometry) -> [Double] {
        let s = Geometry(input: x.shape, weight: weightShape, g)
        var dw = [Double](repeating: 0, count: weightShape.reduce(1, *))
        s.forEachTerm { input, weight, output in dw[weight] += Double(dy[flat: output]) * Double(x[flat: input]) }
        return dw
    }
}
