import Testing
import RectGradCore
import _RectGradTestSupport

/// One convolution configuration: shapes and geometry.
struct ConvolutionCase: Sendable, CustomTestStringConvertible {
    var label: String
    var input: [Int]
    var weight: [Int]
    var geometry: Convolution2DGeometry

    var testDescription: String { "\(label): x\(input) w\(weight) \(geometry)" }

    /// Batch 2 everywhere; strides 1/2, paddings 0/1/2, dilations 1/2, groups 1/2/depthwise,
    /// pointwise 1×1, non-square kernels, inputs and geometries.
    static let all: [ConvolutionCase] = [
        .init(label: "plain 3×3", input: [2, 3, 5, 5], weight: [4, 3, 3, 3], geometry: .init()),
        .init(label: "padding 1", input: [2, 3, 5, 6], weight: [4, 3, 3, 3], geometry: .init(padding: 1)),
        .init(label: "padding 2, stride 2", input: [2, 2, 7, 6], weight: [3, 2, 3, 3], geometry: .init(stride: 2, padding: 2)),
        .init(label: "stride 2, padding 1", input: [2, 3, 6, 6], weight: [2, 3, 3, 3], geometry: .init(stride: 2, padding: 1)),
        .init(label: "dilation 2, padding 2", input: [2, 2, 7, 7], weight: [3, 2, 3, 3], geometry: .init(padding: 2, dilation: 2)),
        .init(label: "dilation 2, stride 2, padding 1, 3×2 kernel", input: [2, 2, 8, 7], weight: [2, 2, 3, 2], geometry: .init(stride: 2, padding: 1, dilation: 2)),
        .init(label: "groups 2, padding 1", input: [2, 4, 5, 5], weight: [6, 2, 3, 3], geometry: .init(padding: 1, groups: 2)),
        .init(label: "groups 2, stride 2, 2×3 kernel", input: [2, 4, 6, 5], weight: [4, 2, 2, 3], geometry: .init(stride: 2, groups: 2)),
        .init(label: "depthwise, padding 1", input: [2, 3, 5, 5], weight: [3, 1, 3, 3], geometry: .init(padding: 1, groups: 3)),
        .init(label: "depthwise, stride 2, padding 2, dilation 2", input: [2, 4, 7, 6], weight: [4, 1, 3, 3], geometry: .init(stride: 2, padding: 2, dilation: 2, groups: 4)),
        .init(label: "depthwise multiplier 2", input: [2, 2, 5, 5], weight: [4, 1, 3, 3], geometry: .init(padding: 1, groups: 2)),
        .init(label: "pointwise 1×1", input: [2, 3, 4, 5], weight: [5, 3, 1, 1], geometry: .init()),
        .init(label: "pointwise 1×1, stride 2", input: [2, 3, 5, 5], weight: [2, 3, 1, 1], geometry: .init(stride: 2)),
        .init(label: "1×1 with padding 2", input: [2, 2, 3, 3], weight: [2, 2, 1, 1], geometry: .init(padding: 2)),
        .init(label: "2×3 kernel, stride 1×2, padding 1×0", input: [2, 2, 5, 7], weight: [3, 2, 2, 3], geometry: .init(stride: Size2D(1, 2), padding: Size2D(1, 0))),
        .init(label: "3×1 kernel, dilation 2×1, padding 0×1", input: [2, 3, 6, 4], weight: [2, 3, 3, 1], geometry: .init(padding: Size2D(0, 1), dilation: Size2D(2, 1))),
        .init(label: "1×3 kernel, groups 2, dilation 1×2, stride 2×1", input: [2, 2, 4, 9], weight: [2, 1, 1, 3], geometry: .init(stride: Size2D(2, 1), dilation: Size2D(1, 2), groups: 2)),
        .init(label: "kernel as large as the input", input: [2, 2, 3, 4], weight: [3, 2, 3, 4], geometry: .init()),
        // 3×3, stride 1, ≥ 8 channels in and out: shapes the engine may compute with Winograd F(2×2, 3×3).
        .init(label: "3×3 8→8, padding 1 (Winograd-eligible)", input: [2, 8, 5, 6], weight: [8, 8, 3, 3], geometry: .init(padding: 1)),
        .init(label: "3×3 8→9, padding 0, odd output (Winograd-eligible)", input: [2, 8, 7, 5], weight: [9, 8, 3, 3], geometry: .init()),
        .init(label: "3×3 9→8, padding 2×1 (Winograd-eligible)", input: [2, 9, 4, 4], weight: [8, 9, 3, 3], geometry: .init(padding: Size2D(2, 1))),
    ]
}

