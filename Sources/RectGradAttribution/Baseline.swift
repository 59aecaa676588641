import RectGradCore

/// Baselines (declared in `RectGradCore`, where DeepLIFT's rule holds one) as tensors.
extension Baseline {
    /// The baseline as a batch for an input of shape `inputShape`: batch 1 when it is the same for
    /// every example, batch N otherwise.
    /// - Throws: ``AttributionError/baselineShapeMismatch(expected:actual:)``.
    public func values(for inputShape: [Int]) throws(AttributionError) -> Tensor {
        let example = Array(inputShape.dropFirst())
        switch self {
        case .zero:
            return Tensor.zeros([1] + example)
        case .constant(let value):
            return Tensor(repeating: value, shape: [1] + example)
        case .tensor(let tensor):
            if tensor.shape == inputShape || tensor.shape == [1] + example { return tensor }
            if tensor.shape == example {
                do { return try tensor.reshaped([1] + example) } catch {
                    throw .baselineShapeMismatch(expected: inputShape, actual: tensor.shape)
                }
            }
            throw .baselineShapeMismatch(expected: inputShape, actual: tensor.shape)
        }
    }
}

/// Row access into a batch that is either batch 1 (broadcast) or batch N.
struct BroadcastRows {
    /// The batch (`[1, …]` or `[N, …]`).
    var batch: Tensor
    /// Elements per example.
    var rowSize: Int

    init(_ batch: Tensor) {
        self.batch = batch
        self.rowSize = batch.count / max(batch.shape.first ?? 1, 1)
    }

    /// Whether one row serves every example.
    var isBroadcast: Bool { (batch.shape.first ?? 1) == 1 }

    /// The offset of example `index`'s row in `batch`.
    func offset(ofExample index: Int) -> Int { isBroadcast ? 0 : index * rowSize }
}
