/// Fully connected layer kernels: `y = x · Wᵀ + b` with `x: [N, in]`, `W: [out, in]`, `b: [out]`.
public enum Dense {
    /// The forward pass.
    public static func forward(input: Tensor, weight: Tensor, bias: Tensor?, workers: Workers = .default) throws(TensorError) -> Tensor {
        guard input.rank == 2 else { throw .shapeMismatch(operation: "dense", expected: [-1, weight.shape.last ?? -1], actual: input.shape) }
        guard weight.rank == 2, weight.shape[1] == input.shape[1] else {
            throw .shapeMismatch(operation: "dense weight", expected: [weight.shape.first ?? -1, input.shape[1]], actual: weight.shape)
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw .shapeMismatch(operation: "dense bias", expected: [weight.shape[0]], actual: bias.shape)
        }
        var output = try input.matmul(weight, transposeOther: true, workers: workers)
        if let bias {
            let columns = weight.shape[0]
            output.withUnsafeMutableBufferPointer { y in
                bias.withUnsafeBufferPointer { b in
                    for row in 0..<input.shape[0] { for c in 0..<columns { y[row * columns + c] += b[c] } }
                }
            }
        }
        return output
    }

    /// The gradient with respect to the input: `dY · W`.
    public static func backwardInput(outputGradient: Tensor, weight: Tensor, workers: Workers = .default) throws(TensorError) -> Tensor {
        try outputGradient.matmul(weight, workers: workers)
    }

    /// The gradient with respect to the weight: `dYᵀ · x`.
    public static func backwardWeight(outputGradient: Tensor, input: Tensor, workers: Workers = .default) throws(TensorError) -> Tensor {
        try outputGradient.matmul(input, transposeSelf: true, workers: workers)
    }

    /// The gradient with respect to the bias: `dY` summed over the batch.
    public static func backwardBias(outputGradient: Tensor) -> Tensor {
        Convolution2D.backwardBias(outputGradient: outputGradient)
    }
}
