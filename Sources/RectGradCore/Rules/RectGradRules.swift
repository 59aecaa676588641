/// How RectGrad scores a unit.
public enum ImportanceScore: String, Hashable, Sendable, CaseIterable {
    /// `a · R` (the paper's definition).
    case signed
    /// `|a · R|`.
    case absolute
}

/// Rectified Gradient (Kim et al., 2019): `R · 1[a·R > t]` where `t` is the q-th percentile of the
/// importance scores over all units of the layer **for that example**, with a strict `>`.
///
/// Has no explicit `1[z > 0]`: an inactive unit has importance 0 and passes only when `t < 0`.
public struct RectGradRule: ActivationRule {
    /// The percentile q in [0, 100] (default 98).
    public var percentile: Double
    /// Signed (`a·R`, default) or absolute importance.
    public var importance: ImportanceScore
    /// How the percentile is read (default: the published float32 nearest rule).
    public var interpolation: PercentileInterpolation

    /// Creates the rule. - Throws: ``RuleError/invalidParameter(rule:reason:)`` when q is outside [0, 100].
    public init(percentile: Double = 98, importance: ImportanceScore = .signed, interpolation: PercentileInterpolation = .nearestFloat32) throws(RuleError) {
        guard percentile.isFinite, percentile >= 0, percentile <= 100 else {
            throw .invalidParameter(rule: "rectgrad", reason: "percentile must be in [0, 100], got \(percentile)")
        }
        self.percentile = percentile
        self.importance = importance
        self.interpolation = interpolation
    }

    /// The per-example thresholds this rule uses for the given input (empty when `z`, `a` and `R`
    /// do not share a shape; ``backward(_:)`` throws then).
    public func thresholds(_ input: ActivationBackwardInput) -> [Float] {
        guard (try? input.validateShapes(rule: description)) != nil else { return [] }
        return computeThresholds(input)
    }

    /// One threshold per example: examples in parallel when there are several per worker, else
    /// each example's selection split across the workers.
    private func computeThresholds(_ input: ActivationBackwardInput) -> [Float] {
        let n = input.exampleCount, units = input.unitsPerExample
        guard units > 0 else { return [Float](repeating: .nan, count: n) }
        let (outer, inner) = input.workers.split(examples: n)
        var result = [Float](repeating: 0, count: n)
        input.output.withUnsafeBufferPointer { a in
            input.upstream.withUnsafeBufferPointer { r in
                result.withUnsafeMutableBufferPointer { thresholds in
                    guard let a = a.baseAddress, let r = r.baseAddress, let thresholds = thresholds.baseAddress else { return }
                    outer.forEach(items: n) { _, example in
                        thresholds[example] = threshold(a: a + example * units, r: r + example * units, units: units, workers: inner)
                    }
                }
            }
        }
        return result
    }

