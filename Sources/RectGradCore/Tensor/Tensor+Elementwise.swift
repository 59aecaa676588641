extension Tensor {
    /// Applies `transform` to every element.
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: scalars.map(transform))
    }

    /// Combines two tensors of the same shape element by element.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:actual:)``.
    @inlinable
    public func zipMap(_ other: Tensor, _ combine: (Float, Float) -> Float) throws(TensorError) -> Tensor {
        guard shape == other.shape else {
            throw .shapeMismatch(operation: "elementwise", expected: shape, actual: other.shape)
        }
        var result = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count { result[i] = combine(a[i], b[i]) }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: result)
    }

    /// Element-wise sum. - Throws: on shape mismatch.
    public func adding(_ other: Tensor) throws(TensorError) -> Tensor { try zipMap(other, +) }
    /// Element-wise difference. - Throws: on shape mismatch.
    public func subtracting(_ other: Tensor) throws(TensorError) -> Tensor { try zipMap(other, -) }
    /// Element-wise product. - Throws: on shape mismatch.
    public func multiplying(_ other: Tensor) throws(TensorError) -> Tensor { try zipMap(other, *) }
    /// Every element multiplied by `factor`.
    public func scaled(by factor: Float) -> Tensor { map { $0 * factor } }

    /// Adds `other` into `self` in place. - Throws: on shape mismatch.
    public mutating func add(_ other: Tensor) throws(TensorError) {
        guard shape == other.shape else {
            throw .shapeMismatch(operation: "add", expected: shape, actual: other.shape)
        }
        scalars.withUnsafeMutableBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += b[i] }
            }
        }
    }

    /// The sum of all elements, accumulated in Double.
    public func sum() -> Double {
        var total = 0.0
        for value in scalars { total += Double(value) }
        return total
    }

    /// The largest element (`-infinity` for an empty tensor).
    public func max() -> Float { scalars.max() ?? -.infinity }
    /// The smallest element (`+infinity` for an empty tensor).
    public func min() -> Float { scalars.min() ?? .infinity }

    /// The Euclidean norm of all elements, accumulated in Double.
    public func l2Norm() -> Double {
        var total = 0.0
        for value in scalars { total += Double(value) * Double(value) }
        return total.squareRoot()
    }

    /// `true` when every element is finite.
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }

    /// The index of the largest element in each row of a `[N, K]` tensor (first one on ties); empty
    /// unless the tensor has rank 2 and at least one column.
    public func argmaxPerRow() -> [Int] {
        guard rank == 2, shape[1] > 0 else { return [] }
        let columns = shape[1]
        return (0..<shape[0]).map { row in
            var best = 0
            for column in 1..<Swift.max(columns, 1) where scalars[row * columns + column] > scalars[row * columns + best] {
                best = column
            }
            return best
        }
    }

    /// Relative L2 distance `‖self − reference‖ / ‖reference‖` (absolute distance if the reference is zero).
    public func relativeL2Distance(to reference: Tensor) throws(TensorError) -> Double {
        guard shape == reference.shape else {
            throw .shapeMismatch(operation: "relativeL2Distance", expected: reference.shape, actual: shape)
        }
        var difference = 0.0
        var norm = 0.0
        for i in 0..<count {
            let d = Double(scalars[i]) - Double(reference.scalars[i])
            difference += d * d
            norm += Double(reference.scalars[i]) * Double(reference.scalars[i])
        }
        return norm > 0 ? (difference / norm).squareRoot() : difference.squareRoot()
    }
}
