import RectGradCore
import RectGradLayers

/// Forward-only evaluation of a classifier on a set of images, in batches.
public enum Evaluation {
    /// The predicted class (arg-max logit) of every image, the passes run on `workers`.
    /// - Throws: ``DataError`` for an empty or malformed batch, or the network's error.
    public static func predictions(of network: Network, images: Tensor, batchSize: Int = 250, workers: Workers = .default) throws -> [Int] {
        guard images.rank == 4, let n = images.shape.first, n >= 1 else {
            throw DataError.inconsistentData("images must be a non-empty batch [N, C, H, W], got \(images.shape)")
        }
        guard batchSize >= 1 else { throw DataError.invalidTrainingSetting("batch size \(batchSize) must be at least 1") }
        var predictions: [Int] = []
        predictions.reserveCapacity(n)
        for start in stride(from: 0, to: n, by: batchSize) {
            let batch = try images.gathering(examples: Array(start..<min(start + batchSize, n)))
            predictions += try network.logits(for: batch, workers: workers).argmaxPerRow()
        }
        return predictions
    }

    /// The fraction of images whose predicted class equals their label.
    /// - Throws: ``DataError`` when images and labels disagree, or the network's error.
    public static func accuracy(of network: Network, images: Tensor, labels: [Int], batchSize: Int = 250, workers: Workers = .default) throws -> Double {
        try LabelledImages.validate(images: images, labels: labels, classCount: network.classCount, role: "evaluation")
        let predicted = try predictions(of: network, images: images, batchSize: batchSize, workers: workers)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// The accuracy of `network` on a ``ShapesDataset``.
    public static func accuracy(of network: Network, on dataset: ShapesDataset, batchSize: Int = 250, workers: Workers = .default) throws -> Double {
        try accuracy(of: network, images: dataset.images, labels: dataset.labels, batchSize: batchSize, workers: workers)
    }
}
