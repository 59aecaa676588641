extension Tensor {
    /// The matrix product of two rank-2 tensors, optionally transposing either operand.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:actual:)`` when the inner dimensions disagree.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws(TensorError) -> Tensor {
        guard rank == 2 else { throw .shapeMismatch(operation: "matmul", expected: [-1, -1], actual: shape) }
        guard other.rank == 2 else { throw .shapeMismatch(operation: "matmul", expected: [-1, -1], actual: other.shape) }
        let m = transposeSelf ? shape[1] : shape[0]
        let k = transposeSelf ? shape[0] : shape[1]
        let otherK = transposeOther ? other.shape[1] : other.shape[0]
        let n = transposeOther ? other.shape[0] : other.shape[1]
        guard k == otherK else {
            throw .shapeMismatch(operation: "matmul", expected: [k, n], actual: other.shape)
        }
        var result = [Float](repeating: 0, count: m * n)
        scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
                    BLAS.sgemm(
                        transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                        a: a, lda: shape[1], b: b, ldb: other.shape[1], c: c, ldc: n
                    )
                }
            }
        }
        return Tensor(uncheckedShape: [m, n], scalars: result)
    }
}
