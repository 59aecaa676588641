import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("Percentile: the published float32 nearest rule and NumPy's linear rule")
struct PercentileTests {
    @Test("the spec's example: q = 90, n = 256 → descending index 26 in float32, 25 in float64")
    func publishedExample() {
        // f32(1 − f32(0.9)) = 0.100000024, · 255 = 25.500006 → 26; in float64 255·0.1 = 25.499999999999993 → 25.
        #expect(Percentile.nearestDescendingIndex(count: 256, percentile: 90) == 26)
        #expect(SortedPercentile.float64DescendingIndex(count: 256, percentile: 90) == 25)
    }

    /// The (n, q) pairs the spec lists as differing between float32 and float64 index arithmetic.
    static let differingPairs: [(Int, Double)] = [(256, 90), (4096, 90), (50176, 90), (50176, 98), (802816, 90), (3211264, 10)]

    @Test("float32 and float64 index arithmetic differ on the pairs the spec lists", arguments: differingPairs)
    func float32DiffersFromFloat64(_ n: Int, _ q: Double) {
        let library = Percentile.nearestDescendingIndex(count: n, percentile: q)
        #expect(library == SortedPercentile.nearestDescendingIndex(count: n, percentile: q))
        #expect(library != SortedPercentile.float64DescendingIndex(count: n, percentile: q))
    }

    @Test("nearest index: q = 0 is the minimum, q = 100 the maximum; half-even rounding")
    func nearestIndexEdges() {
        #expect(Percentile.nearestDescendingIndex(count: 10, percentile: 0) == 9)
        #expect(Percentile.nearestDescendingIndex(count: 10, percentile: 100) == 0)
        #expect(Percentile.nearestDescendingIndex(count: 1, percentile: 37) == 0)
        // 4·0.375 = 1.5 → 2 and 4·0.125 = 0.5 → 0 (half to even); 2·0.75 = 1.5 → 2.
        #expect(Percentile.nearestDescendingIndex(count: 5, percentile: 62.5) == 2)
        #expect(Percentile.nearestDescendingIndex(count: 5, percentile: 87.5) == 0)
        #expect(Percentile.nearestDescendingIndex(count: 3, percentile: 25) == 2)
    }

