import Testing
import RectGradCore
import RectGradLayers

@Suite struct OptimizerTests {
    private static func initial() throws -> [NamedParameter] {
        [NamedParameter(name: "w", value: try Tensor(shape: [2], scalars: [1, -2]))]
    }

    /// Two Adam steps by hand (lr 0.1): step 1 moves each weight by lr · sign(g); step 2 has
    /// m = 0.9·0.1·g₁ + 0.1·g₂ = (0.065, 0.021), v = 0.999·0.001·g₁² + 0.001·g₂² = (2.8975e-4, 9.999e-5),
    /// m̂ = m / 0.19, v̂ = v / 0.001999, Δ = 0.1 · m̂ / √v̂ = (0.089857, 0.049419).
    @Test func adamMatchesTwoHandComputedSteps() throws {
        var adam = try Adam(learningRate: 0.1)
        var p = try adam.step(Self.initial(), gradients: ["w": Tensor(shape: [2], scalars: [0.5, -0.1])])
        #expect(abs(p[0].value[0] - 0.9) < 1e-6 && abs(p[0].value[1] - -1.9) < 1e-6)
        p = try adam.step(p, gradients: ["w": Tensor(shape: [2], scalars: [0.2, 0.3])])
        #expect(abs(p[0].value[0] - 0.810143) < 2e-6)
        #expect(abs(p[0].value[1] - -1.949419) < 2e-6)
        #expect(adam.stepCount == 2)
    }

    @Test func adamDefaultsAreThePapersSetting() throws {
        let adam = try Adam()
        #expect(adam.learningRate == 1e-3 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.epsilon == 1e-8)
    }

    /// Momentum 0.9, lr 0.1: b₁ = g₁ = (0.5, −0.1); b₂ = 0.9 b₁ + g₂ = (0.65, 0.21).
    @Test func sgdWithMomentumMatchesTwoHandComputedSteps() throws {
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9)
        var p = try sgd.step(Self.initial(), gradients: ["w": Tensor(shape: [2], scalars: [0.5, -0.1])])
        #expect(abs(p[0].value[0] - 0.95) < 1e-6 && abs(p[0].value[1] - -1.99) < 1e-6)
        p = try sgd.step(p, gradients: ["w": Tensor(shape: [2], scalars: [0.2, 0.3])])
        #expect(abs(p[0].value[0] - 0.885) < 1e-6 && abs(p[0].value[1] - -2.011) < 1e-6)
    }

    @Test func parametersWithoutGradientsAreLeftAlone() throws {
        var adam = try Adam()
        let parameters = try Self.initial() + [NamedParameter(name: "b", value: Tensor(repeating: 3, shape: [1]))]
        let p = try adam.step(parameters, gradients: ["w": Tensor(shape: [2], scalars: [1, 1])])
        #expect(p[1] == parameters[1])
        #expect(p[0] != parameters[0])
    }

    @Test func badGradientsAndSettingsAreRefused() throws {
        var adam = try Adam()
        #expect(throws: OptimizerError.gradientShapeMismatch(name: "w", expected: [2], actual: [3])) {
            try adam.step(Self.initial(), gradients: ["w": Tensor.zeros([3])])
        }
        #expect(throws: OptimizerError.nonFiniteGradient("w")) {
            try adam.step(Self.initial(), gradients: ["w": Tensor(shape: [2], scalars: [.nan, 0])])
        }
        #expect(throws: OptimizerError.self) { try Adam(learningRate: 0) }
        #expect(throws: OptimizerError.self) { try Adam(beta1: 1) }
        #expect(throws: OptimizerError.self) { try SGD(learningRate: 0.1, momentum: -0.5) }
    }
}
