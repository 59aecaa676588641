import CElementwise
import Testing
import RectGradCore

/// The depthwise kernels (EfficientNet's convolutions) bit for bit against plain loops in the
/// order of the specification's sums, and every instruction-set level of the C kernels against
/// the portable one — so that the AVX2 code is tested on an AVX-512 machine and the other way
/// round, whatever processor runs the suite (levels it does not support are skipped).
@Suite struct DepthwiseKernelTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let batch, channels, height, width, kernel, stride, padding: Int
        var testDescription: String { "\(batch)×\(channels)×\(height)×\(width) k\(kernel) s\(stride) p\(padding)" }
        var geometry: Convolution2DGeometry { Convolution2DGeometry(stride: Size2D(stride, stride), padding: Size2D(padding, padding), groups: channels) }
        var outputHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
        var outputWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    }

    static let cases: [Case] = [
        Case(batch: 2, channels: 3, height: 17, width: 15, kernel: 3, stride: 1, padding: 1),
        Case(batch: 1, channels: 4, height: 7, width: 7, kernel: 5, stride: 1, padding: 2),
        Case(batch: 1, channels: 2, height: 14, width: 14, kernel: 3, stride: 1, padding: 1),
        Case(batch: 1, channels: 3, height: 16, width: 15, kernel: 3, stride: 2, padding: 1),
        Case(batch: 2, channels: 2, height: 19, width: 20, kernel: 5, stride: 2, padding: 2),
        Case(batch: 1, channels: 2, height: 14, width: 14, kernel: 5, stride: 2, padding: 2),
        Case(batch: 1, channels: 3, height: 2, width: 3, kernel: 3, stride: 1, padding: 2),
        Case(batch: 1, channels: 1, height: 40, width: 37, kernel: 3, stride: 1, padding: 0),
        Case(batch: 1, channels: 1, height: 9, width: 33, kernel: 3, stride: 2, padding: 0),
    ]

    /// Seeded values with mixed signs and magnitudes (a simple linear congruential sequence).
    private static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let unit = Float(state >> 40) / Float(1 << 24)
            return (unit - 0.5) * 4
        }
    }

    /// `y[oy, ox] = Σ_{ki, kj} w · x` over the taps inside the input, row by row, from +0.
    private static func forwardReference(_ c: Case, x: [Float], w: [Float]) -> [Float] {
        let (oh, ow, k) = (c.outputHeight, c.outputWidth, c.kernel)
        var y = [Float](repeating: 0, count: c.batch * c.channels * oh * ow)
        for plane in 0..<(c.batch * c.channels) {
            let channel = plane % c.channels
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var sum: Float = 0
                    for ki in 0..<k {
                        for kj in 0..<k {
                            let iy = oy * c.stride - c.padding + ki, ix = ox * c.stride - c.padding + kj
                            guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                            let product = w[channel * k * k + ki * k + kj] * x[(plane * c.height + iy) * c.width + ix]
                            sum = sum + product
                        }
                    }
                    y[(plane * oh + oy) * ow + ox] = sum
                }
            }
        }
        return y
    }

    /// The scatter `dx[oy·s + ki − p, ox·s + kj − p] += w · dy[oy, ox]` in the order (oy, ki, kj, ox).
    private static func inputGradientReference(_ c: Case, dy: [Float], w: [Float]) -> [Float] {
        let (oh, ow, k) = (c.outputHeight, c.outputWidth, c.kernel)
        var dx = [Float](repeating: 0, count: c.batch * c.channels * c.height * c.width)
        for plane in 0..<(c.batch * c.channels) {
            let channel = plane % c.channels
            for oy in 0..<oh {
                for ki in 0..<k {
                    for kj in 0..<k {
                        for ox in 0..<ow {
                            let iy = oy * c.stride - c.padding + ki, ix = ox * c.stride - c.padding + kj
                            guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                            let product = w[channel * k * k + ki * k + kj] * dy[(plane * oh + oy) * ow + ox]
                            let index = (plane * c.height + iy) * c.width + ix
                            dx[index] = dx[index] + product
                        }
                    }
                }
            }
        }
        return dx
    }

    private static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    @Test(arguments: cases)
    func forwardAndInputGradientAreTheReferenceSums(_ c: Case) throws {
        let x = Self.values(c.batch * c.channels * c.height * c.width, seed: 1)
        let w = Self.values(c.channels * c.kernel * c.kernel, seed: 2)
        let dy = Self.values(c.batch * c.channels * c.outputHeight * c.outputWidth, seed: 3)
        let input = try Tensor(shape: [c.batch, c.channels, c.height, c.width], scalars: x)
        let weight = try Tensor(shape: [c.channels, 1, c.kernel, c.kernel], scalars: w)
        let output = try Convolution2D.forward(input: input, weight: weight, bias: nil, geometry: c.geometry, workers: Workers(count: 2))
        #expect(Self.bits(output.scalars) == Self.bits(Self.forwardReference(c, x: x, w: w)))
        let upstream = try Tensor(shape: output.shape, scalars: dy)
        let gradient = try Convolution2D.backwardInput(outputGradient: upstream, weight: weight, inputShape: input.shape, geometry: c.geometry, workers: Workers(count: 2))
        #expect(Self.bits(gradient.scalars) == Self.bits(Self.inputGradientReference(c, dy: dy, w: w)))
    }

    /// `rg_depthwise_taps` over a padded plane, and `rg_depthwise_scatter`, at every level this
    /// processor runs, equal the portable level bit for bit (which the test above ties to the
    /// reference sums); planes whose rows are one arithmetic sequence (stride 1) and row-by-row ones.
    @Test(arguments: cases)
    func everyInstructionSetLevelGivesThePortableBits(_ c: Case) {
        let (oh, ow, k, s, p) = (c.outputHeight, c.outputWidth, c.kernel, c.stride, c.padding)
        let paddedWidth = c.width + 2 * p, paddedHeight = s * oh + k
        var padded = [Float](repeating: 0, count: paddedHeight * paddedWidth + 128)
        let x = Self.values(c.height * c.width, seed: 4)
        for iy in 0..<c.height { for ix in 0..<c.width { padded[(iy + p) * paddedWidth + ix + p] = x[iy * c.width + ix] } }
        let w = Self.values(k * k, seed: 5)
        let offsets = (0..<(k * k)).map { ($0 / k) * paddedWidth + $0 % k }
        let virtualWidth = s == 1 ? paddedWidth : ow
        let dy = Self.values(oh * ow, seed: 6)
        let rowLength = s == 1 ? paddedWidth : 2 * ((paddedWidth + 1) / 2)

        func run(_ level: Int32) -> (forward: [Float], scatter: [Float]) {
            var wide = [Float](repeating: 0, count: oh * virtualWidth + 128)
            var out = [Float](repeating: 0, count: oh * ow)
            rg_depthwise_taps(level, padded, s * paddedWidth, s, virtualWidth, offsets, w, k * k, &wide, &out, oh, ow)
            var target = [Float](repeating: 0, count: (c.height + 2 * p) * rowLength + 128)
            rg_depthwise_scatter(level, dy, oh, ow, w, k, k, s, &target, rowLength)
            return (out, target)
        }
        let portable = run(RG_ISA_PORTABLE)
        for level in [RG_ISA_AVX2, RG_ISA_AVX512] where rg_isa_supported(level) != 0 {
            let result = run(level)
            #expect(Self.bits(result.forward) == Self.bits(portable.forward), "forward at level \(level)")
            #expect(Self.bits(result.scatter) == Self.bits(portable.scatter), "scatter at level \(level)")
        }
        // The portable level itself against the reference sums of one plane.
        let single = Case(batch: 1, channels: 1, height: c.height, width: c.width, kernel: k, stride: s, padding: p)
        #expect(Self.bits(portable.forward) == Self.bits(Self.forwardReference(single, x: x, w: w)))
    }
}
