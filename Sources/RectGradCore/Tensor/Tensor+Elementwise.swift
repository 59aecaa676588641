import CElementwise
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
        let count = self.count
        let result = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    for i in 0..<count { buffer[i] = combine(a[i], b[i]) }
                }
            }
            initialized = count
        }
        return Tensor(uncheckedShape: shape, scalars: result)
    }

    /// Element-wise sum, split across `workers` for large tensors. - Throws: on shape mismatch.
    public func adding(_ other: Tensor, workers: Workers = .default) throws(TensorError) -> Tensor {
        try Elementwise.binary(self, other, operation: "elementwise", Elementwise.Sum(), workers: workers)
    }
    /// Element-wise difference, split across `workers` for large tensors. - Throws: on shape mismatch.
    public func subtracting(_ other: Tensor, workers: Workers = .default) throws(TensorError) -> Tensor {
        try Elementwise.binary(self, other, operation: "elementwise", Elementwise.Difference(), workers: workers)
    }
    /// Element-wise product, split across `workers` for large tensors. - Throws: on shape mismatch.
    public func multiplying(_ other: Tensor, workers: Workers = .default) throws(TensorError) -> Tensor {
        try Elementwise.binary(self, other, operation: "elementwise", Elementwise.Product(), workers: workers)
    }
    /// Every element multiplied by `factor`, split across `workers` for large tensors.
    public func scaled(by factor: Float, workers: Workers = .default) -> Tensor {
        Elementwise.unary(self, Elementwise.Scale(factor: Elementwise.Vector(repeating: factor)), workers: workers)
    }

    /// Adds `other` into `self` in place, split across `workers` for large tensors.
    /// - Throws: on shape mismatch.
    public mutating func add(_ other: Tensor, workers: Workers = .default) throws(TensorError) {
        guard shape == other.shape else {
            throw .shapeMismatch(operation: "add", expected: shape, actual: other.shape)
        }
        let count = self.count
        scalars.withUnsafeMutableBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                guard let a = a.baseAddress, let b = b.baseAddress else { return }
                workers.forRanges(count: count) { range in
                    Elementwise.apply(range, b, a, into: a) { $0 + $1 }
                }
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
    public var isFinite: Bool { isFinite(workers: .serial) }

    /// `true` when every element is finite; a large tensor (from 2¹⁸ elements) is checked in
    /// parts shared among `workers` (the weights of a network as they are loaded).
    public func isFinite(workers: Workers) -> Bool {
        scalars.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return true }
            let parts = Swift.min(4 * workers.count, buffer.count >> 18)
            guard workers.count > 1, parts > 1 else { return rg_all_finite(base, buffer.count) != 0 }
            var finite = [Bool](repeating: true, count: parts)
            finite.withUnsafeMutableBufferPointer { finite in
                workers.forEach(items: parts) { _, part in
                    let range = Parallel.range(part, of: parts, count: buffer.count)
                    finite[part] = rg_all_finite(base + range.lowerBound, range.count) != 0
                }
            }
            return !finite.contains(false)
        }
    }

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

