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
        let n = input.exampleCount, units = input.unitsPerExample
        var scores = [Float](repeating: 0, count: units)
        var result = [Float]()
        result.reserveCapacity(n)
        input.output.withUnsafeBufferPointer { a in
            input.upstream.withUnsafeBufferPointer { r in
                for example in 0..<n {
                    let base = example * units
                    for i in 0..<units {
                        let score = a[base + i] * r[base + i]
                        scores[i] = importance == .absolute ? abs(score) : score
                    }
                    result.append(Percentile.value(of: &scores, percentile: percentile, interpolation: interpolation))
                }
            }
        }
        return result
    }

    public func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        try input.validateShapes(rule: description)
        let thresholds = thresholds(input)
        let units = input.unitsPerExample
        let useAbsolute = importance == .absolute
        var result = [Float](repeating: 0, count: input.preActivation.count)
        input.output.withUnsafeBufferPointer { a in
            input.upstream.withUnsafeBufferPointer { r in
                for (example, t) in thresholds.enumerated() {
                    let base = example * units
                    for i in base..<(base + units) {
                        let score = a[i] * r[i]
                        if (useAbsolute ? abs(score) : score) > t { result[i] = r[i] }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: input.preActivation.shape, scalars: result)
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
        try input.validateShapes(rule: description)
        let t = tau, useAbsolute = importance == .absolute
        return try input.elementwise { _, a, r in
            let score = a * r
            return (useAbsolute ? abs(score) : score) > t ? r : 0
        }
    }

    public var description: String {
        "rectgrad-const(tau=\(formatNumber(Double(tau)))\(importance == .absolute ? ", absolute" : ""))"
    }
}

/// Formats a parameter without a trailing `.0`.
func formatNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
