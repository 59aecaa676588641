import Foundation

/// A dense, contiguous, row-major Float32 tensor with value semantics.
///
/// Storage is a Swift `Array`, so copies are cheap and copy-on-write. Image tensors follow the
/// NCHW convention: `[batch, channels, height, width]`.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, outermost first.
    public internal(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public internal(set) var scalars: [Float]

    /// Creates a tensor from a shape and its row-major elements.
    /// - Throws: ``TensorError/invalidShape(_:)`` for negative extents and
    ///   ``TensorError/elementCountMismatch(shape:count:)`` when the counts disagree.
    public init(shape: [Int], scalars: [Float]) throws(TensorError) {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .invalidShape(shape) }
        let count = shape.reduce(1, *)
        guard count == scalars.count else {
            throw .elementCountMismatch(shape: shape, count: scalars.count)
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor without validation; for kernels that construct consistent results.
    @usableFromInline
    init(uncheckedShape shape: [Int], scalars: [Float]) {
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        let clamped = shape.map { Swift.max($0, 0) }
        self.shape = clamped
        self.scalars = [Float](repeating: value, count: clamped.reduce(1, *))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// A scalar (rank-0) tensor.
    public init(scalar: Float) {
        self.shape = []
        self.scalars = [scalar]
    }

    /// The number of elements.
    @inlinable public var count: Int { scalars.count }
    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// Read-only access to the contiguous storage.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Mutable access to the contiguous storage (triggers a copy if the storage is shared).
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// Element access by flat row-major index.
    public subscript(flat index: Int) -> Float {
        get { scalars[index] }
        set { scalars[index] = newValue }
    }

    /// Element access by multi-index. Traps on an index out of range, like `Array`.
    public subscript(_ indices: Int...) -> Float {
        get { scalars[flatIndex(indices)] }
        set { scalars[flatIndex(indices)] = newValue }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "expected \(shape.count) indices, got \(indices.count)")
        var flat = 0
        for (index, extent) in zip(indices, shape) {
            precondition(index >= 0 && index < extent, "index \(index) out of range 0..<\(extent)")
            flat = flat * extent + index
        }
        return flat
    }

    /// The same elements under a new shape with the same element count.
    /// - Throws: ``TensorError/elementCountMismatch(shape:count:)``.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        try Tensor(shape: newShape, scalars: scalars)
    }

    /// The elements of example `index` along the first dimension, as a tensor of shape `shape.dropFirst()`.
    public func example(_ index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0], "example index \(index) out of range")
        let size = count / Swift.max(shape[0], 1)
        return Tensor(uncheckedShape: Array(shape.dropFirst()), scalars: Array(scalars[index * size ..< (index + 1) * size]))
    }

    /// Stacks tensors of identical shape along a new leading dimension.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:actual:)`` when shapes differ.
    public static func stack(_ tensors: [Tensor]) throws(TensorError) -> Tensor {
        guard let first = tensors.first else { throw .invalidShape([0]) }
        var scalars = [Float]()
        scalars.reserveCapacity(first.count * tensors.count)
        for tensor in tensors {
            guard tensor.shape == first.shape else {
                throw .shapeMismatch(operation: "stack", expected: first.shape, actual: tensor.shape)
            }
            scalars.append(contentsOf: tensor.scalars)
        }
        return Tensor(uncheckedShape: [tensors.count] + first.shape, scalars: scalars)
    }

    /// Concatenates tensors along `axis` (default 0, the batch dimension; negative values count
    /// from the end, as in NumPy); all other dimensions must agree.
    ///
    /// ```swift
    /// let batch = try Tensor.concatenate([a, b])               // [2, 3] + [1, 3] → [3, 3]
    /// let wide = try Tensor.concatenate([a, c], axis: 1)       // [2, 3] + [2, 1] → [2, 4]
    /// ```
    /// - Throws: ``TensorError/invalidShape(_:)`` for an empty list or rank-0 tensors,
    ///   ``TensorError/invalidArgument(operation:reason:)`` for an axis outside `-rank..<rank`, and
    ///   ``TensorError/shapeMismatch(operation:expected:actual:)`` when another dimension differs.
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) throws(TensorError) -> Tensor {
        guard let first = tensors.first, first.rank >= 1 else { throw .invalidShape([]) }
        let rank = first.rank
        guard (-rank..<rank).contains(axis) else {
            throw .invalidArgument(operation: "concatenate", reason: "axis \(axis) is outside -\(rank)..<\(rank) for tensors of rank \(rank)")
        }
        let d = axis < 0 ? axis + rank : axis
        var extent = 0
        for tensor in tensors {
            var expected = first.shape
            expected[d] = tensor.rank == rank ? tensor.shape[d] : first.shape[d]
            guard tensor.rank == rank, tensor.shape == expected else {
                throw .shapeMismatch(operation: "concatenate", expected: first.shape, actual: tensor.shape)
            }
            extent += tensor.shape[d]
        }
        var shape = first.shape
        shape[d] = extent
        let outer = first.shape[..<d].reduce(1, *)
        let inner = first.shape[(d + 1)...].reduce(1, *)
        var scalars = [Float]()
        scalars.reserveCapacity(shape.reduce(1, *))
        for o in 0..<outer {
            for tensor in tensors {
                let block = tensor.shape[d] * inner
                tensor.withUnsafeBufferPointer { values in
                    scalars.append(contentsOf: values[(o * block)..<((o + 1) * block)])
                }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: scalars)
    }
}

extension Tensor: CustomStringConvertible {
    /// A short summary: shape and the first few elements.
    public var description: String {
        let preview = scalars.prefix(6).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor\(shape)[\(preview)\(count > 6 ? ", …" : "")]"
    }
}
