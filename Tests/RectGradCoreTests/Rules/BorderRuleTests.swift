import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("The RectGrad convolution border rule")
struct BorderRuleTests {
    /// Gradient at a `[1, 1, 4, 4]` input of ones through one convolution seeded with ones.
    func convolutionGradient(weight: Tensor, geometry: Convolution2DGeometry, masked: Bool) throws -> (Tensor, BackwardReport) {
        let tape = Tape()
        let x = tape.input(Tensor(repeating: 1, shape: [1, 1, 4, 4]))
        let y = try tape.conv2d(x, weight: tape.parameter(weight), geometry: geometry, name: "conv")
        let seed = Tensor(repeating: 1, shape: try tape.shape(y))
        let result = try tape.backward(from: y, seed: seed, withRespectTo: [x], rules: BackwardRules(masksConvolutionBorder: masked))
        return (try #require(result[x]), result.report)
    }

    @Test("a padded 3×3 convolution: the output gradient's outer frame is zeroed before propagating")
    func paddedConvolutionIsMasked() throws {
        let ones = Tensor(repeating: 1, shape: [1, 1, 3, 3])
        // Unmasked: each input pixel receives one unit per output in its 3×3 neighbourhood (inside the 4×4 map).
        let (plain, plainReport) = try convolutionGradient(weight: ones, geometry: .init(padding: 1), masked: false)
        expectEqual(plain, try tensor([1, 1, 4, 4], [4, 6, 6, 4,
                                                     6, 9, 9, 6,
                                                     6, 9, 9, 6,
                                                     4, 6, 6, 4]))
        #expect(plainReport.maskedConvolutions == 0)
        // Masked: only the inner 2×2 outputs (1…2, 1…2) carry gradient; count them per neighbourhood.
        let (masked, maskedReport) = try convolutionGradient(weight: ones, geometry: .init(padding: 1), masked: true)
        expectEqual(masked, try tensor([1, 1, 4, 4], [1, 2, 2, 1,
                                                      2, 4, 4, 2,
                                                      2, 4, 4, 2,
                                                      1, 2, 2, 1]))
        #expect(maskedReport.maskedConvolutions == 1)
    }

    @Test("an identity (centre-tap) padded convolution shows the mask itself")
    func identityConvolutionShowsMask() throws {
        var delta = Tensor.zeros([1, 1, 3, 3])
        delta[0, 0, 1, 1] = 1
        let (masked, _) = try convolutionGradient(weight: delta, geometry: .init(padding: 1), masked: true)
        expectEqual(masked, try tensor([1, 1, 4, 4], [0, 0, 0, 0,
                                                      0, 1, 1, 0,
                                                      0, 1, 1, 0,
                                                      0, 0, 0, 0]))
        // Padding on one axis only still counts as padded: the whole frame is masked.
        let narrow = try tensor([1, 1, 1, 3], [0, 1, 0])
        let (oneAxis, report) = try convolutionGradient(weight: narrow, geometry: .init(padding: Size2D(0, 1)), masked: true)
        expectEqual(oneAxis, try tensor([1, 1, 4, 4], [0, 0, 0, 0,
                                                       0, 1, 1, 0,
                                                       0, 1, 1, 0,
                                                       0, 0, 0, 0]))
        #expect(report.maskedConvolutions == 1)
    }

    @Test("unpadded convolutions (1×1, or 3×3 without padding) are not masked")
    func unpaddedConvolutionsAreNotMasked() throws {
        let (pointwise, pointwiseReport) = try convolutionGradient(weight: Tensor(repeating: 1, shape: [1, 1, 1, 1]), geometry: .init(), masked: true)
        expectEqual(pointwise, Tensor(repeating: 1, shape: [1, 1, 4, 4]))
        #expect(pointwiseReport.maskedConvolutions == 0)
        let (strided, _) = try convolutionGradient(weight: Tensor(repeating: 1, shape: [1, 1, 1, 1]), geometry: .init(stride: 2), masked: true)
        expectEqual(strided, try tensor([1, 1, 4, 4], [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]))
        // 3×3 without padding on 4×4: outputs 2×2, no frame removed; each input counts its covering windows.
        let (valid, validReport) = try convolutionGradient(weight: Tensor(repeating: 1, shape: [1, 1, 3, 3]), geometry: .init(), masked: true)
        expectEqual(valid, try tensor([1, 1, 4, 4], [1, 2, 2, 1,
                                                     2, 4, 4, 2,
                                                     2, 4, 4, 2,
                                                     1, 2, 2, 1]))
        #expect(validReport.maskedConvolutions == 0)
    }

    @Test("the mask applies per channel and per example, at every padded convolution of a chain")
    func chainOfConvolutions() throws {
        // padded conv (2 → 3 channels) → 1×1 conv (3 → 2): only the first is masked.
        let x = Tensor.randomNormal([2, 2, 5, 5], seed: 91)
        let w1 = Tensor.randomNormal([3, 2, 3, 3], seed: 92)
        let w2 = Tensor.randomNormal([2, 3, 1, 1], seed: 93)
        let tape = Tape()
        let input = tape.input(x)
        let h = try tape.conv2d(input, weight: tape.parameter(w1), geometry: .init(padding: 1))
        let y = try tape.conv2d(h, weight: tape.parameter(w2))
        let seed = Tensor.randomNormal([2, 2, 5, 5], seed: 94)
        let result = try tape.backward(from: y, seed: seed, withRespectTo: [input, h], rules: BackwardRules(masksConvolutionBorder: true))
        #expect(result.report.maskedConvolutions == 1)
        let atH = NaiveKernels.conv2dBackwardInput(seed, w2, inputShape: [2, 3, 5, 5], .init())
        expectClose(try #require(result[h]), atH, "gradient at the padded convolution's output (before its mask)")
        let expected = NaiveKernels.conv2dBackwardInput(NaiveKernels.zeroOuterFrame(atH), w1, inputShape: [2, 2, 5, 5], .init(padding: 1))
        expectClose(try #require(result[input]), expected)
    }
}
