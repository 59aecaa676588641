import RectGradCore

extension Tensor {
    /// Whether every element is within `absoluteTolerance + relativeTolerance · |other|` of `other`'s.
    public func isApproximatelyEqual(to other: Tensor, absoluteTolerance: Float = 1e-5, relativeTolerance: Float = 1e-4) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count {
            let a = self[flat: i], b = other[flat: i]
            if abs(a - b) > absoluteTolerance + relativeTolerance * abs(b) { return false }
        }
        return true
    }

    /// The largest absolute element-wise difference (infinity on a shape mismatch).
    public func maximumAbsoluteDifference(to other: Tensor) -> Float {
        guard shape == other.shape else { return .infinity }
        var worst: Float = 0
        for i in 0..<count { worst = Swift.max(worst, abs(self[flat: i] - other[flat: i])) }
        return worst
    }
}
