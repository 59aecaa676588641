/// The options of a general matrix product `alpha · op(A) · op(B) + beta · C` (ONNX Gemm).
public struct GemmOptions: Hashable, Sendable, CustomStringConvertible {
    /// Use `Aᵀ` (ONNX `transA`).
    public var transposeA: Bool
    /// Use `Bᵀ` (ONNX `transB`; a PyTorch Linear exports `transB = 1`).
    public var transposeB: Bool
    /// The product's scale.
    public var alpha: Float
    /// The scale of the added `C`.
    public var beta: Float

    /// Creates options; the defaults give the plain product `A · B (+ C)`.
    public init(transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, beta: Float = 1) {
        self.transposeA = transposeA
        self.transposeB = transposeB
        self.alpha = alpha
        self.beta = beta
    }

    public var description: String {
        var parts: [String] = []
        if transposeA { parts.append("Aᵀ") }
        if transposeB { parts.append("Bᵀ") }
        if alpha != 1 { parts.append("alpha \(alpha)") }
        if beta != 1 { parts.append("beta \(beta)") }
        return parts.joined(separator: ", ")
    }
}

extension Tape {
    /// The matrix product of two rank-2 values, `[M, K] · [K, N]` (ONNX MatMul on matrices).
    public func matmul(_ a: Variable, _ b: Variable, name: String = "") throws(TapeError) -> Variable {
        try gemm(a, b, name: name)
    }

    /// `alpha · op(A) · op(B) + beta · C` with `op` an optional transpose; `C` (optional)
    /// broadcasts to `[M, N]` (a bias `[N]`, `[1, N]`, `[M, 1]` or a scalar).
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` naming the shapes when the operands are not
    ///   matrices, the inner dimensions differ or `C` does not broadcast to `[M, N]`, and for a
    ///   NaN or infinite alpha or beta.
    public func gemm(_ a: Variable, _ b: Variable, c: Variable? = nil, options: GemmOptions = .init(), name: String = "") throws(TapeError) -> Variable {
        let inputs = [a, b] + (c.map { [$0] } ?? [])
        return try record(.gemm(options), inputs: inputs, name: name) { (v) throws(TensorError) in
            guard options.alpha.isFinite, options.beta.isFinite else {
                throw .invalidArgument(operation: "gemm", reason: "alpha and beta must be finite, got \(options.alpha) and \(options.beta)")
            }
            guard v[0].rank == 2, v[1].rank == 2 else {
                throw .invalidArgument(operation: "gemm", reason: "A \(v[0].shape) and B \(v[1].shape) must be matrices")
            }
            let m = options.transposeA ? v[0].shape[1] : v[0].shape[0], k = options.transposeA ? v[0].shape[0] : v[0].shape[1]
            let kB = options.transposeB ? v[1].shape[1] : v[1].shape[0], n = options.transposeB ? v[1].shape[0] : v[1].shape[1]
            guard k == kB else {
                throw .invalidArgument(operation: "gemm", reason: "inner dimensions differ: op(A) is [\(m), \(k)], op(B) is [\(kB), \(n)] (A \(v[0].shape), B \(v[1].shape)\(options.description.isEmpty ? "" : ", \(options)"))")
            }
            var product = try v[0].matmul(v[1], transposeSelf: options.transposeA, transposeOther: options.transposeB, workers: workers)
            if options.alpha != 1 { product = product.scaled(by: options.alpha, workers: workers) }
            guard v.count > 2 else { return product }
            guard (try? Broadcast.resultShape([m, n], v[2].shape, operation: "gemm")) == [m, n] else {
                throw .invalidArgument(operation: "gemm", reason: "C \(v[2].shape) does not broadcast to the product's shape [\(m), \(n)]")
            }
            let addend = options.beta == 1 ? v[2] : v[2].scaled(by: options.beta, workers: workers)
            return try Broadcast.apply(.add, product, addend, workers: workers)
        }
    }

    /// The gradients of a Gemm's operands.
    func gemmBackward(_ options: GemmOptions, node: Node, upstream g: Tensor, wants: (Int) -> Bool) throws(TensorError) -> [(Int, Tensor)] {
        let a = valueOfNode(node.inputs[0]), b = valueOfNode(node.inputs[1])
        let (tA, tB) = (options.transposeA, options.transposeB)
        var result: [(Int, Tensor)] = []
        func scaled(_ t: Tensor, _ factor: Float) -> Tensor { factor == 1 ? t : t.scaled(by: factor, workers: workers) }
        if wants(0) {
            // dA' = alpha · G · op(B)ᵀ, transposed back when A entered transposed.
            let gradient = tA
                ? try b.matmul(g, transposeSelf: tB, transposeOther: true, workers: workers)
                : try g.matmul(b, transposeSelf: false, transposeOther: !tB, workers: workers)
            result.append((node.inputs[0], scaled(gradient, options.alpha)))
        }
        if wants(1) {
            // dB' = alpha · op(A)ᵀ · G, transposed back when B entered transposed.
            let gradient = tB
                ? try g.matmul(a, transposeSelf: true, transposeOther: tA, workers: workers)
                : try a.matmul(g, transposeSelf: !tA, transposeOther: false, workers: workers)
            result.append((node.inputs[1], scaled(gradient, options.alpha)))
        }
        if wants(2) {
            result.append((node.inputs[2], scaled(try Broadcast.sum(g, toShape: nodes[node.inputs[2]].shape), options.beta)))
        }
        return result
    }
}
