import CElementwise
import Testing

/// The Winograd F(2×2, 3×3) kernel transform `U = G g Gᵀ` (`rg_winograd_kernel_transform`) against
/// the matrix product written out in Double, on a hand kernel whose transform is exact in Float,
/// on seeded kernels, flipped and not, and cut into pieces at every block boundary.
@Suite struct WinogradKernelTransformTests {
    static let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// `G k Gᵀ` in Double for a row-major 3×3 kernel `k`, as 16 values ξ = 4a + b.
    static func reference(_ k: [Float]) -> [Double] {
        var out = [Double](repeating: 0, count: 16)
        for a in 0..<4 {
            for b in 0..<4 {
                var sum = 0.0
                for i in 0..<3 {
                    for j in 0..<3 { sum += g[a][i] * Double(k[i * 3 + j]) * g[b][j] }
                }
                out[a * 4 + b] = sum
            }
        }
        return out
    }

    static func transform(_ kernels: [Float], pairs: Int, flipped: Bool) -> [Float] {
        var u = [Float](repeating: .nan, count: 16 * pairs)
        kernels.withUnsafeBufferPointer { k in
            u.withUnsafeMutableBufferPointer { out in
                rg_winograd_kernel_transform(k.baseAddress, pairs, flipped ? 1 : 0, out.baseAddress, pairs)
            }
        }
        return u
    }

    static func seeded(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) - 0.5) * 4
        }
    }

    @Test func handKernelIsExact() {
        // 1…9 row by row. By hand, the first row of G g is (1, 2, 3), so U[0][·] =
        // (1, (1 + 3 + 2)/2, (1 + 3 − 2)/2, 3) = (1, 3, 1, 3).
        let kernel: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let u = Self.transform(kernel, pairs: 1, flipped: false)
        #expect(Array(u[0..<4]) == [1, 3, 1, 3])
        #expect(u.map(Double.init) == Self.reference(kernel))
        // Flipped: the transform of the 180° rotation 9…1.
        let flipped = Self.transform(kernel, pairs: 1, flipped: true)
        #expect(flipped.map(Double.init) == Self.reference(Array(kernel.reversed())))
    }

    @Test(arguments: [1, 15, 16, 17, 33, 100])
    func seededKernelsMatchTheProduct(pairs: Int) {
        let kernels = Self.seeded(9 * pairs, seed: UInt64(pairs))
        for flipped in [false, true] {
            let u = Self.transform(kernels, pairs: pairs, flipped: flipped)
            for p in 0..<pairs {
                var k = Array(kernels[(p * 9)..<(p * 9 + 9)])
                if flipped { k.reverse() }
                let expected = Self.reference(k)
                for xi in 0..<16 {
                    let value = Double(u[xi * pairs + p])
                    // Two roundings per 1-D step of values below 6 in magnitude.
                    #expect(abs(value - expected[xi]) <= 1e-5, "pair \(p) ξ \(xi) flipped \(flipped)")
                }
            }
        }
    }

    @Test func cuttingThePairsChangesNoBit() {
        let pairs = 70
        let kernels = Self.seeded(9 * pairs, seed: 7)
        let whole = Self.transform(kernels, pairs: pairs, flipped: true)
        for cut in [1, 15, 16, 17, 40, 69] {
            var pieces = [Float](repeating: .nan, count: 16 * pairs)
            kernels.withUnsafeBufferPointer { k in
                pieces.withUnsafeMutableBufferPointer { out in
                    rg_winograd_kernel_transform(k.baseAddress, cut, 1, out.baseAddress, pairs)
                    rg_winograd_kernel_transform(k.baseAddress! + 9 * cut, pairs - cut, 1, out.baseAddress! + cut, pairs)
                }
            }
            #expect(pieces.map(\.bitPattern) == whole.map(\.bitPattern), "cut at \(cut)")
        }
    }
}
