import COpenBLAS

/// A matrix product split across the kernels' own workers, each calling OpenBLAS on its thread.
///
/// The slices are cut by the operands' shape alone (see ``Parallel/plannedWorkers``), so every
/// entry of the result comes from the same OpenBLAS call whatever the number of workers.
///
/// The convolution kernels never let OpenBLAS start its own threads: after a threaded call,
/// OpenBLAS's idle threads keep polling (yielding the core) for a while, which would compete with
/// the workers that run the transforms and the per-band products.
enum ParallelGEMM {
    /// Products below this many multiply–adds run whole on the calling thread.
    static let splitThreshold = 1 << 16

    /// `C = op(A) · op(B)` for row-major operands, with OpenBLAS's matrix–vector routine when
    /// `op(A)` has one row or `op(B)` one column (a matrix product with one row is several times
    /// slower than the matrix–vector product), and the rows or columns of the result dealt to the
    /// workers.
    static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, workers: Workers
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
            return
        }
        if m == 1 {
            // c[0, j] = Σ_p op(A)[0, p] · op(B)[p, j]: op(B)ᵀ times the row of op(A).
            // Row 0 of op(A): row 0 of A, or column 0 of a transposed A (stride lda).
            let x = a, incx = transposeA ? lda : 1
            if transposeB {
                // op(B) = Bᵀ with B stored n × k: c = B · x.
                sgemv(transpose: false, rows: n, columns: k, matrix: b, ld: ldb, x: x, incx: incx, y: c, incy: 1, workers: workers)
            } else {
                // B stored k × n: c = Bᵀ · x.
                sgemv(transpose: true, rows: k, columns: n, matrix: b, ld: ldb, x: x, incx: incx, y: c, incy: 1, workers: workers)
            }
            return
        }
        if n == 1 {
            // c[i, 0] = Σ_p op(A)[i, p] · op(B)[p, 0]; column 0 of op(B): column 0 of B (stride
            // ldb), or row 0 of a transposed B.
            let x = b, incx = transposeB ? 1 : ldb
            if transposeA {
                // A stored k × m: c = Aᵀ · x.
                sgemv(transpose: true, rows: k, columns: m, matrix: a, ld: lda, x: x, incx: incx, y: c, incy: ldc, workers: workers)
            } else {
                sgemv(transpose: false, rows: m, columns: k, matrix: a, ld: lda, x: x, incx: incx, y: c, incy: ldc, workers: workers)
            }
            return
        }
        sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, workers: workers)
    }

    /// `y = M · x` (or `Mᵀ · x` with `transpose`) for a row-major `rows × columns` matrix, the
    /// entries of `y` cut into contiguous ranges by shape and dealt to the workers.
    static func sgemv(
        transpose: Bool, rows: Int, columns: Int, matrix: UnsafePointer<Float>, ld: Int,
        x: UnsafePointer<Float>, incx: Int, y: UnsafeMutablePointer<Float>, incy: Int, workers: Workers
    ) {
        let outputs = transpose ? columns : rows
        let parts = rows * columns < splitThreshold ? 1 : max(1, min(Parallel.plannedWorkers, outputs / 64))
        let pointers = UncheckedSendable((matrix, x, y))
        SingleThreadedBLAS.run {
            workers.forEach(items: parts) { _, part in
                let (matrix, x, y) = pointers.value
                let range = Parallel.range(part, of: parts, count: outputs)
                guard !range.isEmpty else { return }
                // β = 0 still reads y in some OpenBLAS versions (0 · NaN): start from zeros.
                for i in range { y[i * incy] = 0 }
                if transpose {
                    // Columns `range` of M: y[range] = M[:, range]ᵀ · x.
                    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(range.count), 1, matrix + range.lowerBound, Int32(ld),
                                x, Int32(incx), 0, y + range.lowerBound * incy, Int32(incy))
                } else {
                    // Rows `range` of M.
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(range.count), Int32(columns), 1, matrix + range.lowerBound * ld, Int32(ld),
                                x, Int32(incx), 0, y + range.lowerBound * incy, Int32(incy))
                }
            }
        }
    }

    /// Multiply–adds per slice below which a product is cut into fewer slices.
    static let workPerSlice = 1 << 23

    /// The slices a product of `work` multiply–adds is worth: a power of two from 2 to
    /// ``Parallel/plannedWorkers``, one slice per ``workPerSlice`` multiply–adds (rounded down).
    /// Every slice packs the operand it shares with the others again, which on one core is pure
    /// cost (`Benchmarks/gemm_slices.c`: eight slices of ResNet-50's batch-1 products took 8 %
    /// longer than whole products, four 4 %, two 2 %); a power of two keeps 1, 2, 4 or 8 workers
    /// evenly loaded. Decided by the shape alone, like the cut itself.
    static func slicesForWork(_ work: Int) -> Int {
        var slices = 2
        while slices < Parallel.plannedWorkers && work >= 2 * slices * workPerSlice { slices *= 2 }
        return slices
    }

    /// `C = alpha · op(A) · op(B) + beta · C` (row-major, as ``BLAS/sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``),
    /// with the rows of `C` (or, for a short and wide `C`, its columns) cut by shape and dealt to
    /// the workers.
    static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, workers: Workers
    ) {
        // Split where the slices stay wide enough for the blocked kernel; tiny products run whole.
        // Every slice packs the operand it shares with the others again: row slices all of op(B)
        // (k × n), column slices all of op(A) (m × k). When column slices are wide (at least 128
        // columns each) they are the cheaper cut unless op(A) is the larger operand; otherwise
        // many rows (or a tall product) take row slices, since narrow column slices run the
        // kernel's edge cases. (At batch 8, resnet50's first-stage products are 256 × 25,088:
        // row slices packed the 25,088-wide operand eight times; `Benchmarks/gemm_slices.c 8`.)
        let planned = Parallel.plannedWorkers
        let wideColumns = n >= 128 * planned
        let splitRows = wideColumns ? m > n : (m >= 32 * planned || m >= n)
        let extent = splitRows ? m : n
        let parts = m * n * k < splitThreshold ? 1 : max(1, min(planned, extent / 16, slicesForWork(m * n * k)))
        let pointers = UncheckedSendable((a, b, c))
        SingleThreadedBLAS.run {
            workers.forEach(items: parts) { _, part in
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
