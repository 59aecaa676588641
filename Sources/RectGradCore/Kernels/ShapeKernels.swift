/// Kernels that move elements without arithmetic: slicing along an axis (the backward of a
/// concatenation), constant padding and cropping, and axis permutation.
public enum ShapeKernels {
    /// The normalised axis (`-rank..<rank`, negative counting from the end).
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` naming `operation`.
    public static func normalisedAxis(_ axis: Int, rank: Int, operation: String) throws(TensorError) -> Int {
        guard rank >= 1, (-rank..<rank).contains(axis) else {
            throw .invalidArgument(operation: operation, reason: "axis \(axis) is outside -\(rank)..<\(rank) for a tensor of rank \(rank)")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// Cuts `x` along `axis` into consecutive pieces of the given extents (which must add up to
    /// the axis' extent): the inverse of ``Tensor/concatenate(_:axis:)``.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for an invalid axis or extents.
    public static func split(_ x: Tensor, extents: [Int], axis: Int) throws(TensorError) -> [Tensor] {
        let d = try normalisedAxis(axis, rank: x.rank, operation: "split")
        guard extents.allSatisfy({ $0 >= 0 }), extents.reduce(0, +) == x.shape[d] else {
            throw .invalidArgument(operation: "split", reason: "extents \(extents) do not add up to dimension \(d) of \(x.shape)")
        }
        let outer = x.shape[..<d].reduce(1, *), inner = x.shape[(d + 1)...].reduce(1, *)
        let rowLength = x.shape[d] * inner
        var pieces: [Tensor] = []
        var start = 0
        x.withUnsafeBufferPointer { source in
            for extent in extents {
                let block = extent * inner
                var shape = x.shape
                shape[d] = extent
                let scalars = [Float](unsafeUninitializedCapacity: outer * block) { target, initialized in
                    if let s = source.baseAddress, let t = target.baseAddress {
                        for o in 0..<outer { (t + o * block).update(from: s + o * rowLength + start * inner, count: block) }
                    }
                    initialized = outer * block
                }
                pieces.append(Tensor(uncheckedShape: shape, scalars: scalars))
                start += extent
            }
        }
        return pieces
    }

    /// `x` with `before[d]` elements of `value` in front of and `after[d]` behind every dimension `d`.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` when the pad lists do not have
    ///   one non-negative entry per dimension, or `value` is NaN.
    public static func pad(_ x: Tensor, before: [Int], after: [Int], value: Float = 0) throws(TensorError) -> Tensor {
        guard before.count == x.rank, after.count == x.rank, (before + after).allSatisfy({ $0 >= 0 }) else {
            throw .invalidArgument(operation: "pad", reason: "pads before \(before) and after \(after) need one non-negative entry per dimension of \(x.shape)")
        }
        guard !value.isNaN else { throw .invalidArgument(operation: "pad", reason: "the padding value is NaN") }
        let shape = zip(x.shape, zip(before, after)).map { $0 + $1.0 + $1.1 }
        var result = Tensor(repeating: value, shape: shape)
        copyBlock(from: x, into: &result, offset: before, toLarger: true)
        return result
    }

    /// The inverse of ``pad(_:before:after:value:)``: the block of `x` that is left after removing
    /// `before[d]` and `after[d]` elements of every dimension `d`.
    public static func crop(_ x: Tensor, before: [Int], after: [Int]) throws(TensorError) -> Tensor {
        guard before.count == x.rank, after.count == x.rank, (before + after).allSatisfy({ $0 >= 0 }),
              zip(x.shape, zip(before, after)).allSatisfy({ $0 >= $1.0 + $1.1 }) else {
            throw .invalidArgument(operation: "crop", reason: "cannot remove \(before) and \(after) from \(x.shape)")
        }
        let shape = zip(x.shape, zip(before, after)).map { $0 - $1.0 - $1.1 }
        var result = Tensor.zeros(shape)
        copyBlock(from: x, into: &result, offset: before, toLarger: false)
        return result
    }

    /// Copies between a tensor and a block of a larger one at `offset`, row by row along the last
    /// dimension: `toLarger` writes `small` into `large`, else reads the block of `large`.
    private static func copyBlock(from source: Tensor, into target: inout Tensor, offset: [Int], toLarger: Bool) {
        let small = toLarger ? source.shape : target.shape, large = toLarger ? target.shape : source.shape
        let rank = small.count
        guard rank > 0, small.allSatisfy({ $0 > 0 }) else { return }
        var largeStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { largeStrides[d] = largeStrides[d + 1] * large[d + 1] }
        let rowLength = small[rank - 1], rows = small.count == 1 ? 1 : small[..<(rank - 1)].reduce(1, *)
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                guard let s = s.baseAddress, let t = t.baseAddress else { return }
                var index = [Int](repeating: 0, count: rank)
                for row in 0..<rows {
                    var largeOffset = 0
                    for d in 0..<rank { largeOffset += (index[d] + offset[d]) * largeStrides[d] }
                    if toLarger {
                        (t + largeOffset).update(from: s + row * rowLength, count: rowLength)
                    } else {
                        (t + row * rowLength).update(from: s + largeOffset, count: rowLength)
                    }
                    var d = rank - 2
                    while d >= 0 {
                        index[d] += 1
                        if index[d] < small[d] { break }
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }

    /// `x` with its dimensions reordered: dimension `d` of the result is dimension
    /// `permutation[d]` of `x` (NumPy's `transpose(x, axes)`, ONNX Transpose `perm`).
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` unless `permutation` is a
    ///   permutation of `0..<rank`.
    public static func transpose(_ x: Tensor, permutation: [Int]) throws(TensorError) -> Tensor {
        let rank = x.rank
        guard permutation.count == rank, permutation.sorted() == Array(0..<rank) else {
            throw .invalidArgument(operation: "transpose", reason: "\(permutation) is not a permutation of the \(rank) dimensions of \(x.shape)")
        }
        let shape = permutation.map { x.shape[$0] }
        let count = x.count
        guard rank > 1, count > 0, permutation != Array(0..<rank) else { return Tensor(uncheckedShape: shape, scalars: x.scalars) }
        var sourceStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[d] = sourceStrides[d + 1] * x.shape[d + 1] }
        let strides = permutation.map { sourceStrides[$0] }
        let storage = x.withUnsafeBufferPointer { s in
            [Float](unsafeUninitializedCapacity: count) { t, initialized in
                if let s = s.baseAddress, let t = t.baseAddress {
                    var index = [Int](repeating: 0, count: rank)
                    var offset = 0
                    for i in 0..<count {
                        t[i] = s[offset]
                        var d = rank - 1
                        while d >= 0 {
                            index[d] += 1
                            offset += strides[d]
                            if index[d] < shape[d] { break }
                            offset -= strides[d] * shape[d]
                            index[d] = 0
                            d -= 1
                        }
                    }
                }
                initialized = count
            }
        }
        return Tensor(uncheckedShape: shape, scalars: storage)
    }

    /// The permutation that undoes `permutation`.
    static func inverse(_ permutation: [Int]) -> [Int] {
        var result = [Int](repeating: 0, count: permutation.count)
        for (d, source) in permutation.enumerated() { result[source] = d }
        return result
    }
}
