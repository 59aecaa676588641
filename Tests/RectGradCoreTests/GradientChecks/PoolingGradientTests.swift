import Testing
import RectGradCore
import _RectGradTestSupport

/// One pooling configuration.
struct PoolingCase: Sendable, CustomTestStringConvertible {
    var label: String
    var input: [Int]
    var geometry: Pooling2DGeometry

    var testDescription: String { "\(label): x\(input) \(geometry)" }

    static let maxPool: [PoolingCase] = [
        .init(label: "kernel 2, stride 2", input: [2, 3, 6, 6], geometry: .init(kernel: 2)),
        .init(label: "kernel 3, stride 2, padding 1 (overlapping)", input: [2, 2, 7, 7], geometry: .init(kernel: 3, stride: 2, padding: 1)),
        .init(label: "kernel 3, stride 2, padding 1, non-square input", input: [2, 2, 6, 5], geometry: .init(kernel: 3, stride: 2, padding: 1)),
        .init(label: "kernel 2×3, stride 1×2", input: [2, 2, 5, 7], geometry: .init(kernel: Size2D(2, 3), stride: Size2D(1, 2))),
        .init(label: "kernel 3, stride 1 (heavily overlapping)", input: [1, 2, 5, 5], geometry: .init(kernel: 3, stride: 1)),
    ]

    static let averagePool: [PoolingCase] = [
        .init(label: "kernel 2, stride 2", input: [2, 2, 6, 6], geometry: .init(kernel: 2)),
        .init(label: "kernel 3, stride 2, padding 1", input: [2, 2, 6, 5], geometry: .init(kernel: 3, stride: 2, padding: 1)),
        .init(label: "kernel 3, stride 1, padding 1", input: [2, 1, 4, 5], geometry: .init(kernel: 3, stride: 1, padding: 1)),
        .init(label: "kernel 3×2, stride 2×1, padding 1×1", input: [2, 2, 7, 5], geometry: .init(kernel: Size2D(3, 2), stride: Size2D(2, 1), padding: Size2D(1, 1))),
        .init(label: "kernel 4, stride 3, padding 2 (window past the padded end)", input: [1, 2, 7, 8], geometry: .init(kernel: 4, stride: 3, padding: 2)),
    ]
}

/// An adaptive-average-pooling configuration.
struct AdaptiveCase: Sendable, CustomTestStringConvertible {
    var input: [Int]
    var output: Size2D
    var testDescription: String { "x\(input) → \(output)" }

    static let all: [AdaptiveCase] = [
        .init(input: [2, 3, 5, 7], output: Size2D(3, 2)),
        .init(input: [2, 3, 5, 7], output: 1),
        .init(input: [2, 2, 4, 4], output: 2),
        .init(input: [1, 2, 3, 5], output: Size2D(4, 7)),
        .init(input: [2, 1, 6, 6], output: Size2D(6, 4)),
    ]
}

@Suite("Pooling gradients (finite differences)")
struct PoolingGradientTests {
    @Test("max-pool backward matches finite differences (distinct inputs, no ties)", arguments: PoolingCase.maxPool)
    func maxPoolGradient(_ c: PoolingCase) throws {
        // Distinct values 0.05 apart; a 0.01 step never changes a window's winner.
        let x = KinkFreeData.distinct(c.input, spacing: 0.05, seed: 41)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.01) { tape, v in
            try tape.maxPool2d(v[0], geometry: c.geometry)
        }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
    }

    @Test("max-pool forward and winners match direct loops", arguments: PoolingCase.maxPool)
    func maxPoolMatchesNaive(_ c: PoolingCase) throws {
        let x = Tensor.randomNormal(c.input, seed: 42)
        let result = try Pooling2D.maxPool(x, geometry: c.geometry)
        let (expected, winners) = NaiveKernels.maxPool(x, c.geometry)
        expectEqual(result.output, expected)
        let dy = Tensor.randomNormal(expected.shape, seed: 43)
        expectClose(try Pooling2D.maxPoolBackward(outputGradient: dy, argmax: result.argmax, inputShape: c.input),
                    NaiveKernels.maxPoolBackward(dy, winners: winners, inputShape: c.input))
    }

    @Test("average-pool backward matches finite differences", arguments: PoolingCase.averagePool, [true, false])
    func averagePoolGradient(_ c: PoolingCase, countIncludesPadding: Bool) throws {
        let x = Tensor.randomNormal(c.input, seed: 44)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.25) { tape, v in
            try tape.averagePool2d(v[0], geometry: c.geometry, countIncludesPadding: countIncludesPadding)
        }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
        let y = try Pooling2D.averagePool(x, geometry: c.geometry, countIncludesPadding: countIncludesPadding)
        expectClose(y, NaiveKernels.averagePool(x, c.geometry, countIncludesPadding: countIncludesPadding), "forward")
    }

    @Test("adaptive average pool backward matches finite differences", arguments: AdaptiveCase.all)
    func adaptiveAveragePoolGradient(_ c: AdaptiveCase) throws {
        let x = Tensor.randomNormal(c.input, seed: 45)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.25) { tape, v in
            try tape.adaptiveAveragePool2d(v[0], outputSize: c.output)
        }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
        let y = try Pooling2D.adaptiveAveragePool(x, outputSize: c.output)
        expectClose(y, NaiveKernels.adaptiveAveragePool(x, outHeight: c.output.height, outWidth: c.output.width), "forward")
    }

    @Test("global average pool equals the per-channel mean and its gradient")
    func globalAveragePool() throws {
        let x = Tensor.randomNormal([2, 3, 4, 5], seed: 46)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.25) { tape, v in
            try tape.globalAveragePool2d(v[0])
        }
        #expect(errors[0] < 1e-3)
        let tape = Tape()
        let y = try tape.value(tape.globalAveragePool2d(tape.input(x)))
        #expect(y.shape == [2, 3, 1, 1])
        for plane in 0..<6 {
            let mean = x.scalars[(plane * 20)..<((plane + 1) * 20)].reduce(0.0) { $0 + Double($1) } / 20
            #expect(abs(Double(y.scalars[plane]) - mean) < 1e-6)
        }
    }
}

