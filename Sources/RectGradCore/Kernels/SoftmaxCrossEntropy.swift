import Foundation

/// Softmax and the mean softmax cross-entropy loss over a batch of logits `[N, K]`.
public enum SoftmaxCrossEntropy {
    /// Row-wise softmax of `[N, K]` logits, computed stably.
    public static func softmax(_ logits: Tensor) throws(TensorError) -> Tensor {
        guard logits.rank == 2 else { throw .shapeMismatch(operation: "softmax", expected: [-1, -1], actual: logits.shape) }
        let (n, k) = (logits.shape[0], logits.shape[1])
        var result = logits.scalars
        for row in 0..<n {
            let slice = row * k ..< (row + 1) * k
            let peak = result[slice].max() ?? 0
            var total: Double = 0
            for i in slice { let e = exp(Double(result[i] - peak)); result[i] = Float(e); total += e }
            for i in slice { result[i] = Float(Double(result[i]) / total) }
        }
        return try Tensor(shape: logits.shape, scalars: result)
    }

    /// `mean_n −log softmax(logits[n])[labels[n]]`, evaluated as `logsumexp(logits[n]) − logits[n][label]`
    /// in Double so that it stays exact when the label's probability underflows float32.
    /// - Throws: for logits that are not `[N, K]`, when the label count differs from the batch or a
    ///   label is out of range.
    public static func loss(logits: Tensor, labels: [Int]) throws(TensorError) -> Float {
        guard logits.rank == 2 else { throw .shapeMismatch(operation: "softmaxCrossEntropy", expected: [-1, -1], actual: logits.shape) }
        try validate(labels: labels, logits: logits)
        let k = logits.shape[1]
        var total = 0.0
        for (row, label) in labels.enumerated() {
            let slice = logits.scalars[(row * k)..<((row + 1) * k)]
            let peak = Double(slice.max() ?? 0)
            var sum = 0.0
            for value in slice { sum += exp(Double(value) - peak) }
            total += peak + log(sum) - Double(logits.scalars[row * k + label])
        }
        return Float(total / Double(max(labels.count, 1)))
    }

    /// The gradient of ``loss(logits:labels:)`` with respect to the logits: `(softmax − onehot) / N`.
    public static func lossGradient(logits: Tensor, labels: [Int]) throws(TensorError) -> Tensor {
        var probabilities = try softmax(logits)
        try validate(labels: labels, logits: logits)
        let k = logits.shape[1]
        let scale = 1 / Float(max(labels.count, 1))
        probabilities.withUnsafeMutableBufferPointer { p in
            for (row, label) in labels.enumerated() { p[row * k + label] -= 1 }
            for i in 0..<p.count { p[i] *= scale }
        }
        return probabilities
    }

    static func validate(labels: [Int], logits: Tensor) throws(TensorError) {
        guard labels.count == logits.shape[0] else {
            throw .invalidArgument(operation: "softmaxCrossEntropy", reason: "\(labels.count) labels for a batch of \(logits.shape[0])")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= logits.shape[1] }) {
            throw .invalidArgument(operation: "softmaxCrossEntropy", reason: "label \(bad) outside 0..<\(logits.shape[1])")
        }
    }
}
