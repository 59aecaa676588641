import Foundation

/// Local response normalisation across channels (AlexNet, GoogLeNet v1; ONNX `LRN`):
/// `y_c = x_c / (bias + alpha / size · Σ x_{c'}²)^beta`, the sum over the channels
/// `c − ⌊(size − 1)/2⌋ … c + ⌈(size − 1)/2⌉` that exist.
public struct LocalResponseNormalization: Sendable, Hashable, CustomStringConvertible {
    /// The number of channels summed over.
    public let size: Int
    public let alpha: Float
    public let beta: Float
    public let bias: Float

    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for a size below 1 or a
    ///   non-finite or negative parameter (`bias` must be positive).
    public init(size: Int, alpha: Float = 1e-4, beta: Float = 0.75, bias: Float = 1) throws(TensorError) {
        guard size >= 1, size <= 1 << 16 else { throw .invalidArgument(operation: "LRN", reason: "size \(size) is not between 1 and 65536") }
        guard alpha.isFinite, alpha >= 0, beta.isFinite, beta >= 0, bias.isFinite, bias > 0 else {
            throw .invalidArgument(operation: "LRN", reason: "alpha \(alpha), beta \(beta) and bias \(bias) must be finite, not negative, and bias positive")
        }
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.bias = bias
    }

    /// Channels before and after `c` in its window.
    var before: Int { (size - 1) / 2 }
    var after: Int { size - 1 - (size - 1) / 2 }

    public var description: String { "size \(size), alpha \(alpha), beta \(beta), bias \(bias)" }

    /// `d_c = bias + alpha / size · Σ_window x²` for every element, in Double.
    func denominators(_ x: UnsafeBufferPointer<Float>, batch: Int, channels: Int, plane: Int) -> [Double] {
        var result = [Double](repeating: 0, count: x.count)
        let scale = Double(alpha) / Double(size)
        for n in 0..<batch {
            for c in 0..<channels {
                let first = Swift.max(0, c - before)
                let last = Swift.min(channels - 1, c + after)
                let target = (n * channels + c) * plane
                for p in 0..<plane {
                    var sum = 0.0
                    for k in first...last {
                        let value = Double(x[(n * channels + k) * plane + p])
                        sum += value * value
                    }
                    result[target + p] = Double(bias) + scale * sum
                }
            }
        }
        return result
    }

    func forward(_ x: Tensor) throws(TensorError) -> Tensor {
        guard x.rank >= 2 else { throw .invalidArgument(operation: "LRN", reason: "input of shape \(x.shape); [N, C, …] is expected") }
        let (batch, channels) = (x.shape[0], x.shape[1])
        let plane = x.shape.dropFirst(2).reduce(1, *)
        let result: [Float] = x.withUnsafeBufferPointer { input in
            let d = denominators(input, batch: batch, channels: channels, plane: plane)
            return (0..<input.count).map { Float(Double(input[$0]) * Foundation.pow(d[$0], -Double(beta))) }
        }
        return try Tensor(shape: x.shape, scalars: result)
    }

    /// `∂L/∂x_j = g_j d_j^−β − 2αβ/size · x_j Σ_{c: j ∈ window(c)} g_c x_c d_c^(−β−1)`.
    func backward(_ gradient: Tensor, input x: Tensor) throws(TensorError) -> Tensor {
        guard gradient.shape == x.shape else { throw .shapeMismatch(operation: "LRN backward", expected: x.shape, actual: gradient.shape) }
        let (batch, channels) = (x.shape[0], x.shape[1])
        let plane = x.shape.dropFirst(2).reduce(1, *)
        let result: [Float] = x.withUnsafeBufferPointer { input in
            gradient.withUnsafeBufferPointer { g in
                let d = denominators(input, batch: batch, channels: channels, plane: plane)
                let beta = Double(self.beta)
                // q_c = g_c x_c d_c^(−β−1), then each x_j collects q over the windows containing j.
                var q = [Double](repeating: 0, count: input.count)
                for i in 0..<input.count { q[i] = Double(g[i]) * Double(input[i]) * Foundation.pow(d[i], -beta - 1) }
                let factor = 2 * Double(alpha) * beta / Double(size)
                var out = [Float](repeating: 0, count: input.count)
                for n in 0..<batch {
                    for j in 0..<channels {
                        // j lies in window(c) for c in j − after … j + before.
                        let first = Swift.max(0, j - after)
                        let last = Swift.min(channels - 1, j + before)
                        let base = (n * channels + j) * plane
                        for p in 0..<plane {
                            var collected = 0.0
                            for c in first...last { collected += q[(n * channels + c) * plane + p] }
                            let i = base + p
                            out[i] = Float(Double(g[i]) * Foundation.pow(d[i], -beta) - factor * Double(input[i]) * collected)
                        }
                    }
                }
                return out
            }
        }
        return try Tensor(shape: x.shape, scalars: result)
    }
}

extension Tape {
    /// Local response normalisation across channels (``LocalResponseNormalization``), with its
    /// true backward whatever the rules (it is not an activation site).
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` for an input of rank below 2.
    public func localResponseNormalization(_ x: Variable, _ parameters: LocalResponseNormalization, name: String = "") throws(TapeError) -> Variable {
        try record(.localResponseNormalization(parameters), inputs: [x], name: name) { (v) throws(TensorError) in
            try parameters.forward(v[0])
        }
    }
}
