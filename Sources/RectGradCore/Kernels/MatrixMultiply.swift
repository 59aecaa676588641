extension Tensor {
    /// The matrix product of two rank-2 tensors, optionally transposing either operand (split
    /// across `workers`; a product with one row or column is a matrix–vector product). The result
    /// does not depend on the number of workers.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:actual:)`` when the inner dimensions disagree.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false, workers: Workers = .default) throws(TensorError) -> Tensor {
        guard rank == 2 else { throw .shapeMismatch(operation: "matmul", expected: [-1, -1], actual: shape) }
        guard other.rank == 2 else { throw .shapeMismatch(operation: "matmul", expected: [-1, -1], actual: other.shape) }
        let m = transposeSelf ? shape[1] : shape[0]
        let k = transposeSelf ? shape[0] : shape[1]
        let otherK = transposeOther ? other.shape[1] : other.shape[0]
        let n = transposeOther ? other.shape[0] : other.shape[1]
        guard k == otherK else {
            throw .shapeMismatch(operation: "matmul", expected: [k, n], actual: other.shape)
        }
        // The product writes every element (zeros for an empty inner dimension).
        let result = Tensor.uninitializedStorage(count: m * n) { c in
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    if let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress {
                        ParallelGEMM.multiply(
                            transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                            a: a, lda: shape[1], b: b, ldb: other.shape[1], c: c, ldc: n, workers: workers
                        )
                    } else if let c = c.baseAddress {
                        // An operand without elements (k = 0): every entry is an empty sum.
                        c.update(repeating: 0, count: m * n)
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [m, n], scalars: result)
    }
}