    @Test("q = 90 on 256 distinct scores picks d[26], and RectGrad passes exactly 26 units")
    func publishedExampleOnScores() throws {
        // Scores 1…256 shuffled: d[26] = 256 − 26 = 230.
        var generator = SeededGenerator(seed: 81)
        var scores = (1...256).map { Float($0) }
        scores.shuffle(using: &generator)
        var scratch = scores
        #expect(Percentile.value(of: &scratch, percentile: 90, interpolation: .nearestFloat32) == 230)

        // A 256-unit dense layer with a = score (z > 0) and R = 1: a·R = score.
        let z = try tensor([1, 256], scores)
        let r = Tensor(repeating: 1, shape: [1, 256])
        let rule = try RectGradRule(percentile: 90)
        let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
        #expect(try rule.thresholds(ActivationBackwardInput(preActivation: z, output: z, upstream: r, site: site)) == [230])
        let gradient = try activationGradient(z: z, upstream: r, rule: rule)
        #expect(gradient.scalars.filter { $0 != 0 }.count == 26)
        for (score, g) in zip(scores, gradient.scalars) { #expect(g == (score > 230 ? 1 : 0)) }
    }

    static let sizes = [1, 2, 3, 5, 16, 17, 31, 100, 257, 1000]
    static let percentiles: [Double] = [0, 0.5, 10, 50, 90, 98, 99.5, 100]

    @Test("Percentile.value equals a sort-based reference on arrays with many ties", arguments: sizes, PercentileInterpolation.allCases)
    func matchesSortedReference(_ n: Int, _ interpolation: PercentileInterpolation) {
        for seed in UInt64(1)...4 {
            let values = Self.tiedValues(count: n, seed: seed &+ UInt64(n) &* 100)
            for q in Self.percentiles {
                var scratch = values
                let actual = Percentile.value(of: &scratch, percentile: q, interpolation: interpolation)
                let expected = SortedPercentile.value(values, percentile: q, interpolation: interpolation)
                switch interpolation {
                case .nearestFloat32:
                    #expect(actual == expected, "n \(n), q \(q), seed \(seed)")
                case .linear:
                    // NumPy interpolates in float32, the library in Double: allow two float32 ulps.
                    #expect(abs(actual - expected) <= 2 * max(abs(expected), 1).ulp, "n \(n), q \(q), seed \(seed): \(actual) vs \(expected)")
                }
                #expect(scratch.sorted() == values.sorted(), "the scratch array must stay a permutation")
            }
        }
    }

    @Test("select returns every order statistic of an array with ties", arguments: [1, 7, 16, 17, 64, 300])
    func selectMatchesSort(_ n: Int) throws {
        let values = Self.tiedValues(count: n, seed: UInt64(n))
        let sorted = values.sorted()
        for rank in 0..<n {
            var scratch = values
            #expect(try Percentile.select(&scratch, rank: rank) == sorted[rank], "rank \(rank)")
        }
    }

    @Test("select refuses a rank outside the array")
    func selectRejectsRankOutOfRange() {
        var values: [Float] = [3, 1, 2]
        #expect(throws: TensorError.self) { try Percentile.select(&values, rank: 3) }
        #expect(throws: TensorError.self) { try Percentile.select(&values, rank: -1) }
        var empty: [Float] = []
        #expect(throws: TensorError.self) { try Percentile.select(&empty, rank: 0) }
    }

    @Test("linear interpolation on a hand case, and the empty array")
    func linearHandCase() {
        // NumPy: percentile([1, 2, 3, 4], 30) → position 0.9 → 1 + 0.9·1 = 1.9; q = 50 → 2.5.
        var values: [Float] = [4, 1, 3, 2]
        #expect(abs(Percentile.value(of: &values, percentile: 30, interpolation: .linear) - 1.9) < 1e-6)
        #expect(Percentile.value(of: &values, percentile: 50, interpolation: .linear) == 2.5)
        #expect(Percentile.value(of: &values, percentile: 100, interpolation: .linear) == 4)
        #expect(Percentile.value(of: &values, percentile: 0, interpolation: .linear) == 1)
        var empty: [Float] = []
        #expect(Percentile.value(of: &empty, percentile: 50, interpolation: .nearestFloat32).isNaN)
    }

    @Test("all-equal and two-valued arrays (worst cases for a partition)", arguments: [15, 16, 100, 1001])
    func degenerateArrays(_ n: Int) {
        for q in Self.percentiles {
            var equal = [Float](repeating: 0.5, count: n)
            #expect(Percentile.value(of: &equal, percentile: q, interpolation: .nearestFloat32) == 0.5)
            let twoValued = (0..<n).map { Float($0 % 2) }
            var scratch = twoValued
            #expect(Percentile.value(of: &scratch, percentile: q, interpolation: .nearestFloat32) == SortedPercentile.nearest(twoValued, percentile: q))
        }
    }

    @Test("selection with infinities matches a sort; with NaNs it terminates and returns an element")
    func nonFiniteScores() throws {
        var generator = SeededGenerator(seed: 99)
        for n in [5, 16, 40, 333] {
            var values = Self.tiedValues(count: n, seed: UInt64(n))
            for i in stride(from: 0, to: n, by: 5) { values[i] = generator.next() % 2 == 0 ? .infinity : -.infinity }
            for q in Self.percentiles {
                var scratch = values
                #expect(Percentile.value(of: &scratch, percentile: q, interpolation: .nearestFloat32) == SortedPercentile.nearest(values, percentile: q))
            }
            var withNaN = values
            for i in stride(from: 2, to: n, by: 3) { withNaN[i] = .nan }
            for rank in [0, n / 2, n - 1] {
                var scratch = withNaN
                let picked = try Percentile.select(&scratch, rank: rank)
                #expect(picked.isNaN || withNaN.contains(picked))
            }
        }
    }

    /// Values from a small set (halves between −3 and 3, zero most common): many ties.
    static func tiedValues(count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let g = generator.nextGaussian()
            return generator.next() % 3 == 0 ? 0 : Float((g * 2).rounded()) / 2
        }
    }
}
