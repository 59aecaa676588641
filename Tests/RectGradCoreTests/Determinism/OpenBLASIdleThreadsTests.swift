#if os(Linux)
import Foundation
import XCTest
import RectGradCore

/// `BLAS.stopIdleThreads()` ends OpenBLAS's helper threads, and OpenBLAS still computes after it,
/// single-threaded and threaded (a threaded call starts the helpers again).
///
/// An XCTest case for the reason given in ``SerialWorkersThreadTests``: XCTest cases run one at a
/// time, so the process's threads change only through the code under test. The test first makes
/// sure OpenBLAS has helpers (another test may have stopped them already) by asking it for two
/// threads and running a product large enough to use them.
final class OpenBLASIdleThreadsTests: XCTestCase {
    /// `C = A · B` for `n × n` operands through OpenBLAS, and the largest difference from the same
    /// product summed in `Double`.
    private static func productError(n: Int, seed: UInt64) -> Double {
        let a = Tensor.randomNormal([n, n], seed: seed).scalars
        let b = Tensor.randomNormal([n, n], seed: seed + 1).scalars
        var c = [Float](repeating: .nan, count: n * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n, alpha: 1,
                               a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, beta: 0, c: c.baseAddress!, ldc: n)
                }
            }
        }
        var worst = 0.0
        for row in stride(from: 0, to: n, by: max(n / 16, 1)) {
            for column in stride(from: 0, to: n, by: max(n / 16, 1)) {
                var sum = 0.0
                for p in 0..<n { sum += Double(a[row * n + p]) * Double(b[p * n + column]) }
                worst = max(worst, abs(sum - Double(c[row * n + column])))
            }
        }
        return worst
    }

    func testStoppingEndsTheHelpersAndProductsStillCompute() throws {
        let original = BLAS.threadCount
        defer { BLAS.setProcessThreadCount(original) }

        // Two threads and a threaded product: OpenBLAS has (or starts) at least one helper.
        BLAS.setProcessThreadCount(2)
        XCTAssertLessThan(Self.productError(n: 512, seed: 1), 1e-3)
        let before = try SerialWorkersThreadTests.threadIDs()

        BLAS.stopIdleThreads()
        let after = try SerialWorkersThreadTests.threadIDs()
        XCTAssertFalse(before.subtracting(after).isEmpty, "no thread ended: OpenBLAS's helpers are still there (\(before.count) threads before, \(after.count) after)")

        // Still correct: single-threaded, and threaded again (the helpers start anew).
        BLAS.setProcessThreadCount(1)
        XCTAssertLessThan(Self.productError(n: 256, seed: 3), 1e-3)
        BLAS.setProcessThreadCount(2)
        XCTAssertLessThan(Self.productError(n: 512, seed: 5), 1e-3)
        let restarted = try SerialWorkersThreadTests.threadIDs()
        XCTAssertFalse(restarted.subtracting(after).isEmpty, "a threaded product after the stop started no helper")

        // Stopping twice is harmless.
        BLAS.stopIdleThreads()
        BLAS.stopIdleThreads()
        XCTAssertLessThan(Self.productError(n: 64, seed: 7), 1e-3)
    }
}
#endif
