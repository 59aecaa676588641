import RectGradCore

/// Errors raised by the gradient-check harness itself (not by the code under test).
public enum GradientCheckError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `Tape.backward` returned no gradient for leaf `index`.
    case missingGradient(index: Int)
    /// The gradient of leaf `index` does not have the leaf's shape.
    case gradientShapeMismatch(index: Int, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .missingGradient(let index):
            return "backward returned no gradient for leaf \(index)"
        case .gradientShapeMismatch(let index, let expected, let actual):
            return "gradient of leaf \(index) has shape \(actual), expected \(expected)"
        }
    }
}

/// Checks ``Tape/backward(from:seed:withRespectTo:rules:)`` against central finite differences.
///
/// The checked function is the scalar `Σ seed · y`, with `y` the value `build` records and `seed`
/// a fixed random normal tensor of `y`'s shape; the sum is accumulated in Double. Each leaf is
/// perturbed element by element and the forward pass is re-recorded on a fresh tape.
public enum GradientCheck {
    /// The largest relative error (see ``FiniteDifference/maximumRelativeError(_:_:scale:)``) of
    /// the tape's gradient for each leaf, in the order of `leaves`.
    ///
    /// - Parameters:
    ///   - leaves: the values differentiated; the first is recorded as an input, the others as parameters.
    ///   - seed: seeds the random normal backward seed.
    ///   - step: the finite-difference step; keep it below the distance of every input to a kink.
    ///   - scale: gradients smaller than this are compared absolutely.
    ///   - rules: the backward rules (the plain gradient unless told otherwise).
    ///   - build: records the function on a tape from the leaves' variables and returns its output.
    public static func maximumRelativeErrors(
        leaves: [Tensor],
        seed: UInt64 = 0x5EED,
        step: Float = 1e-2,
        scale: Double = 1e-2,
        rules: BackwardRules = .gradient,
        build: (Tape, [Variable]) throws -> Variable
    ) throws -> [Double] {
        let tape = Tape()
        let variables = record(leaves, on: tape)
        let output = try build(tape, variables)
        let backwardSeed = Tensor.randomNormal(try tape.shape(output), seed: seed)
        let result = try tape.backward(from: output, seed: backwardSeed, withRespectTo: variables, rules: rules)

        var errors: [Double] = []
        for (index, leaf) in leaves.enumerated() {
            guard let analytic = result[variables[index]] else { throw GradientCheckError.missingGradient(index: index) }
            guard analytic.shape == leaf.shape else {
                throw GradientCheckError.gradientShapeMismatch(index: index, expected: leaf.shape, actual: analytic.shape)
            }
            let numeric = try FiniteDifference.gradient(of: { probe in
                var values = leaves
                values[index] = probe
                let probeTape = Tape()
                let probeOutput = try build(probeTape, record(values, on: probeTape))
                return FiniteDifference.dot(try probeTape.value(probeOutput), backwardSeed)
            }, at: leaf, step: step)
            errors.append(FiniteDifference.maximumRelativeError(analytic.scalars, numeric, scale: scale))
        }
        return errors
    }

    private static func record(_ leaves: [Tensor], on tape: Tape) -> [Variable] {
        leaves.enumerated().map { index, value in
            index == 0 ? tape.input(value, name: "leaf0") : tape.parameter(value, name: "leaf\(index)")
        }
    }
}
