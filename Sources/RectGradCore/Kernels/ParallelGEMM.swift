/// A matrix product split across the kernels' own workers, each calling OpenBLAS on its thread.
///
/// The convolution kernels never let OpenBLAS start its own threads: after a threaded call,
/// OpenBLAS's idle threads keep polling (yielding the core) for a while, which would compete with
/// the workers that run the transforms and the per-band products.
enum ParallelGEMM {
    /// `C = alpha · op(A) · op(B) + beta · C` (row-major, as ``BLAS/sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``),
    /// with the rows of `C` (or, for a short and wide `C`, its columns) dealt to the workers.
    static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let workers = Parallel.workerCount
        // Split where the slices stay wide enough for the blocked kernel; tiny products run whole.
        let splitRows = m >= 32 * workers || m >= n
        let extent = splitRows ? m : n
        let parts = max(1, min(workers, extent / 16))
        let pointers = UncheckedSendable((a, b, c))
        SingleThreadedBLAS.run {
            Parallel.forEach(items: parts, workers: workers) { _, part in
                let (a, b, c) = pointers.value
                let range = Parallel.range(part, of: parts, count: extent)
                guard !range.isEmpty else { return }
                if splitRows {
                    // Rows r of op(A): row r of A, or column r of a transposed A.
                    let aSlice = transposeA ? a + range.lowerBound : a + range.lowerBound * lda
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: range.count, n: n, k: k, alpha: alpha,
                               a: aSlice, lda: lda, b: b, ldb: ldb, beta: beta, c: c + range.lowerBound * ldc, ldc: ldc)
                } else {
                    // Columns j of op(B): column j of B, or row j of a transposed B.
                    let bSlice = transposeB ? b + range.lowerBound * ldb : b + range.lowerBound
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: range.count, k: k, alpha: alpha,
                               a: a, lda: lda, b: bSlice, ldb: ldb, beta: beta, c: c + range.lowerBound, ldc: ldc)
                }
            }
        }
    }
}