    /// The percentile of one example's importances.
    private func threshold(a: UnsafePointer<Float>, r: UnsafePointer<Float>, units: Int, workers: Workers) -> Float {
        let rank = units - 1 - Percentile.nearestDescendingIndex(count: units, percentile: percentile)
        if interpolation == .nearestFloat32 {
            let bracketed = importance == .absolute
                ? Percentile.orderStatistic(AbsoluteImportance(a: a, r: r), count: units, rank: rank, workers: workers)
                : Percentile.orderStatistic(SignedImportance(a: a, r: r), count: units, rank: rank, workers: workers)
            if let bracketed { return bracketed }
        }
        // Small layers, NaN scores, a missed bracket, or linear interpolation: select in the scores.
        let absolute = importance == .absolute
        var scores = [Float](unsafeUninitializedCapacity: units) { buffer, initialized in
            for i in 0..<units {
                let score = a[i] * r[i]
                buffer[i] = absolute ? abs(score) : score
            }
            initialized = units
        }
        if interpolation == .nearestFloat32 { return Percentile.selectUnchecked(&scores, rank: rank) }
        return Percentile.value(of: &scores, percentile: percentile, interpolation: interpolation, workers: workers)
    }

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.validateShapes(rule: description)
        let n = input.exampleCount, units = input.unitsPerExample
        let (outer, inner) = input.workers.split(examples: n)
        let rank = units - 1 - Percentile.nearestDescendingIndex(count: units, percentile: percentile)
        let count = n * units
        let result = input.output.withUnsafeBufferPointer { a in
            input.upstream.withUnsafeBufferPointer { r in
                [Float](unsafeUninitializedCapacity: count) { y, initialized in
                    if let a = a.baseAddress, let r = r.baseAddress, let y = y.baseAddress {
                        outer.forEach(items: n) { _, example in
                            let offset = example * units
                            backward(a: a + offset, r: r + offset, into: y + offset, units: units, rank: rank, workers: inner)
                        }
                    }
                    initialized = count
                }
            }
        }
        return Tensor(uncheckedShape: input.preActivation.shape, scalars: result)
    }

    /// One example's gradient: the fused pass where it applies (the float32 nearest rule on a
    /// large enough layer), else the threshold, then the mask.
    private func backward(a: UnsafePointer<Float>, r: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, units: Int, rank: Int, workers: Workers) {
        let absolute = importance == .absolute
        if interpolation == .nearestFloat32 {
            let done = absolute
                ? RectGradFusedPass.run(AbsoluteImportance(a: a, r: r), r: r, into: y, count: units, rank: rank, workers: workers)
                : RectGradFusedPass.run(SignedImportance(a: a, r: r), r: r, into: y, count: units, rank: rank, workers: workers)
            if done { return }
        }
        // R where the importance exceeds the threshold (strictly), else 0.
        let t = Elementwise.Vector(repeating: threshold(a: a, r: r, units: units, workers: workers))
        let mask: (Range<Int>) -> Void = { range in
            if absolute {
                let lanes = AbsoluteThresholdLanes(threshold: t)
                Elementwise.apply(range, a, r, into: y) { a, r in lanes(a, a, r) }
            } else {
                let lanes = SignedThresholdLanes(threshold: t)
                Elementwise.apply(range, a, r, into: y) { a, r in lanes(a, a, r) }
            }
        }
        workers.forRanges(count: units, mask)
    }

    public var description: String {
        var text = "rectgrad(q=\(formatNumber(percentile))"
        if importance == .absolute { text += ", absolute" }
        if interpolation == .linear { text += ", linear" }
        return text + ")"
    }
}

/// RectGrad with a constant threshold: `R · 1[a·R > τ]`. With τ = 0 it equals guided backprop
/// at every activation.
public struct RectGradConstantRule: ActivationRule {
    /// The threshold τ (default 0).
    public var tau: Float
    /// Signed (default) or absolute importance.
    public var importance: ImportanceScore

    /// Creates the rule. - Throws: ``RuleError/invalidParameter(rule:reason:)`` for a NaN τ.
    public init(tau: Float = 0, importance: ImportanceScore = .signed) throws(RuleError) {
        guard !tau.isNaN else { throw .invalidParameter(rule: "rectgrad-const", reason: "tau must not be NaN") }
        self.tau = tau
        self.importance = importance
    }

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        let t = Elementwise.Vector(repeating: tau)
        if importance == .absolute { return try input.vectorised(rule: description, AbsoluteThresholdLanes(threshold: t)) }
        return try input.vectorised(rule: description, SignedThresholdLanes(threshold: t))
    }

    public var description: String {
        "rectgrad-const(tau=\(formatNumber(Double(tau)))\(importance == .absolute ? ", absolute" : ""))"
    }
}

/// `R` where `a · R > t` (strictly), else 0.
struct SignedThresholdLanes: LaneFunction3 {
    let threshold: Elementwise.Vector
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector {
        r.replacing(with: 0, where: .!(a * r .> threshold))
    }
}

/// `R` where `|a · R| > t` (strictly), else 0.
struct AbsoluteThresholdLanes: LaneFunction3 {
    let threshold: Elementwise.Vector
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector {
        r.replacing(with: 0, where: .!(Elementwise.magnitude(a * r) .> threshold))
    }
}

/// Formats a parameter without a trailing `.0`.
func formatNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
