import RectGradCore

/// Checks on images with labels before training or evaluation.
enum LabelledImages {
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
