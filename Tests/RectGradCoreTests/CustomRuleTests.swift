import Testing
import RectGradCore

/// The rule of the DocC article "Writing your own backward rule", kept compiling and correct here.
private struct ActiveAboveRule: ActivationRule {
    var level: Float

    func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        let level = self.level
        return try input.elementwise { z, a, r in (z > 0 && a > level) ? r : 0 }
    }

    var description: String { "active-above(\(level))" }
}

@Test func customRuleReplacesTheActivationBackwardOnSelectedLayers() throws {
    let tape = Tape()
    // z = [-1, 0.25, 2, 3]; the first ReLU ("features.1") uses the custom rule, the second ("head") the gradient.
    let x = tape.input(try Tensor(shape: [1, 4], scalars: [-1, 0.25, 2, 3]))
    let first = try tape.relu(x, name: "features.1")
    let second = try tape.relu(first, name: "head")
    let rules = BackwardRules(activation: GradientRule()).overriding(.namePrefix("features."), with: ActiveAboveRule(level: 0.5))
    let result = try tape.backward(from: second, seed: Tensor(repeating: 1, shape: [1, 4]), withRespectTo: [x], rules: rules)
    // head: gradient passes where a > 0 → [0, 1, 1, 1]; features.1: only a > 0.5 → [0, 0, 1, 1].
    #expect(result[x]?.scalars == [0, 0, 1, 1])
    #expect(result.report.activationNodesByRule == ["active-above(0.5)": 1, "gradient": 1])
}
