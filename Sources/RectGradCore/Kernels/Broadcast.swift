/// Element-wise arithmetic between tensors of broadcastable shapes (NumPy's and ONNX's rule:
/// shapes are aligned at their last dimension; each pair of extents is equal, or one is 1), and the
/// reduction that takes a gradient back to an operand's shape.
///
/// ```swift
/// let gated = try Broadcast.apply(.multiply, features, gate)   // [1, 64, 56, 56] × [1, 64, 1, 1]
/// ```
///
/// Adjacent dimensions that broadcast alike are merged first, so that the inner loop runs over
/// contiguous memory: `[N, C, H, W] × [N, C, 1, 1]` becomes `N·C` rows of `H·W` elements, each
/// scaled by one number.
public enum Broadcast {
    /// An element-wise arithmetic operation.
    public enum Operation: String, Hashable, Sendable, CaseIterable {
        /// `a + b`.
        case add
        /// `a − b`.
        case subtract
        /// `a · b`.
        case multiply
        /// `a / b`.
        case divide
    }

    /// The shape both operands broadcast to.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` naming `operation` and both
    ///   shapes when an aligned pair of extents differs and neither is 1.
    public static func resultShape(_ a: [Int], _ b: [Int], operation: String) throws(TensorError) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        let a1 = [Int](repeating: 1, count: rank - a.count) + a
        let b1 = [Int](repeating: 1, count: rank - b.count) + b
        var result: [Int] = []
        result.reserveCapacity(rank)
        for d in 0..<rank {
            let (x, y) = (a1[d], b1[d])
            guard x >= 0, y >= 0 else { throw .invalidShape(x < 0 ? a : b) }
            if x == y || y == 1 { result.append(x) } else if x == 1 { result.append(y) } else {
                throw .invalidArgument(operation: operation, reason: "shapes \(a) and \(b) do not broadcast (dimension \(d - rank) is \(x) against \(y))")
            }
        }
        return result
    }

    /// `a ∘ b` with broadcasting; the result has ``resultShape(_:_:operation:)``.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` when the shapes do not broadcast.
    public static func apply(_ operation: Operation, _ a: Tensor, _ b: Tensor, workers: Workers = .default) throws(TensorError) -> Tensor {
        switch operation {
        case .add: return try apply(a, b, Elementwise.Sum(), operation: operation, workers: workers)
        case .subtract: return try apply(a, b, Elementwise.Difference(), operation: operation, workers: workers)
        case .multiply: return try apply(a, b, Elementwise.Product(), operation: operation, workers: workers)
        case .divide: return try apply(a, b, Quotient(), operation: operation, workers: workers)
        }
    }

    /// Sums `gradient` (of the broadcast shape) over the dimensions in which `shape` was broadcast,
    /// returning a tensor of `shape`: the gradient of an operand of that shape.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` unless `shape` broadcasts to
    ///   the gradient's shape.
    public static func sum(_ gradient: Tensor, toShape shape: [Int]) throws(TensorError) -> Tensor {
        if gradient.shape == shape { return gradient }
        let full = gradient.shape
        guard try resultShape(full, shape, operation: "broadcast reduction") == full else {
            throw .invalidArgument(operation: "broadcast reduction", reason: "shape \(shape) does not broadcast to \(full)")
        }
        let plan = Plan(output: full, a: shape, b: full)
        var result = [Float](repeating: 0, count: shape.reduce(1, *))
        gradient.withUnsafeBufferPointer { g in
            result.withUnsafeMutableBufferPointer { y in
                guard let g = g.baseAddress, let y = y.baseAddress else { return }
                plan.forEachRow(rows: 0..<plan.rowCount) { row, targetOffset, sourceOffset in
                    let source = g + sourceOffset
                    if plan.innerA {
                        let target = y + targetOffset
                        for i in 0..<plan.inner { target[i] += source[i] }
                    } else {
                        var total: Float = 0
                        for i in 0..<plan.inner { total += source[i] }
                        y[targetOffset] += total
                    }
                }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: result)
    }

    private static func apply<F: LaneFunction2>(_ a: Tensor, _ b: Tensor, _ f: F, operation: Operation, workers: Workers) throws(TensorError) -> Tensor {
        if a.shape == b.shape { return try Elementwise.binary(a, b, operation: operation.rawValue, f, workers: workers) }
        let shape = try resultShape(a.shape, b.shape, operation: operation.rawValue)
        let plan = Plan(output: shape, a: a.shape, b: b.shape)
        let count = shape.reduce(1, *)
        let storage = a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { z in
                Tensor.uninitializedStorage(count: count) { buffer in
                    if let x = x.baseAddress, let z = z.baseAddress, let y = buffer.baseAddress {
                        let inner = plan.inner
                        workers.forRanges(count: plan.rowCount, minimumPerRange: Swift.max(1, (1 << 15) / Swift.max(inner, 1))) { rows in
                            plan.forEachRow(rows: rows) { row, aOffset, bOffset in
                                let target = y + row * inner
                                switch (plan.innerA, plan.innerB) {
                                case (true, true):
                                    Elementwise.apply(0..<inner, x + aOffset, z + bOffset, into: target) { f($0, $1) }
                                case (true, false):
                                    let scalar = Elementwise.Vector(repeating: z[bOffset])
                                    Elementwise.apply(0..<inner, x + aOffset, into: target) { f($0, scalar) }
                                case (false, true):
                                    let scalar = Elementwise.Vector(repeating: x[aOffset])
                                    Elementwise.apply(0..<inner, z + bOffset, into: target) { f(scalar, $0) }
                                case (false, false):
                                    let value = f(Elementwise.Vector(repeating: x[aOffset]), Elementwise.Vector(repeating: z[bOffset]))[0]
                                    for i in 0..<inner { target[i] = value }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: storage)
    }

    /// `a / b`.
    struct Quotient: LaneFunction2 {
        @inline(__always) func callAsFunction(_ a: Elementwise.Vector, _ b: Elementwise.Vector) -> Elementwise.Vector { a / b }
    }

    /// The loop structure of a broadcast: the output's dimensions merged where both operands
    /// broadcast alike, the last merged dimension as a contiguous inner loop.
    struct Plan {
        /// Extents of the merged outer dimensions.
        var outer: [Int] = []
        /// Element strides of the operands in each outer dimension (0 where broadcast).
        var outerStrideA: [Int] = [], outerStrideB: [Int] = []
        /// Length of the inner loop; whether each operand runs along it (else it repeats one element).
        var inner = 1, innerA = true, innerB = true

        var rowCount: Int { outer.reduce(1, *) }

        /// `a` and `b` must broadcast to `output`.
        init(output: [Int], a: [Int], b: [Int]) {
            let rank = output.count
            let a1 = [Int](repeating: 1, count: rank - a.count) + a
            let b1 = [Int](repeating: 1, count: rank - b.count) + b
            // (extent, a runs along it, b runs along it), dimensions of extent 1 dropped.
            var merged: [(extent: Int, a: Bool, b: Bool)] = []
            for d in 0..<rank where output[d] != 1 {
                let dimension = (extent: output[d], a: a1[d] == output[d], b: b1[d] == output[d])
                if let last = merged.last, last.a == dimension.a, last.b == dimension.b {
                    merged[merged.count - 1].extent *= dimension.extent
                } else {
                    merged.append(dimension)
                }
            }
            guard let last = merged.popLast() else { return }
            (inner, innerA, innerB) = (last.extent, last.a, last.b)
            var strideA = innerA ? inner : 1, strideB = innerB ? inner : 1
            var stridesA: [Int] = [], stridesB: [Int] = []
            for dimension in merged.reversed() {
                stridesA.append(dimension.a ? strideA : 0)
                stridesB.append(dimension.b ? strideB : 0)
                if dimension.a { strideA *= dimension.extent }
                if dimension.b { strideB *= dimension.extent }
            }
            outer = merged.map(\.extent)
            outerStrideA = stridesA.reversed()
            outerStrideB = stridesB.reversed()
        }

        /// Calls `body(row, offsetA, offsetB)` for each row in `rows` (row-major over ``outer``).
        @inline(__always)
        func forEachRow(rows: Range<Int>, _ body: (Int, Int, Int) -> Void) {
            guard !rows.isEmpty else { return }
            var index = [Int](repeating: 0, count: outer.count)
            var remainder = rows.lowerBound
            var offsetA = 0, offsetB = 0
            for d in stride(from: outer.count - 1, through: 0, by: -1) {
                index[d] = remainder % outer[d]
                remainder /= outer[d]
                offsetA += index[d] * outerStrideA[d]
                offsetB += index[d] * outerStrideB[d]
            }
            for row in rows {
                body(row, offsetA, offsetB)
                var d = outer.count - 1
                while d >= 0 {
                    index[d] += 1
                    offsetA += outerStrideA[d]
                    offsetB += outerStrideB[d]
                    if index[d] < outer[d] { break }
                    offsetA -= outerStrideA[d] * outer[d]
                    offsetB -= outerStrideB[d] * outer[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
    }
}
