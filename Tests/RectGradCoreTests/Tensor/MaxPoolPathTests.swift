import Testing
import RectGradCore

/// Max pooling's vector paths (2×2 stride 2, and every geometry whose windows step two columns,
/// such as ResNet's 3×3 stride-2 pooling) must make the same decisions as the definition: for
/// each window the first maximal element in row-major order, or its first NaN. Checked output bit
/// for bit and winner for winner against a plain loop written here, at the sizes real networks
/// pool (ResNet-50's 64 × 112 × 112) and at odd sizes, on inputs with many ties and with NaNs.
@Suite struct MaxPoolPathTests {
    /// Output and plane-relative winner of every window, by the definition.
    static func reference(_ x: Tensor, _ g: Pooling2DGeometry) -> (output: [Float], winners: [Int32], shape: [Int]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        // PyTorch's output size: floor (or ceil) of (input + 2·padding − kernel) / stride, plus one;
        // in ceil mode a last window must start inside the input or its leading padding.
        func count(_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int) -> Int {
            let span = input + 2 * padding - kernel
            var windows = (g.ceilMode ? (span + stride - 1) / stride : span / stride) + 1
            if g.ceilMode && (windows - 1) * stride >= input + padding { windows -= 1 }
            return windows
        }
        let size = (height: count(h, g.kernel.height, g.stride.height, g.padding.height),
                    width: count(w, g.kernel.width, g.stride.width, g.padding.width))
        var output: [Float] = [], winners: [Int32] = []
        for plane in 0..<(n * c) {
            for oy in 0..<size.height {
                for ox in 0..<size.width {
                    let y0 = oy * g.stride.height - g.padding.height, x0 = ox * g.stride.width - g.padding.width
                    var best: Float? = nil, winner = -1
                    for y in max(y0, 0)..<min(y0 + g.kernel.height, h) {
                        for xx in max(x0, 0)..<min(x0 + g.kernel.width, w) {
                            let value = x.scalars[plane * h * w + y * w + xx]
                            if let current = best {
                                if current.isNaN { continue }
                                if value.isNaN || value > current { best = value; winner = y * w + xx }
                            } else {
                                best = value; winner = y * w + xx
                            }
                        }
                    }
                    output.append(best ?? .nan)
                    winners.append(Int32(winner))
                }
            }
        }
        return (output, winners, [n, c, size.height, size.width])
    }

    /// Values on a coarse grid (many ties within a window), with a NaN every `nanEvery` elements
    /// (none for 0) and some infinities.
    static func input(_ shape: [Int], seed: UInt64, nanEvery: Int) throws -> Tensor {
        var values = Tensor.randomNormal(shape, seed: seed).scalars.map { ($0 * 2).rounded() / 2 }
        for i in stride(from: 7, to: values.count, by: 101) { values[i] = i % 2 == 0 ? .infinity : -.infinity }
        if nanEvery > 0 { for i in stride(from: 3, to: values.count, by: nanEvery) { values[i] = .nan } }
        return try Tensor(shape: shape, scalars: values)
    }

    static let geometries: [Pooling2DGeometry] = [
        Pooling2DGeometry(kernel: 3, stride: 2, padding: 1),            // ResNet
        Pooling2DGeometry(kernel: 3, stride: 2),                        // Inception, VGG-style reductions
        Pooling2DGeometry(kernel: 2, stride: 2),                        // VGG
        Pooling2DGeometry(kernel: 5, stride: 2, padding: 2),
        Pooling2DGeometry(kernel: 3, stride: 2, padding: 1, ceilMode: true),
        Pooling2DGeometry(kernel: Size2D(2, 4), stride: Size2D(1, 2), padding: Size2D(1, 1)),
    ]

    @Test(arguments: [[1, 64, 112, 112], [2, 3, 37, 41], [1, 2, 9, 17], [1, 1, 5, 40]])
    func vectorPathsMakeTheDefinitionsDecisions(shape: [Int]) throws {
        for nanEvery in [0, 29] {
            let x = try Self.input(shape, seed: UInt64(shape.reduce(0, +) + nanEvery), nanEvery: nanEvery)
            for geometry in Self.geometries {
                let expected = Self.reference(x, geometry)
                for workers in [Workers.serial, Workers(count: 2)] {
                    let result = try Pooling2D.maxPool(x, geometry: geometry, workers: workers)
                    #expect(result.output.shape == expected.shape, "\(geometry) \(shape)")
                    let outputMismatches = zip(result.output.scalars, expected.output).enumerated().filter { _, pair in
                        pair.0.isNaN ? !pair.1.isNaN : pair.0.bitPattern != pair.1.bitPattern
                    }
                    #expect(outputMismatches.isEmpty, "\(geometry) \(shape) NaN every \(nanEvery): \(outputMismatches.prefix(3))")
                    let winnerMismatches = zip(result.argmax, expected.winners).enumerated().filter { $0.element.0 != $0.element.1 }
                    #expect(winnerMismatches.isEmpty, "\(geometry) \(shape) NaN every \(nanEvery): \(winnerMismatches.prefix(3))")
                }
            }
        }
    }
}
