import Foundation
import Testing
import RectGradCore
import RectGradFormats
import RectGradLayers
import RectGradAttribution

/// LRP: every linear-layer rule against a naive loop written from its formula (dense layers,
/// shapes × seeds), conservation of relevance, and parity with zennit's composites on the tiny
/// zoo networks (fixtures from `Scripts/fixtures/make_lrp_fixtures.py`).
@Suite struct LRPTests {
    /// `stab(z) = z + ε·sign(z)`, sign(0) = +1.
    static func stab(_ z: Double, _ e: Double) -> Double { z >= 0 ? z + e : z - e }

    /// The naive relevance of a dense layer `z = W x + b` (`W` is `[out, in]`) for one example.
    static func naive(_ rule: String, x: [Double], w: [[Double]], b: [Double], r: [Double], low: [Double], high: [Double]) -> [Double] {
        let (outs, ins) = (w.count, x.count)
        let e = rule == "epsilon" ? 1e-2 : 1e-6
        let gamma = 0.25
        func p(_ v: Double) -> Double { max(v, 0) }
        func n(_ v: Double) -> Double { min(v, 0) }
        var result = [Double](repeating: 0, count: ins)
        for j in 0..<outs {
            var contributions = [Double](repeating: 0, count: ins)
            var negative = [Double](repeating: 0, count: ins)
            var denominator = 0.0, negativeDenominator = 0.0
            var z = b[j]
            for i in 0..<ins { z += w[j][i] * x[i] }
            switch rule {
            case "epsilon":
                for i in 0..<ins { contributions[i] = w[j][i] * x[i] }
                denominator = z
            case "z-plus", "alpha-beta":
                for i in 0..<ins {
                    contributions[i] = p(w[j][i]) * p(x[i]) + n(w[j][i]) * n(x[i])
                    negative[i] = n(w[j][i]) * p(x[i]) + p(w[j][i]) * n(x[i])
                }
                denominator = contributions.reduce(0, +) + p(b[j])
                negativeDenominator = negative.reduce(0, +) + n(b[j])
            case "gamma":
                let up = { (v: Double) in v + gamma * p(v) }, down = { (v: Double) in v + gamma * n(v) }
                if z > 0 {
                    for i in 0..<ins { contributions[i] = up(w[j][i]) * p(x[i]) + down(w[j][i]) * n(x[i]) }
                    denominator = contributions.reduce(0, +) + up(b[j])
                } else if z < 0 {
                    for i in 0..<ins { contributions[i] = down(w[j][i]) * p(x[i]) + up(w[j][i]) * n(x[i]) }
                    denominator = contributions.reduce(0, +) + down(b[j])
                } else {
                    continue
                }
            case "z-box":
                for i in 0..<ins { contributions[i] = w[j][i] * x[i] - p(w[j][i]) * low[i] - n(w[j][i]) * high[i] }
                denominator = contributions.reduce(0, +) + b[j] - p(b[j]) - n(b[j])
            case "flat":
                for i in 0..<ins { contributions[i] = 1 }
                denominator = Double(ins)
            case "w-square":
                for i in 0..<ins { contributions[i] = w[j][i] * w[j][i] }
                denominator = contributions.reduce(0, +) + b[j] * b[j]
            default:
                return []
            }
            for i in 0..<ins { result[i] += contributions[i] * r[j] / stab(denominator, e) }
            if rule == "alpha-beta" {
                for i in 0..<ins { result[i] = result[i] + contributions[i] * r[j] / stab(denominator, e) - negative[i] * r[j] / stab(negativeDenominator, e) }
            }
        }
        return result
    }

    static func rule(_ name: String, low: Tensor, high: Tensor) throws -> any LinearLayerRule {
        switch name {
        case "epsilon": return try EpsilonLinearRule(epsilon: 1e-2)
        case "z-plus": return try ZPlusRule()
        case "alpha-beta": return try AlphaBetaRule(alpha: 2, beta: 1)
        case "gamma": return try GammaRule(gamma: 0.25)
        case "z-box": return try ZBoxRule(low: low, high: high)
        case "flat": return try FlatRule()
        default: return try WSquareRule()
        }
    }

    static let rules = ["epsilon", "z-plus", "alpha-beta", "gamma", "z-box", "flat", "w-square"]

