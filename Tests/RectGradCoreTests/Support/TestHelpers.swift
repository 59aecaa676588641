import Testing
import RectGradCore
import _RectGradTestSupport

/// A tensor from a literal shape and elements (the test fails if they disagree).
func tensor(_ shape: [Int], _ scalars: [Float], sourceLocation: SourceLocation = #_sourceLocation) throws -> Tensor {
    try #require(try? Tensor(shape: shape, scalars: scalars), "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)", sourceLocation: sourceLocation)
}

/// Expects equal shapes and element-wise closeness (`|a − b| ≤ absolute + relative·|b|`).
func expectClose(
    _ actual: Tensor, _ expected: Tensor,
    absolute: Float = 1e-5, relative: Float = 1e-4,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, comment, sourceLocation: sourceLocation)
    let close = actual.isApproximatelyEqual(to: expected, absoluteTolerance: absolute, relativeTolerance: relative)
    #expect(close, "\(comment.map { "\($0): " } ?? "")max |difference| \(actual.maximumAbsoluteDifference(to: expected))\nactual   \(actual.scalars.prefix(24))\nexpected \(expected.scalars.prefix(24))", sourceLocation: sourceLocation)
}

/// Expects exactly equal shapes and elements (`-0 == 0`).
func expectEqual(_ actual: Tensor, _ expected: Tensor, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, comment, sourceLocation: sourceLocation)
    let differing = zip(actual.scalars, expected.scalars).filter { $0 != $1 }.count
    let equal = actual.scalars == expected.scalars
    #expect(equal, "\(comment.map { "\($0): " } ?? "")\(differing) elements differ (max |difference| \(actual.maximumAbsoluteDifference(to: expected)))", sourceLocation: sourceLocation)
}

/// The gradient a single activation hands to its pre-activation `z` under `rules`, through the tape:
/// `z → activation → backward(seed: upstream)`.
func activationGradient(z: Tensor, upstream: Tensor, kind: ActivationKind = .relu, rules: BackwardRules, sourceLocation: SourceLocation = #_sourceLocation) throws -> Tensor {
    let tape = Tape()
    let x = tape.input(z)
    let a = try tape.activation(x, kind: kind, name: "act")
    let result = try tape.backward(from: a, seed: upstream, withRespectTo: [x], rules: rules)
    #expect(result.report.activationNodesHandled == 1, sourceLocation: sourceLocation)
    return try #require(result[x], sourceLocation: sourceLocation)
}

/// The same, with `rule` at the activation.
func activationGradient(z: Tensor, upstream: Tensor, kind: ActivationKind = .relu, rule: any ActivationRule, sourceLocation: SourceLocation = #_sourceLocation) throws -> Tensor {
    try activationGradient(z: z, upstream: upstream, kind: kind, rules: BackwardRules(activation: rule), sourceLocation: sourceLocation)
}

/// Expects `body` to throw ``TapeError/operationFailed(layer:_:)`` naming `layer`.
func expectOperationFailed(layer: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected TapeError.operationFailed(layer: \(layer)), nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        guard case .operationFailed(let failedLayer, _) = error as? TapeError else {
            Issue.record("expected TapeError.operationFailed, got \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(failedLayer == layer, sourceLocation: sourceLocation)
    }
}
