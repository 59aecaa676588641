extension Tensor {
    /// The examples at `indices` along the first dimension, stacked in that order: shape
    /// `[indices.count] + shape.dropFirst()`. Indices may repeat.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for a tensor without a first
    ///   dimension or an index outside `0..<shape[0]`.
    public func gathering(examples indices: [Int]) throws(TensorError) -> Tensor {
        guard let count = shape.first else {
            throw .invalidArgument(operation: "gathering(examples:)", reason: "a scalar has no examples")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw .invalidArgument(operation: "gathering(examples:)", reason: "index \(bad) outside 0..<\(count)")
        }
        let exampleSize = count == 0 ? 0 : self.count / count
        var result = [Float](repeating: 0, count: indices.count * exampleSize)
        result.withUnsafeMutableBufferPointer { out in
            withUnsafeBufferPointer { source in
                for (row, index) in indices.enumerated() {
                    let from = index * exampleSize, to = row * exampleSize
                    for i in 0..<exampleSize { out[to + i] = source[from + i] }
                }
            }
        }
        return Tensor(uncheckedShape: [indices.count] + shape.dropFirst(), scalars: result)
    }
}