    /// Every rule at a dense layer equals its formula, over shapes and seeds. (α = 2, β = 1: the
    /// naive loop adds the positive part twice and subtracts the negative part once.)
    @Test(arguments: rules, [(seed: UInt64(1), ins: 5, outs: 3), (seed: 2, ins: 9, outs: 7), (seed: 3, ins: 1, outs: 4)])
    func denseRuleMatchesItsFormula(rule: String, shape: (seed: UInt64, ins: Int, outs: Int)) throws {
        var g = SeededGenerator(seed: shape.seed)
        let batch = 2
        let x = Tensor.randomUniform([batch, shape.ins], low: -1, high: 1, generator: &g)
        let w = Tensor.randomUniform([shape.outs, shape.ins], low: -1, high: 1, generator: &g)
        let b = Tensor.randomUniform([shape.outs], low: -0.3, high: 0.3, generator: &g)
        let r = Tensor.randomUniform([batch, shape.outs], low: -1, high: 1, generator: &g)
        let low = Tensor(repeating: -1, shape: [shape.ins]), high = Tensor(repeating: 1, shape: [shape.ins])

        let tape = Tape(workers: .serial)
        let input = tape.input(x)
        let z = try tape.dense(input, weight: tape.parameter(w), bias: tape.parameter(b))
        let composite = LinearLayerRules(convolution: try Self.rule(rule, low: low, high: high), dense: try Self.rule(rule, low: low, high: high))
        let result = try tape.backward(from: z, seed: r, withRespectTo: [input], rules: .layerwiseRelevance(composite))
        let relevance = try #require(result[input])
        #expect(result.report.linearLayersByRule.values.reduce(0, +) == 1)

        let weights = (0..<shape.outs).map { j in (0..<shape.ins).map { Double(w[j, $0]) } }
        for example in 0..<batch {
            let expected = Self.naive(
                rule, x: (0..<shape.ins).map { Double(x[example, $0]) }, w: weights, b: b.scalars.map(Double.init),
                r: (0..<shape.outs).map { Double(r[example, $0]) }, low: low.scalars.map(Double.init), high: high.scalars.map(Double.init)
            )
            let scale = max(expected.map(abs).max() ?? 0, 1e-3)
            for i in 0..<shape.ins {
                #expect(abs(Double(relevance[example, i]) - expected[i]) <= 1e-4 * scale, "\(rule) example \(example) input \(i): \(relevance[example, i]) vs \(expected[i])")
            }
        }
    }

    /// Without biases, every rule but ε conserves relevance at a convolution: Σ R_in = Σ R_out
    /// (inputs positive, as after a ReLU, so that no denominator vanishes; the z^B bounds contain them).
    @Test(arguments: rules.filter { $0 != "epsilon" }) func convolutionConservesRelevance(rule: String) throws {
        var g = SeededGenerator(seed: 17)
        let x = Tensor.randomUniform([2, 3, 6, 6], low: 0.05, high: 1, generator: &g)
        let w = Tensor.randomUniform([4, 3, 3, 3], low: -1, high: 1, generator: &g)
        let tape = Tape(workers: .serial)
        let input = tape.input(x)
        let z = try tape.conv2d(input, weight: tape.parameter(w), geometry: .init(padding: 1))
        var r = Tensor.randomUniform(try tape.shape(z), low: 0, high: 1, generator: &g)
        if rule == "gamma" {
            // γ redistributes the relevance of positive and of negative outputs separately; keep both signs.
            r = Tensor.randomUniform(try tape.shape(z), low: -1, high: 1, generator: &g)
        }
        let rules = try Self.rule(rule, low: Tensor(repeating: 0, shape: [1]), high: Tensor(repeating: 1, shape: [1]))
        let result = try tape.backward(from: z, seed: r, withRespectTo: [input], rules: .layerwiseRelevance(LinearLayerRules(convolution: rules, dense: rules)))
        let relevance = try #require(result[input])
        for example in 0..<2 {
            let incoming = r.example(example).sum(), outgoing = relevance.example(example).sum()
            #expect(abs(incoming - outgoing) <= 1e-4 * max(abs(incoming), 1), "\(rule): \(outgoing) of \(incoming)")
        }
    }

