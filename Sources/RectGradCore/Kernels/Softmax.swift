import Foundation

/// Softmax along one axis, `y = exp(x − max) / Σ exp(x − max)`, and its backward.
public enum Softmax {
    /// Softmax of `x` along `axis` (negative counts from the end; ONNX opset ≥ 13 semantics).
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for an axis outside the rank.
    public static func forward(_ x: Tensor, axis: Int = -1) throws(TensorError) -> Tensor {
        let (outer, extent, inner) = try layout(x.shape, axis: axis)
        var result = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { s in
            result.withUnsafeMutableBufferPointer { y in
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o * extent * inner + i
                        var maximum = -Float.infinity
                        for k in 0..<extent { maximum = Swift.max(maximum, s[base + k * inner]) }
                        var total: Float = 0
                        for k in 0..<extent {
                            let e = Foundation.exp(s[base + k * inner] - maximum)
                            y[base + k * inner] = e
                            total += e
                        }
                        for k in 0..<extent { y[base + k * inner] /= total }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: x.shape, scalars: result)
    }

    /// The gradient at the input: `y · (g − Σ_axis g·y)`, from the softmax output `y`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:actual:)`` when `g` and `y` differ.
    public static func backward(outputGradient g: Tensor, output y: Tensor, axis: Int = -1) throws(TensorError) -> Tensor {
        guard g.shape == y.shape else { throw .shapeMismatch(operation: "softmax backward", expected: y.shape, actual: g.shape) }
        let (outer, extent, inner) = try layout(y.shape, axis: axis)
        var result = [Float](repeating: 0, count: y.count)
        g.withUnsafeBufferPointer { g in
            y.withUnsafeBufferPointer { y in
                result.withUnsafeMutableBufferPointer { dx in
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let base = o * extent * inner + i
                            var dot: Float = 0
                            for k in 0..<extent { dot += g[base + k * inner] * y[base + k * inner] }
                            for k in 0..<extent { dx[base + k * inner] = y[base + k * inner] * (g[base + k * inner] - dot) }
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: y.shape, scalars: result)
    }

    private static func layout(_ shape: [Int], axis: Int) throws(TensorError) -> (outer: Int, extent: Int, inner: Int) {
        let d = try ShapeKernels.normalisedAxis(axis, rank: shape.count, operation: "softmax")
        return (shape[..<d].reduce(1, *), shape[d], shape[(d + 1)...].reduce(1, *))
    }
}