/// Vectorised element-wise loops over raw storage, split across the kernels' workers for large
/// tensors. Each loop is written once, on SIMD vectors; a ragged tail goes through the same
/// vector function on a partly filled vector, so every element sees exactly the same operations.
enum Elementwise {
    /// The vector type of the loops (16 lanes: one AVX-512 register, two AVX2 registers).
    typealias Vector = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> Vector {
        UnsafeRawPointer(p + i).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Vector.self)
    }

    /// The elements `i..<i + lanes` of `p` (`lanes < 16`) in a vector whose other lanes are zero.
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<Float>, _ i: Int, lanes: Int) -> Vector {
        var v = Vector()
        for lane in 0..<lanes { v[lane] = p[i + lane] }
        return v
    }

    @inline(__always)
    static func storePartial(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ i: Int, lanes: Int) {
        for lane in 0..<lanes { p[i + lane] = v[lane] }
    }

    /// `y[i] = f(x[i])` for `i` in `range`.
    @inline(__always)
    static func apply(_ range: Range<Int>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ f: (Vector) -> Vector) {
        var i = range.lowerBound
        let end = range.upperBound
        while i + 16 <= end {
            store(f(load(x, i)), y, i)
            i += 16
        }
        if i < end { storePartial(f(loadPartial(x, i, lanes: end - i)), y, i, lanes: end - i) }
    }

    /// `y[i] = f(a[i], b[i])` for `i` in `range`.
    @inline(__always)
    static func apply(_ range: Range<Int>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ f: (Vector, Vector) -> Vector) {
        var i = range.lowerBound
        let end = range.upperBound
        while i + 16 <= end {
            store(f(load(a, i), load(b, i)), y, i)
            i += 16
        }
        if i < end {
            let lanes = end - i
            storePartial(f(loadPartial(a, i, lanes: lanes), loadPartial(b, i, lanes: lanes)), y, i, lanes: lanes)
        }
    }

    /// `y[i] = f(a[i], b[i], c[i])` for `i` in `range`.
    @inline(__always)
    static func apply(_ range: Range<Int>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ f: (Vector, Vector, Vector) -> Vector) {
        var i = range.lowerBound
        let end = range.upperBound
        while i + 16 <= end {
            store(f(load(a, i), load(b, i), load(c, i)), y, i)
            i += 16
        }
        if i < end {
            let lanes = end - i
            storePartial(f(loadPartial(a, i, lanes: lanes), loadPartial(b, i, lanes: lanes), loadPartial(c, i, lanes: lanes)), y, i, lanes: lanes)
        }
    }

    /// New storage of `count` elements; `fill(y, range)` must write every element of its range.
    @inline(__always)
    static func makeStorage(count: Int, workers: Workers, _ fill: (UnsafeMutablePointer<Float>, Range<Int>) -> Void) -> [Float] {
        Tensor.uninitializedStorage(count: count) { buffer in
            if let y = buffer.baseAddress {
                workers.forRanges(count: count) { range in fill(y, range) }
            }
        }
    }

    /// `f` applied to every element of `x`, in parallel for large tensors.
    ///
    /// The function is a value of a concrete type, not a closure: the loop is specialised for it,
    /// whereas a closure handed through the workers would be called once per vector.
    static func unary<F: LaneFunction1>(_ x: Tensor, _ f: F, workers: Workers) -> Tensor {
        let storage = x.scalars.withUnsafeBufferPointer { source in
            makeStorage(count: source.count, workers: workers) { y, range in
                guard let x = source.baseAddress else { return }
                if let loop = F.plainLoop {
                    loop(x + range.lowerBound, y + range.lowerBound, range.count)
                } else {
                    apply(range, x, into: y) { f($0) }
                }
            }
        }
        return Tensor(uncheckedShape: x.shape, scalars: storage)
    }

    /// `f` applied to the elements of two tensors of the same shape.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:actual:)`` naming `operation`.
    static func binary<F: LaneFunction2>(_ a: Tensor, _ b: Tensor, operation: String, _ f: F, workers: Workers) throws(TensorError) -> Tensor {
        guard a.shape == b.shape else { throw .shapeMismatch(operation: operation, expected: a.shape, actual: b.shape) }
        let storage = a.scalars.withUnsafeBufferPointer { first in
            b.scalars.withUnsafeBufferPointer { second in
                makeStorage(count: first.count, workers: workers) { y, range in
                    guard let a = first.baseAddress, let b = second.baseAddress else { return }
                    apply(range, a, b, into: y) { f($0, $1) }
                }
            }
        }
        return Tensor(uncheckedShape: a.shape, scalars: storage)
    }

    /// `a + b`.
    struct Sum: LaneFunction2 {
        @inline(__always) func callAsFunction(_ a: Vector, _ b: Vector) -> Vector { a + b }
    }

    /// `a − b`.
    struct Difference: LaneFunction2 {
        @inline(__always) func callAsFunction(_ a: Vector, _ b: Vector) -> Vector { a - b }
    }

    /// `a · b`.
    struct Product: LaneFunction2 {
        @inline(__always) func callAsFunction(_ a: Vector, _ b: Vector) -> Vector { a * b }
    }

    /// `x · factor`.
    struct Scale: LaneFunction1 {
        let factor: Vector
        @inline(__always) func callAsFunction(_ x: Vector) -> Vector { x * factor }
    }
}

/// A function applied to the lanes of one vector (see ``Elementwise/unary(_:_:)``).
protocol LaneFunction1 {
    func callAsFunction(_ x: Elementwise.Vector) -> Elementwise.Vector
    /// The same function as a plain C loop over `count` elements (`x`, `y`), when there is one:
    /// used instead of the lane code, so that unoptimised builds stay fast (CElementwise).
    static var plainLoop: (@convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)? { get }
}

extension LaneFunction1 {
    static var plainLoop: (@convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)? { nil }
}

/// A function applied to the lanes of two vectors.
protocol LaneFunction2 {
    func callAsFunction(_ a: Elementwise.Vector, _ b: Elementwise.Vector) -> Elementwise.Vector
}

/// A function applied to the lanes of three vectors (an activation rule's `z`, `a`, `R`).
protocol LaneFunction3 {
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector
    /// The same function of `z` and `R` (not of `a`) as a plain C loop over `count` elements
    /// (`z`, `r`, `y`), when there is one (see ``LaneFunction1/plainLoop``).
    static var plainLoopOfZR: (@convention(c) (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)? { get }
    /// Whether the function reads `z` only through `z > 0` (and `z < 6`), or not at all: at a
    /// ReLU or ReLU6, `a` then gives the same result as `z` (`a > 0` exactly where `z > 0`, and
    /// `0 < a < 6` exactly where `0 < z < 6`, NaN included), so the rule need not compute a `z`
    /// the tape did not keep.
    static var readsZOnlyThroughReLUMask: Bool { get }
}

extension LaneFunction3 {
    static var plainLoopOfZR: (@convention(c) (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)? { nil }
    static var readsZOnlyThroughReLUMask: Bool { false }
}

extension Elementwise {
    /// `abs` of every lane: the sign bit cleared.
    @inline(__always)
    static func magnitude(_ v: Vector) -> Vector {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & SIMD16<UInt32>(repeating: 0x7FFF_FFFF), to: Vector.self)
    }
}