    /// Through a whole bias-free ReLU network with max-pool, a residual sum and average pooling,
    /// EpsilonPlus keeps the one-hot relevance: Σ R_input ≈ 1.
    @Test func epsilonPlusConservesThroughANetwork() throws {
        var g = SeededGenerator(seed: 5)
        func conv(_ name: String, _ o: Int, _ i: Int) -> Conv2D {
            Conv2D(name: name, weight: Tensor.randomNormal([o, i, 3, 3], standardDeviation: 0.5, generator: &g), bias: nil, geometry: .init(padding: 1))
        }
        let body = Sequential([
            conv("conv1", 4, 3), Activation(name: "relu1"),
            MaxPool2D(name: "pool", geometry: .init(kernel: 2)),
            Residual(name: "block", body: Sequential(name: "block", [conv("block.conv", 4, 4), Activation(name: "block.relu")]), activation: Activation(name: "block.out")),
            AdaptiveAvgPool2D(name: "avgpool", outputSize: 1), Flatten(),
            Linear(name: "fc", weight: Tensor.randomNormal([3, 4], standardDeviation: 1, generator: &g), bias: nil),
        ])
        let network = Network(name: "bias-free", inputSize: 8, requiresFixedInputSize: true, classCount: 3, body: body)
        let input = Tensor.randomUniform([2, 3, 8, 8], low: -1, high: 1, generator: &g)
        let result = try network.attribute(input, method: .layerwiseRelevance(name: "lrp", try .epsilonPlus()))
        for example in 0..<2 {
            #expect(abs(result.map.example(example).sum() - 1) <= 1e-3)
        }
        #expect(result.report?.linearLayersByRule == ["z-plus": 2, "epsilon(1e-06)": 1])
        #expect(result.report?.activationNodesByRule == ["pass": 3])
    }

    @Test func ruleParametersAreChecked() {
        #expect(throws: RuleError.self) { try AlphaBetaRule(alpha: 2, beta: 0.5) }
        #expect(throws: RuleError.self) { try EpsilonLinearRule(epsilon: -1) }
        #expect(throws: RuleError.self) { try GammaRule(gamma: .nan) }
        #expect(throws: RuleError.self) { try ZBoxRule(low: Tensor(repeating: 1, shape: [1]), high: Tensor(repeating: 0, shape: [1])) }
        #expect(throws: RuleError.self) { try ZBoxRule(low: Tensor(repeating: 0, shape: [1]), high: nil) }
        var parameters = MethodParameters()
        parameters.lrpEpsilon = -1
        #expect(throws: AttributionError.self) { try MethodName.lrpEpsilonPlus.method(parameters) }
    }

    // MARK: zennit parity

    static let composites: [MethodName] = [.lrpEpsilonPlus, .lrpEpsilonPlusFlat, .lrpEpsilonGammaBox, .lrpEpsilonAlpha2Beta1, .lrpEpsilonAlpha2Beta1Flat]

    @Test(arguments: ParityTests.architectures) func compositesMatchZennit(architecture: String) throws {
        let network = try ParityTests.network(architecture).loadingWeights(from: try ParityTests.fixture(architecture))
        let maps = try SafetensorsFile.read(contentsOf: try ParityTests.fixture("\(architecture).maps"))
        let lrp = try SafetensorsFile.read(contentsOf: try ParityTests.fixture("\(architecture).lrp"))
        let input = try #require(maps["input"])
        let targets = try #require(maps["targets"]).scalars.map { Int($0) }
        var parameters = MethodParameters()
        parameters.inputBounds = (Tensor(repeating: -1, shape: [1]), Tensor(repeating: 1, shape: [1]))
        let session = try AttributionSession(network: network, input: input, targets: .perExample(targets))
        for name in Self.composites {
            let expected = try #require(lrp[name.rawValue], "fixture \(architecture) has no map '\(name)'")
            let result = try session.attribute(try name.method(parameters))
            let error = try result.map.relativeL2Distance(to: expected)
            ParityReport.record("lrp", architecture, name.rawValue, error)
            #expect(error <= ParityTests.smooth, "\(architecture) \(name): relative L2 \(error)")
            #expect(expected.l2Norm() > 0)
            #expect(result.report?.activationNodesHandled == result.report?.activationNodesRecorded)
        }
    }
}