@Suite("Convolution gradients (finite differences)")
struct ConvolutionGradientTests {
    @Test("conv2d backward matches finite differences w.r.t. input, weight and bias", arguments: ConvolutionCase.all)
    func convolutionGradients(_ c: ConvolutionCase) throws {
        let x = Tensor.randomNormal(c.input, seed: 11)
        let w = Tensor.randomNormal(c.weight, seed: 12)
        let b = Tensor.randomNormal([c.weight[0]], seed: 13)
        // The function is linear in each argument: a large step leaves only the float32 rounding of
        // the forward passes (≈ 1e-5 absolute here, more with Winograd's transforms), so gradients
        // below 0.1 are compared absolutely. A wrong gradient is off by O(1).
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x, w, b], step: 0.5, scale: 0.1) { tape, v in
            try tape.conv2d(v[0], weight: v[1], bias: v[2], geometry: c.geometry)
        }
        #expect(errors.count == 3)
        #expect(errors[0] < 1e-3, "input gradient: relative error \(errors[0])")
        #expect(errors[1] < 1e-3, "weight gradient: relative error \(errors[1])")
        #expect(errors[2] < 1e-3, "bias gradient: relative error \(errors[2])")
    }

    @Test("conv2d forward and the three backward paths match direct loops", arguments: ConvolutionCase.all)
    func convolutionMatchesNaiveLoops(_ c: ConvolutionCase) throws {
        let x = Tensor.randomNormal(c.input, seed: 21)
        let w = Tensor.randomNormal(c.weight, seed: 22)
        let b = Tensor.randomNormal([c.weight[0]], seed: 23)
        let y = try Convolution2D.forward(input: x, weight: w, bias: b, geometry: c.geometry)
        expectClose(y, NaiveKernels.conv2d(x, w, b, c.geometry), "forward")
        #expect(try Convolution2D.outputShape(input: c.input, weight: c.weight, geometry: c.geometry) == y.shape)
        // Direct algorithm: N·O·outH·outW output elements, each C/groups·kH·kW taps.
        let macs = y.count * c.weight[1] * c.weight[2] * c.weight[3]
        #expect(try Convolution2D.multiplyAccumulates(input: c.input, weight: c.weight, geometry: c.geometry) == macs)

        let dy = Tensor.randomNormal(y.shape, seed: 24)
        expectClose(try Convolution2D.backwardInput(outputGradient: dy, weight: w, inputShape: c.input, geometry: c.geometry),
                    NaiveKernels.conv2dBackwardInput(dy, w, inputShape: c.input, c.geometry), "backward input")
        expectClose(try Convolution2D.backwardWeight(outputGradient: dy, input: x, weightShape: c.weight, geometry: c.geometry),
                    NaiveKernels.conv2dBackwardWeight(dy, x, weightShape: c.weight, c.geometry), "backward weight")
        expectClose(Convolution2D.backwardBias(outputGradient: dy), NaiveKernels.conv2dBackwardBias(dy), "backward bias")
    }

    @Test("conv2d without bias: input and weight gradients")
    func convolutionWithoutBias() throws {
        let x = Tensor.randomNormal([2, 3, 5, 4], seed: 31)
        let w = Tensor.randomNormal([2, 3, 2, 2], seed: 32)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x, w], step: 0.25) { tape, v in
            try tape.conv2d(v[0], weight: v[1], geometry: .init(stride: 2, padding: 1))
        }
        #expect(errors.allSatisfy { $0 < 1e-3 }, "\(errors)")
    }
}
