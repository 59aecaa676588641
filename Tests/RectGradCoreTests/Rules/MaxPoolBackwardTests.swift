import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("Max-pool backward: first-maximum tie routing and PRR")
struct MaxPoolBackwardTests {
    /// `x → maxPool → backward(seed)` under `rules`; returns the input gradient and the report.
    func poolGradient(_ x: Tensor, _ geometry: Pooling2DGeometry, seed: Tensor, rules: BackwardRules = .gradient) throws -> (Tensor, BackwardReport) {
        let tape = Tape()
        let input = tape.input(x)
        let pooled = try tape.maxPool2d(input, geometry: geometry, name: "pool")
        let result = try tape.backward(from: pooled, seed: seed, withRespectTo: [input], rules: rules)
        return (try #require(result[input]), result.report)
    }

    @Test("ties go to the first maximal element in row-major order (an all-zero window → its top-left)")
    func tieRouting() throws {
        // Window A = [[0, 0], [0, 0]] → (0, 0); window B = [[0, 5], [5, 1]] → the first 5, at (0, 3).
        let x = try tensor([1, 1, 2, 4], [0, 0, 0, 5,
                                          0, 0, 5, 1])
        let (gradient, _) = try poolGradient(x, .init(kernel: 2), seed: try tensor([1, 1, 1, 2], [3, 7]))
        expectEqual(gradient, try tensor([1, 1, 2, 4], [3, 0, 0, 7,
                                                       0, 0, 0, 0]))
    }

    @Test("padded positions never win: an all-zero or all-negative padded window routes to its first real element")
    func paddedTieRouting() throws {
        // Kernel 3, stride 2, padding 1 on 3×3: windows cover rows/columns {0,1}, {0,1}×{1,2}, {1,2}×{0,1}, {1,2}×{1,2};
        // the first real element of each is (0,0), (0,1), (1,0), (1,1).
        let seed = try tensor([1, 1, 2, 2], [1, 2, 3, 4])
        let expected = try tensor([1, 1, 3, 3], [1, 2, 0,
                                                 3, 4, 0,
                                                 0, 0, 0])
        for value: Float in [0, -1] {
            let x = Tensor(repeating: value, shape: [1, 1, 3, 3])
            let (gradient, _) = try poolGradient(x, .init(kernel: 3, stride: 2, padding: 1), seed: seed)
            expectEqual(gradient, expected, "all \(value)")
            let pooled = try Pooling2D.maxPool(x, geometry: .init(kernel: 3, stride: 2, padding: 1))
            #expect(pooled.output.scalars == [value, value, value, value], "padding must not take part in the max")
        }
    }

    @Test("DeconvNet routes gradient into inactive units through the tie rule")
    func deconvNetThroughTies() throws {
        // All inputs negative → ReLU outputs 0 → every 2×2 window ties → the top-left element gets R,
        // and DeconvNet passes positive R through the inactive ReLU.
        let x = Tensor(repeating: -1, shape: [1, 1, 4, 4])
        let tape = Tape()
        let input = tape.input(x)
        let pooled = try tape.maxPool2d(tape.relu(input), geometry: .init(kernel: 2))
        let seed = try tensor([1, 1, 2, 2], [1, -2, 3, 4])
        let gradient = try #require(try tape.backward(from: pooled, seed: seed, withRespectTo: [input], rules: BackwardRules(activation: DeconvNetRule()))[input])
        expectEqual(gradient, try tensor([1, 1, 4, 4], [1, 0, 0, 0,
                                                        0, 0, 0, 0,
                                                        3, 0, 4, 0,
                                                        0, 0, 0, 0]))
    }

    @Test("PRR on one 2×2 window: x_i·(R/m)/k")
    func proportionalSingleWindow() throws {
        // x = [1, 2, 3, 4], k = 4, m = 2.5, R = 1 → x_i/10.
        let x = try tensor([1, 1, 2, 2], [1, 2, 3, 4])
        let (gradient, report) = try poolGradient(x, .init(kernel: 2), seed: try tensor([1, 1, 1, 1], [1]), rules: BackwardRules(maxPool: .proportional))
        expectClose(gradient, try tensor([1, 1, 2, 2], [0.1, 0.2, 0.3, 0.4]), absolute: 1e-7)
        #expect(report.proportionalMaxPools == 1)
    }

    @Test("PRR on padded overlapping windows: the mean excludes padding and overlaps add up")
    func proportionalPaddedOverlapping() throws {
        // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], kernel 3, stride 2, padding 1, R = [[1, 2], [3, 4]].
        // Window (0,0) = {1, 2, 4, 5}: k = 4, m = 3 → x·1/12.   Window (0,1) = {2, 3, 5, 6}: m = 4 → x·2/16 = x/8.
        // Window (1,0) = {4, 5, 7, 8}: m = 6 → x·3/24 = x/8.    Window (1,1) = {5, 6, 8, 9}: m = 7 → x·4/28 = x/7.
        // x=1: 1/12          x=2: 2/12 + 2/8 = 5/12            x=3: 3/8
        // x=4: 4/12 + 4/8 = 5/6   x=5: 5/12 + 5/8 + 5/8 + 5/7 = 50/21   x=6: 6/8 + 6/7 = 45/28
        // x=7: 7/8           x=8: 8/8 + 8/7 = 15/7             x=9: 9/7
        // (They sum to 10 = ΣR. A mean over all 9 positions, padding included, would give other values.)
        let x = try tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let seed = try tensor([1, 1, 2, 2], [1, 2, 3, 4])
        let (gradient, _) = try poolGradient(x, .init(kernel: 3, stride: 2, padding: 1), seed: seed, rules: BackwardRules(maxPool: .proportional))
        let expected: [Double] = [1.0 / 12, 5.0 / 12, 3.0 / 8, 5.0 / 6, 50.0 / 21, 45.0 / 28, 7.0 / 8, 15.0 / 7, 9.0 / 7]
        expectClose(gradient, try tensor([1, 1, 3, 3], expected.map { Float($0) }), absolute: 1e-6)
        #expect(abs(gradient.sum() - 10) < 1e-5)
    }

    @Test("PRR matches a direct loop on random maps", arguments: PoolingCase.maxPool)
    func proportionalMatchesNaive(_ c: PoolingCase) throws {
        // Positive inputs (as after a ReLU), so means stay away from zero.
        let x = Tensor.randomUniform(c.input, low: 0.1, high: 2, seed: 82)
        let seed = Tensor.randomNormal(NaiveKernels.poolOutputShape(c.input, c.geometry), seed: 83)
        let (gradient, _) = try poolGradient(x, c.geometry, seed: seed, rules: BackwardRules(maxPool: .proportional))
        expectClose(gradient, NaiveKernels.proportionalRedistribution(seed, input: x, c.geometry))
    }
}
