import Testing
import RectGradCore
import _RectGradTestSupport

/// A rule paired with its naive loop version.
struct RuleCase: Sendable, CustomTestStringConvertible {
    var rule: NaiveRule
    /// For DeepLIFT: whether the reference pass has batch 1 (broadcast) or the full batch.
    var broadcastReference = false

    var testDescription: String { "\(rule)\(broadcastReference ? " (batch-1 reference)" : "")" }

    static let all: [RuleCase] = [
        .init(rule: .gradient),
        .init(rule: .guided),
        .init(rule: .deconvnet),
        .init(rule: .rectGrad(percentile: 98, importance: .signed, interpolation: .nearestFloat32)),
        .init(rule: .rectGrad(percentile: 90, importance: .signed, interpolation: .nearestFloat32)),
        .init(rule: .rectGrad(percentile: 50, importance: .signed, interpolation: .nearestFloat32)),
        .init(rule: .rectGrad(percentile: 0, importance: .signed, interpolation: .nearestFloat32)),
        .init(rule: .rectGrad(percentile: 100, importance: .signed, interpolation: .nearestFloat32)),
        .init(rule: .rectGrad(percentile: 80, importance: .absolute, interpolation: .nearestFloat32)),
        .init(rule: .rectGrad(percentile: 75, importance: .signed, interpolation: .linear)),
        .init(rule: .rectGrad(percentile: 33.3, importance: .absolute, interpolation: .linear)),
        .init(rule: .rectGradConstant(tau: 0, importance: .signed)),
        .init(rule: .rectGradConstant(tau: -0.2, importance: .signed)),
        .init(rule: .rectGradConstant(tau: 0.3, importance: .absolute)),
        .init(rule: .epsilonLRP(epsilon: 1e-4)),
        .init(rule: .epsilonLRP(epsilon: 0.1)),
        .init(rule: .deepLIFT, broadcastReference: false),
        .init(rule: .deepLIFT, broadcastReference: true),
    ]
}

@Suite("Activation rules against per-element loop versions")
struct RuleReferenceTests {
    /// Conv maps `[N, C, H, W]` and dense `[N, F]`, N up to 3 so per-example thresholds matter.
    static let shapes: [[Int]] = [[1, 3, 4, 4], [2, 3, 4, 4], [3, 2, 5, 3], [3, 8, 2, 2], [1, 7], [3, 10], [2, 256], [3, 1]]

    @Test("each rule equals its loop version", arguments: RuleCase.all, shapes)
    func ruleMatchesNaive(_ c: RuleCase, _ shape: [Int]) throws {
        for seed in UInt64(1)...3 {
            for kind in NaiveActivation.kinds {
                try compare(c, shape: shape, kind: kind, seed: seed &* 1000 &+ UInt64(shape.reduce(1, *)))
            }
        }
    }

    private func compare(_ c: RuleCase, shape: [Int], kind: ActivationKind, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        // ReLU6 maps and the piecewise kinds get a wider spread so that some units saturate.
        let spread: Float = switch kind {
        case .relu6, .clip, .hardSigmoid, .hardSwish: 4
        case .relu: 1
        default: 2
        }
        var z = Tensor.randomNormal(shape, standardDeviation: spread, generator: &generator)
        // Some exact zeros in z and R: ties in the importance scores beyond the inactive units.
        var r = Tensor.randomNormal(shape, generator: &generator)
        for i in stride(from: 0, to: z.count, by: 7) { z[flat: i] = 0 }
        for i in stride(from: 3, to: r.count, by: 5) { r[flat: i] = 0 }
        let a = kind.forward(z)

        var reference: ReferenceActivations?
        var naiveReference: (z0: Tensor, a0: Tensor)?
        if case .deepLIFT = c.rule {
            let referenceShape = c.broadcastReference ? [1] + shape.dropFirst() : shape
            var z0 = Tensor.randomNormal(referenceShape, standardDeviation: spread, generator: &generator)
            // A few reference units equal to z (or within 1e-5 of it): the midpoint branch.
            for i in stride(from: 2, to: z0.count, by: 4) { z0[flat: i] = z[flat: i] + (i % 8 == 2 ? 0 : 4e-6) }
            let tape = Tape()
            _ = try tape.activation(tape.input(z0), kind: kind)
            reference = ReferenceActivations(recordedOn: tape)
            naiveReference = (z0, kind.forward(z0))
        }

        let actual = try activationGradient(z: z, upstream: r, kind: kind, rule: c.rule.libraryRule(reference: reference))
        let expected = c.rule.apply(kind: kind, z: z, a: a, r: r, reference: naiveReference)
        let comment: Comment = "\(c.testDescription), \(kind), shape \(shape), seed \(seed)"
        if c.rule.isExact(at: kind) {
            expectEqual(actual, expected, comment)
        } else {
            expectClose(actual, expected, absolute: 1e-6, relative: 1e-5, comment)
        }
    }

    @Test("RectGrad's per-example thresholds equal sort-based percentiles", arguments: [[3, 4, 3, 3], [3, 50]])
    func thresholdsMatchSortedPercentiles(_ shape: [Int]) throws {
        let z = Tensor.randomNormal(shape, seed: 101)
        let r = Tensor.randomNormal(shape, seed: 102)
        let a = ActivationKind.relu.forward(z)
        let input = ActivationBackwardInput(preActivation: z, output: a, upstream: r, site: ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu))
        let units = z.count / shape[0]
        for q in [0, 10, 50, 90, 98, 100.0] {
            for interpolation in PercentileInterpolation.allCases {
                for importance in ImportanceScore.allCases {
                    let rule = try RectGradRule(percentile: q, importance: importance, interpolation: interpolation)
                    let expected = (0..<shape[0]).map { n in
                        let scores = ((n * units)..<((n + 1) * units)).map { i -> Float in
                            let s = a.scalars[i] * r.scalars[i]
                            return importance == .absolute ? abs(s) : s
                        }
                        return SortedPercentile.value(scores, percentile: q, interpolation: interpolation)
                    }
                    let actual = try rule.thresholds(input)
                    #expect(actual.count == shape[0])
                    for (t, e) in zip(actual, expected) {
                        #expect(abs(t - e) <= 2 * max(abs(e), 1).ulp, "q \(q), \(interpolation), \(importance)")
                    }
                }
            }
        }
    }
}
