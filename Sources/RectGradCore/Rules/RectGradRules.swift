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
/// Outside the ReLU family the passed gradient is `R · f'(z) · 1[a·R > t]`.
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

    /// The per-example thresholds this rule uses for the given input.
    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` unless `z`, `a` and `R` share a shape.
    public func thresholds(_ input: ActivationBackwardInput) throws(RuleError) -> [Float] {
        try input.validateShapes(rule: description)
        var result = [Float](repeating: .nan, count: input.exampleCount)
        result.withUnsafeMutableBufferPointer { thresholds in
            forEachExample(input) { example, a, r, workers in
                let units = input.unitsPerExample
                thresholds[example] = switch importance {
                case .signed: threshold(SignedImportance(a: a, r: r), units: units, workers: workers)
                case .absolute: threshold(AbsoluteImportance(a: a, r: r), units: units, workers: workers)
                }
            }
        }
        return result
    }

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.validateShapes(rule: description)
        let units = input.unitsPerExample, count = input.output.count
        // The examples may run on other threads, which do not see the task's pool: pass it along.
        let scratch = TensorBufferPool.current
        let gradient = Tensor.uninitializedStorage(count: count) { y in
            if let y = y.baseAddress {
                forEachExample(input) { example, a, r, workers in
                    let y = y + example * units
                    switch importance {
                    case .signed: passAboveThreshold(SignedImportance(a: a, r: r), r: r, into: y, units: units, workers: workers, scratch: scratch)
                    case .absolute: passAboveThreshold(AbsoluteImportance(a: a, r: r), r: r, into: y, units: units, workers: workers, scratch: scratch)
                    }
                }
            }
        }
        let passed = Tensor(uncheckedShape: input.preActivationShape, scalars: gradient)
        if input.site.kind.isReLUFamily { return passed }
        return try input.multiplyingByDerivative(passed, rule: description)
    }

    /// One example's threshold: the percentile of its importances.
    private func threshold<Importance: ScoreSource>(_ importance: Importance, units: Int, workers: Workers) -> Float {
        Percentile.value(of: importance, count: units, at: RankPosition(count: units, percentile: percentile, interpolation: interpolation), workers: workers)
    }

    /// One example's gradient, as the spec reads: `t` = the q-th percentile of the importances over
    /// the example's units; `R` where the importance exceeds `t` (strictly), else 0. (On large
    /// layers one pass finds `t` and writes most of the gradient: ``RectGradFusedPass``.)
    private func passAboveThreshold<Importance: ScoreSource>(_ importance: Importance, r: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, units: Int, workers: Workers, scratch: TensorBufferPool?) {
        let threshold = RankPosition(count: units, percentile: percentile, interpolation: interpolation)
        RectGradFusedPass.passAbovePercentile(importance, r: r, into: y, count: units, at: threshold, workers: workers, scratch: scratch)
    }

    /// Calls `body(example, a, R, workers)` for every example: examples in parallel when there are
    /// several per worker (each with ``Workers/serial``), else one after the other, each split
    /// across the input's workers.
    private func forEachExample(_ input: ActivationBackwardInput, _ body: (Int, UnsafePointer<Float>, UnsafePointer<Float>, Workers) -> Void) {
        let n = input.exampleCount, units = input.unitsPerExample
        guard units > 0 else { return }
        let (outer, inner) = input.workers.split(examples: n)
        input.output.withUnsafeBufferPointer { a in
            input.upstream.withUnsafeBufferPointer { r in
                guard let a = a.baseAddress, let r = r.baseAddress else { return }
                outer.forEach(items: n) { _, example in
                    body(example, a + example * units, r + example * units, inner)
                }
            }
        }
    }

    public var description: String {
        var text = "rectgrad(q=\(formatNumber(percentile))"
        if importance == .absolute { text += ", absolute" }
        if interpolation == .linear { text += ", linear" }
        return text + ")"
    }
}

/// RectGrad with a constant threshold: `R · 1[a·R > τ]` (outside the ReLU family
/// `R · f'(z) · 1[a·R > τ]`). With τ = 0 it equals guided backprop at every ReLU.
public struct RectGradConstantRule: ActivationRule {
    /// The threshold τ (default 0).
    public var tau: Float
    /// Signed (default) or absolute importance.
    public var importance: ImportanceScore

    /// Creates the rule.
    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` for a τ that is NaN or infinite.
    public init(tau: Float = 0, importance: ImportanceScore = .signed) throws(RuleError) {
        guard tau.isFinite else { throw .invalidParameter(rule: "rectgrad-const", reason: "tau must be finite, got \(tau)") }
        self.tau = tau
        self.importance = importance
    }

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        let t = Elementwise.Vector(repeating: tau)
        let passed = importance == .absolute
            ? try input.vectorised(rule: description, AbsoluteThresholdLanes(threshold: t))
            : try input.vectorised(rule: description, SignedThresholdLanes(threshold: t))
        if input.site.kind.isReLUFamily { return passed }
        return try input.multiplyingByDerivative(passed, rule: description)
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
    static var readsZOnlyThroughReLUMask: Bool { true }
}

/// `R` where `|a · R| > t` (strictly), else 0.
struct AbsoluteThresholdLanes: LaneFunction3 {
    let threshold: Elementwise.Vector
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector, _ a: Elementwise.Vector, _ r: Elementwise.Vector) -> Elementwise.Vector {
        r.replacing(with: 0, where: .!(Elementwise.magnitude(a * r) .> threshold))
    }
    static var readsZOnlyThroughReLUMask: Bool { true }
}

/// Formats a parameter without a trailing `.0`.
func formatNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
