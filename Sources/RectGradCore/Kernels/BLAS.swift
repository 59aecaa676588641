import COpenBLAS

/// Thin wrappers over OpenBLAS single-precision routines (row-major).
public enum BLAS {
    /// `C = alpha · op(A) · op(B) + beta · C` with row-major matrices.
    ///
    /// `op(A)` is `M×K`, `op(B)` is `K×N`, `C` is `M×N`; `lda`, `ldb`, `ldc` are the row strides
    /// of the stored matrices.
    @inlinable
    public static func sgemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty inner dimension leaves beta · C.
            for row in 0..<m { for column in 0..<n { c[row * ldc + column] *= beta } }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc)
        )
    }

    /// The number of threads OpenBLAS uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's process-wide thread count: a setting of the host process, for the
    /// application that owns it (the library itself never calls this).
    ///
    /// The library's kernels never need OpenBLAS's threads: they split every matrix product among
    /// their own ``Workers`` and call OpenBLAS single-threaded. An application that wants nothing
    /// but its workers to compute (for example one thread per process in a job array) sets 1 here
    /// once at start-up, with ``stopIdleThreads()``. Counts below 1 mean 1.
    public static func setProcessThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(clamping: Swift.max(count, 1)))
    }

    /// Ends the helper threads OpenBLAS started when it loaded: a setting of the host process,
    /// for the application that owns it (the library itself never calls this).
    ///
    /// OpenBLAS (the pthreads build) starts one helper per further core it sees when the library
    /// loads, before `main`, and each helper polls for work — calling `sched_yield` in a loop —
    /// for about 2²⁸ processor cycles (a tenth of a second) before it sleeps. On the benchmark
    /// machine (2 cores) that was 3,300 `sched_yield` calls and 90 ms of CPU on the second core in
    /// every process (Docs/threads.md); in a container whose CPU limit is a quota on a many-core
    /// node, every helper's poll is charged to the container's quota. The library's kernels never
    /// use these threads (they call OpenBLAS single-threaded), so an application that holds
    /// OpenBLAS to one thread (``setProcessThreadCount(_:)``) can end them at once. A threaded
    /// OpenBLAS call made later starts them again. To keep them from starting at all, start the
    /// process with `OPENBLAS_NUM_THREADS=1` in its environment (read once, when OpenBLAS loads).
    ///
    /// Call it when no other thread is inside OpenBLAS (at start-up).
    public static func stopIdleThreads() {
        _ = blas_thread_shutdown_()
    }

    /// The name of the CPU kernel OpenBLAS selected (for example "Cooperlake").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
