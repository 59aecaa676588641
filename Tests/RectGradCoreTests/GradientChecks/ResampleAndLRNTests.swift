import Foundation
import Testing
import RectGradCore
import _RectGradTestSupport

/// `Tape.resample` (separable nearest / linear resampling) and `Tape.localResponseNormalization`:
/// hand cases, direct loops, finite differences, and invalid parameters.
@Suite("Resample and local response normalisation")
struct ResampleAndLRNTests {
    /// Nearest ×2 along the height, linear at positions 0, 0.5, 1.25, 3.7 (clamped to 2) along the width.
    static func axes() throws -> (ResampleAxis, ResampleAxis) {
        (try .nearest(inputExtent: 3, sources: [0, 0, 1, 1, 2, 2]), try .linear(inputExtent: 3, positions: [0, 0.5, 1.25, 3.7, -1]))
    }

    @Test func handCases() throws {
        let tape = Tape(workers: .serial)
        let x = tape.input(try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]))
        let twice = try ResampleAxis.nearest(inputExtent: 2, sources: [0, 0, 1, 1])
        let nearest = try tape.value(tape.resample(x, height: twice, width: twice))
        #expect(nearest.scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        // Linear at 0, 0.5, 1 along the width, rows copied: [1, 1.5, 2], [3, 3.5, 4].
        let same = try ResampleAxis.nearest(inputExtent: 2, sources: [0, 1])
        let linear = try tape.value(tape.resample(x, height: same, width: .linear(inputExtent: 2, positions: [0, 0.5, 1])))
        #expect(linear.scalars == [1, 1.5, 2, 3, 3.5, 4])
    }

    @Test func forwardAndBackwardMatchDirectLoops() throws {
        let (height, width) = try Self.axes()
        let x = Tensor.randomNormal([2, 3, 3, 3], seed: 71)
        let tape = Tape(workers: .serial)
        let input = tape.input(x)
        let y = try tape.resample(input, height: height, width: width)
        let seed = Tensor.randomNormal(try tape.shape(y), seed: 72)
        let gradient = try #require(try tape.backward(from: y, seed: seed, withRespectTo: [input])[input])
        // Direct: y[o, p] = Σ_taps wh · ww · x[i, j]; the gradient scatters seed[o, p] the same way.
        func taps(_ axis: ResampleAxis, _ o: Int) -> [(Int, Float)] {
            (axis.tapStarts[o]..<axis.tapStarts[o + 1]).map { (axis.tapIndices[$0], axis.tapWeights[$0]) }
        }
        var expected = Tensor.zeros([2, 3, height.outputExtent, width.outputExtent])
        var expectedGradient = Tensor.zeros(x.shape)
        for n in 0..<2 {
            for c in 0..<3 {
                for o in 0..<height.outputExtent {
                    for p in 0..<width.outputExtent {
                        for (i, wi) in taps(height, o) {
                            for (j, wj) in taps(width, p) {
                                expected[n, c, o, p] += wi * wj * x[n, c, i, j]
                                expectedGradient[n, c, i, j] += wi * wj * seed[n, c, o, p]
                            }
                        }
                    }
                }
            }
        }
        expectClose(try tape.value(y), expected, "forward")
        expectClose(gradient, expectedGradient, "backward")
    }

    @Test func resampleGradientMatchesFiniteDifferences() throws {
        let (height, width) = try Self.axes()
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [Tensor.randomNormal([2, 2, 3, 3], seed: 73)], step: 0.5, scale: 0.1) { tape, v in
            try tape.resample(v[0], height: height, width: width)
        }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
    }

    /// ONNX's definition written out in Double: the window of `c` is `c − ⌊(s−1)/2⌋ … c + ⌈(s−1)/2⌉`.
    static func naiveLRN(_ x: Tensor, _ p: LocalResponseNormalization) -> Tensor {
        var y = x
        let (batch, channels, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        for n in 0..<batch {
            for c in 0..<channels {
                for i in 0..<h {
                    for j in 0..<w {
                        var sum = 0.0
                        for k in max(0, c - (p.size - 1) / 2)...min(channels - 1, c + p.size / 2) {
                            sum += Double(x[n, k, i, j]) * Double(x[n, k, i, j])
                        }
                        y[n, c, i, j] = Float(Double(x[n, c, i, j]) / pow(Double(p.bias) + Double(p.alpha) / Double(p.size) * sum, Double(p.beta)))
                    }
                }
            }
        }
        return y
    }

    @Test(arguments: [1, 3, 4, 7])
    func lrnMatchesItsDefinitionAndFiniteDifferences(size: Int) throws {
        let parameters = try LocalResponseNormalization(size: size, alpha: 0.3, beta: 0.75, bias: 1.5)
        let x = Tensor.randomNormal([2, 5, 3, 2], seed: 74)
        let tape = Tape(workers: .serial)
        expectClose(try tape.value(tape.localResponseNormalization(tape.input(x), parameters)), Self.naiveLRN(x, parameters), "forward")
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 1e-2, scale: 1e-2) { tape, v in
            try tape.localResponseNormalization(v[0], parameters)
        }
        #expect(errors[0] < 1e-2, "relative error \(errors[0])")
    }

    @Test func invalidParametersAreErrors() throws {
        #expect(throws: TensorError.self) { try ResampleAxis.nearest(inputExtent: 2, sources: [0, 2]) }
        #expect(throws: TensorError.self) { try ResampleAxis.linear(inputExtent: 2, positions: [.nan]) }
        #expect(throws: TensorError.self) { try ResampleAxis(inputExtent: 0, taps: [[(index: 0, weight: Float(1))]]) }
        #expect(throws: TensorError.self) { try LocalResponseNormalization(size: 0) }
        #expect(throws: TensorError.self) { try LocalResponseNormalization(size: 3, bias: 0) }
        let tape = Tape(workers: .serial)
        let x = tape.input(Tensor.zeros([1, 1, 4, 4]))
        let axis = try ResampleAxis.nearest(inputExtent: 3, sources: [0])
        #expect(throws: TapeError.self) { try tape.resample(x, height: axis, width: axis) }
    }
}