@Suite("Average pooling: hand cases")
struct AveragePoolHandTests {
    @Test("kernel 3, stride 2, padding 1 on 1…9, with and without padding in the count")
    func paddedAverage() throws {
        // Windows {1,2,4,5}, {2,3,5,6}, {4,5,7,8}, {5,6,8,9}: sums 12, 16, 24, 28.
        // Padding counted: every window spans 3×3 = 9 positions; not counted: 4 real inputs each.
        let x = try tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let geometry = Pooling2DGeometry(kernel: 3, stride: 2, padding: 1)
        expectClose(try Pooling2D.averagePool(x, geometry: geometry, countIncludesPadding: true), try tensor([1, 1, 2, 2], [12.0 / 9, 16.0 / 9, 24.0 / 9, 28.0 / 9]), absolute: 1e-6)
        expectClose(try Pooling2D.averagePool(x, geometry: geometry, countIncludesPadding: false), try tensor([1, 1, 2, 2], [3, 4, 6, 7]), absolute: 1e-6)
        // Backward without padding in the count: each window hands R/4 to its four inputs.
        let gradient = try Pooling2D.averagePoolBackward(outputGradient: try tensor([1, 1, 2, 2], [4, 8, 12, 16]), inputShape: x.shape, geometry: geometry, countIncludesPadding: false)
        // Centre: all four windows → 1 + 2 + 3 + 4 = 10; edge (0,1): windows (0,0),(0,1) → 1 + 2 = 3; etc.
        expectClose(gradient, try tensor([1, 1, 3, 3], [1, 3, 2, 4, 10, 6, 3, 7, 4]), absolute: 1e-6)
    }

    @Test("a window running past the padded end is divided by its clipped size (PyTorch's rule)")
    func windowPastTheEnd() throws {
        // 7×8 map of 8r + c; kernel 4, stride 3, padding 2 → 3×3 outputs.
        // (0,0): rows/cols −2…1 → real {0,1}×{0,1}: 0 + 1 + 8 + 9 = 18, over 4×4 = 16 → 1.125.
        // (2,2): rows 4…7 clipped to the padded end 8 (= 7 + 2 − 1) → 4 rows, real rows 4…6; cols 4…7:
        //        Σ = 3·(4 + 5 + 6 + 7) + 4·8·(4 + 5 + 6) = 66 + 480 = 546, over 16 → 34.125.
        let x = try tensor([1, 1, 7, 8], (0..<56).map { Float($0) })
        let y = try Pooling2D.averagePool(x, geometry: .init(kernel: 4, stride: 3, padding: 2), countIncludesPadding: true)
        #expect(y.shape == [1, 1, 3, 3])
        #expect(abs(y[0, 0, 0, 0] - 1.125) < 1e-6)
        #expect(abs(y[0, 0, 2, 2] - 34.125) < 1e-5)
    }

    @Test("adaptive pooling 5×7 → 3×2 uses overlapping PyTorch bins")
    func adaptiveBins() throws {
        // Rows [0,2), [1,4), [3,5); columns [0,4), [3,7). With x = 1 + 7r + c the bin mean is
        // 1 + 7·mean(r) + mean(c): (0.5, 1.5) → 6, (0.5, 4.5) → 9, (2, 1.5) → 16.5, (2, 4.5) → 19.5,
        // (3.5, 1.5) → 27, (3.5, 4.5) → 30.
        let x = try tensor([1, 1, 5, 7], (1...35).map { Float($0) })
        let y = try Pooling2D.adaptiveAveragePool(x, outputSize: Size2D(3, 2))
        expectClose(y, try tensor([1, 1, 3, 2], [6, 9, 16.5, 19.5, 27, 30]), absolute: 1e-5)
    }
}
