import Foundation
import RectGradCore

/// Which function of the logits `S` explains for each example's target class `t`.
public enum ExplainedOutput: Sendable, Equatable, CustomStringConvertible {
    /// The pre-softmax logit `z_t` (the spec's default).
    case logit
    /// The softmax probability `p_t`.
    case probability
    /// The log-probability `log p_t = z_t − log Σ_k exp z_k`.
    case logProbability
    /// The contrast `z_t − z_c` with another class `c`: one class for every example or one per example.
    case logitDifference(against: [Int])

    /// Checks the contrast classes against the class count and the number of examples.
    /// - Throws: ``AttributionError/targetOutOfRange(example:target:classCount:)`` or
    ///   ``AttributionError/targetCountMismatch(examples:targets:)``.
    func validate(examples: Int, classCount: Int) throws(AttributionError) {
        guard case .logitDifference(let others) = self else { return }
        guard others.count == 1 || others.count == examples else { throw .targetCountMismatch(examples: examples, targets: others.count) }
        for (example, other) in others.enumerated() where other < 0 || other >= classCount {
            throw .targetOutOfRange(example: example, target: other, classCount: classCount)
        }
    }

    /// The contrast class of `example`.
    func other(of example: Int) -> Int? {
        guard case .logitDifference(let others) = self, !others.isEmpty else { return nil }
        return others.count == 1 ? others[0] : others[example]
    }

    /// The softmax of one row (in Double, shifted by the maximum).
    static func softmax(_ row: [Double]) -> [Double] {
        let top = row.max() ?? 0
        let exponentials = row.map { Foundation.exp($0 - top) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }

    /// `S` of one example's logits row.
    func score(_ row: [Double], target: Int, example: Int) -> Double {
        switch self {
        case .logit: return row[target]
        case .probability: return Self.softmax(row)[target]
        case .logProbability:
            let top = row.max() ?? 0
            return row[target] - top - Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
        case .logitDifference: return row[target] - row[other(of: example) ?? target]
        }
    }

    /// `dS/dz` for one example's logits row: the seed of its backward pass.
    func seed(_ row: [Double], target: Int, example: Int) -> [Float] {
        var gradient = [Double](repeating: 0, count: row.count)
        switch self {
        case .logit:
            gradient[target] = 1
        case .probability:
            let p = Self.softmax(row)
            for k in 0..<row.count { gradient[k] = p[target] * ((k == target ? 1 : 0) - p[k]) }
        case .logProbability:
            let p = Self.softmax(row)
            for k in 0..<row.count { gradient[k] = (k == target ? 1 : 0) - p[k] }
        case .logitDifference:
            gradient[target] += 1
            gradient[other(of: example) ?? target] -= 1
        }
        return gradient.map { Float($0) }
    }

    public var description: String {
        switch self {
        case .logit: return "logit"
        case .probability: return "probability"
        case .logProbability: return "log-probability"
        case .logitDifference(let others): return "logit difference against class \(others.map(String.init).joined(separator: ","))"
        }
    }
}
