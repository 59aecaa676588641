import Testing
import RectGradCore
import _RectGradTestSupport

/// The order-statistic engine at real layer sizes: the plain selection (`Percentile.value`), RectGrad's
/// thresholds and its fused backward pass, signed and absolute importance, both interpolations —
/// each against a full sort. Sizes below 2,048 are selected directly, larger ones are bracketed
/// (400k units split the pass across workers); the data have many ties.
@Suite("Order statistics against a sort at layer sizes")
struct OrderStatisticEngineTests {
    /// `(examples, units per example)`.
    static let layouts: [(Int, Int)] = [(1, 2047), (1, 2048), (1, 5000), (1, 100_003), (8, 4096), (1, 401_408)]
    static let percentiles: [Double] = [0, 0.5, 10, 50, 90, 98, 99.5, 100]

    /// How activations and upstream gradients are drawn.
    enum Data: String, CaseIterable, CustomTestStringConvertible {
        /// `a = max(g, 0)`, `R = g'`: half the importances tie at zero.
        case relu
        /// `a` in {0, ¼, ½, ¾, 1}, `R = ±1`: a handful of distinct values.
        case fewValues
        /// `a = 1`, `R = ½` everywhere.
        case allEqual
        /// Nine units in ten inactive, the rest `±g`.
        case mostlyZero

        var testDescription: String { rawValue }

        func draw(count: Int, seed: UInt64) -> (a: [Float], r: [Float]) {
            var generator = SeededGenerator(seed: seed)
            var a = [Float](repeating: 0, count: count), r = [Float](repeating: 0, count: count)
            for i in 0..<count {
                switch self {
                case .relu:
                    a[i] = max(Float(generator.nextGaussian()), 0)
                    r[i] = Float(generator.nextGaussian()) * 0.01
                case .fewValues:
                    a[i] = Float(generator.next() % 5) / 4
                    r[i] = generator.next() % 2 == 0 ? 1 : -1
                case .allEqual:
                    a[i] = 1
                    r[i] = 0.5
                case .mostlyZero:
                    a[i] = generator.next() % 10 == 0 ? abs(Float(generator.nextGaussian())) : 0
                    r[i] = Float(generator.nextGaussian())
                }
            }
            return (a, r)
        }
    }

    /// The percentile of `ascending` (sorted) by definition: the published nearest rule's element,
    /// or the Double lerp between the two closest ranks.
    static func reference(_ ascending: [Float], percentile q: Double, interpolation: PercentileInterpolation) -> Float {
        let n = ascending.count
        switch interpolation {
        case .nearestFloat32:
            return ascending[n - 1 - SortedPercentile.nearestDescendingIndex(count: n, percentile: q)]
        case .linear:
            let position = q / 100 * Double(n - 1)
            let lower = Int(position.rounded(.down))
            let fraction = position - Double(lower)
            guard fraction > 0 else { return ascending[lower] }
            return Float(Double(ascending[lower]) + (Double(ascending[lower + 1]) - Double(ascending[lower])) * fraction)
        }
    }

    @Test("Percentile.value equals a sort", arguments: layouts.map { $0.0 * $0.1 }, Data.allCases)
    func plainSelection(_ n: Int, _ data: Data) {
        let (a, r) = data.draw(count: n, seed: UInt64(n))
        let scores = zip(a, r).map { $0 * $1 }
        let ascending = scores.sorted()
        for interpolation in PercentileInterpolation.allCases {
            for q in Self.percentiles {
                var scratch = scores
                let actual = Percentile.value(of: &scratch, percentile: q, interpolation: interpolation)
                #expect(actual == Self.reference(ascending, percentile: q, interpolation: interpolation), "n \(n), q \(q), \(interpolation)")
            }
        }
    }

    @Test("RectGrad's thresholds and backward equal a sort-based mask", arguments: layouts.indices, Data.allCases)
    func rectGrad(_ layout: Int, _ data: Data) throws {
        let (examples, units) = Self.layouts[layout]
        let (a, r) = data.draw(count: examples * units, seed: UInt64(examples * units) &+ 7)
        let shape = [examples, units]
        let output = try tensor(shape, a)
        let input = ActivationBackwardInput(preActivation: output, output: output, upstream: try tensor(shape, r), site: ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu))
        for importance in ImportanceScore.allCases {
            let scores = zip(a, r).map { importance == .absolute ? abs($0 * $1) : $0 * $1 }
            let ascending = (0..<examples).map { Array(scores[($0 * units)..<(($0 + 1) * units)]).sorted() }
            for interpolation in PercentileInterpolation.allCases {
                for q in Self.percentiles {
                    let rule = try RectGradRule(percentile: q, importance: importance, interpolation: interpolation)
                    let expected = ascending.map { Self.reference($0, percentile: q, interpolation: interpolation) }
                    let label = "\(examples)×\(units), q \(q), \(importance), \(interpolation)"
                    #expect(try rule.thresholds(input) == expected, "\(label)")
                    let gradient = try rule.backward(input).scalars
                    var mismatches = 0
                    for i in 0..<(examples * units) where gradient[i] != (scores[i] > expected[i / units] ? r[i] : 0) { mismatches += 1 }
                    #expect(mismatches == 0, "\(label): \(mismatches) units differ from R · 1[score > t]")
                }
            }
        }
    }

    @Test("NaN scores are ordered after every number")
    func notANumber() throws {
        for n in [100, 5000] {
            var values = (0..<n).map { Float($0 % 37) }
            for i in stride(from: 3, to: n, by: 10) { values[i] = .nan }
            let numbers = values.filter { !$0.isNaN }.sorted()
            for rank in [0, numbers.count / 2, numbers.count - 1] {
                var scratch = values
                #expect(try Percentile.select(&scratch, rank: rank) == numbers[rank], "n \(n), rank \(rank)")
            }
            var scratch = values
            #expect(try Percentile.select(&scratch, rank: n - 1).isNaN)
        }
    }
}
