import RectGradCore

/// Central finite differences of a scalar function of a tensor, evaluated in Double where the
/// function allows and returned as Double so that comparisons are not limited by Float32 sums.
public enum FiniteDifference {
    /// `∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h` for every element of `x`.
    public static func gradient(of f: (Tensor) throws -> Double, at x: Tensor, step h: Float = 1e-2) rethrows -> [Double] {
        var result = [Double](repeating: 0, count: x.count)
        var probe = x
        for i in 0..<x.count {
            let original = probe[flat: i]
            probe[flat: i] = original + h
            let plus = try f(probe)
            probe[flat: i] = original - h
            let minus = try f(probe)
            probe[flat: i] = original
            result[i] = (plus - minus) / (2 * Double(h))
        }
        return result
    }

    /// The largest relative deviation `|a − b| / max(scale, |b|)` between two gradients.
    public static func maximumRelativeError(_ analytic: [Float], _ numeric: [Double], scale: Double = 1e-2) -> Double {
        precondition(analytic.count == numeric.count, "gradient sizes differ")
        var worst = 0.0
        for (a, b) in zip(analytic, numeric) {
            worst = max(worst, abs(Double(a) - b) / max(scale, abs(b)))
        }
        return worst
    }

    /// `Σ seed · y` in Double: the scalar whose gradient a seeded backward pass computes.
    public static func dot(_ y: Tensor, _ seed: Tensor) -> Double {
        var total = 0.0
        for i in 0..<y.count { total += Double(y[flat: i]) * Double(seed[flat: i]) }
        return total
    }
}

/// Random tensors kept away from the kinks of ReLU and max-pool so that finite differences are valid.
public enum KinkFreeData {
    /// Uniform values in ±[margin, 1] (never closer than `margin` to zero).
    public static func awayFromZero(_ shape: [Int], margin: Float = 0.1, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let magnitude = margin + (1 - margin) * generator.nextUnitFloat()
            values[i] = generator.next() & 1 == 0 ? magnitude : -magnitude
        }
        return filled(shape, values)
    }

    /// Values in `[-1, -margin] ∪ [margin, 6 - margin] ∪ [6 + margin, 7]`: away from both kinks of ReLU6.
    public static func awayFromReLU6Kinks(_ shape: [Int], margin: Float = 0.1, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let u = generator.nextUnitFloat()
            switch generator.next() % 3 {
            case 0: values[i] = -margin - (1 - margin) * u
            case 1: values[i] = margin + (6 - 2 * margin) * u
            default: values[i] = 6 + margin + (1 - margin) * u
            }
        }
        return filled(shape, values)
    }

    /// A permutation of evenly spaced distinct values (spacing `spacing`), so that no two elements tie.
    public static func distinct(_ shape: [Int], spacing: Float = 0.05, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let count = shape.reduce(1, *)
        var values = (0..<count).map { Float($0) * spacing - Float(count) * spacing / 2 }
        values.shuffle(using: &generator)
        return filled(shape, values)
    }
}

/// `values` as a tensor of `shape`; the count is the shape's by construction.
private func filled(_ shape: [Int], _ values: [Float]) -> Tensor {
    var result = Tensor.zeros(shape)
    result.withUnsafeMutableBufferPointer { out in for i in out.indices { out[i] = values[i] } }
    return result
}
