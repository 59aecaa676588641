import RectGradCore

/// Gathering examples along the first dimension.
enum ImageBatches {
    /// The examples of `tensor` at `indices` (which must be in range), stacked in that order.
    static func gather(_ tensor: Tensor, _ indices: [Int]) -> Tensor {
        let exampleSize = tensor.count / max(tensor.shape.first ?? 1, 1)
        var scalars = [Float](repeating: 0, count: indices.count * exampleSize)
        scalars.withUnsafeMutableBufferPointer { out in
            tensor.withUnsafeBufferPointer { source in
                for (row, index) in indices.enumerated() {
                    let from = index * exampleSize, to = row * exampleSize
                    for i in 0..<exampleSize { out[to + i] = source[from + i] }
                }
            }
        }
        let shape = [indices.count] + Array(tensor.shape.dropFirst())
        return (try? Tensor(shape: shape, scalars: scalars)) ?? Tensor.zeros(shape)
    }

    /// Checks that `images` is `[N, …]` with `N == labels.count ≥ 1` and every label in `0..<classCount`.
    static func validate(images: Tensor, labels: [Int], classCount: Int, role: String) throws(DataError) {
        guard images.rank == 4, let n = images.shape.first, n >= 1 else {
            throw .inconsistentData("\(role) images must be a non-empty batch [N, C, H, W], got \(images.shape)")
        }
        guard n == labels.count else {
            throw .inconsistentData("\(role): \(n) images but \(labels.count) labels")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw .inconsistentData("\(role): label \(bad) is outside 0..<\(classCount)")
        }
    }
}
