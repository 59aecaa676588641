import Testing
import RectGradCore
import _RectGradTestSupport

/// A small network with every kind of site: SiLU after a convolution, a squeeze-and-excitation gate
/// (a sigmoid site multiplied in), GELU, leaky ReLU, hard-swish, ReLU6 and a dense head.
private func mixedNetwork(_ tape: Tape, _ x: Variable) throws -> Variable {
    let w1 = tape.parameter(Tensor.randomNormal([4, 3, 3, 3], standardDeviation: 0.3, seed: 1))
    let h = try tape.activation(tape.conv2d(x, weight: w1, geometry: .init(padding: 1)), kind: .silu, name: "stem.act")
    let pooled = try tape.globalAveragePool2d(h)
    let wGate = tape.parameter(Tensor.randomNormal([4, 4, 1, 1], standardDeviation: 0.5, seed: 2))
    let gate = try tape.activation(tape.conv2d(pooled, weight: wGate), kind: .sigmoid, name: "se.gate")
    let gated = try tape.multiply(h, gate, name: "se.scale")
    let g1 = try tape.activation(gated, kind: .gelu(.erf), name: "block.gelu")
    let g2 = try tape.activation(g1, kind: .leakyReLU(slope: 0.2), name: "block.leaky")
    let g3 = try tape.activation(g2, kind: .hardSwish, name: "block.hswish")
    let g4 = try tape.activation(g3, kind: .relu6, name: "block.relu6")
    let joined = try tape.concatenate([g4, h], axis: 1, name: "cat")
    let p = try tape.averagePool2d(joined, geometry: .init(kernel: 3, stride: 2, padding: 1, ceilMode: true), countIncludesPadding: false)
    let flat = try tape.flatten(p)
    let w2 = tape.parameter(Tensor.randomNormal([5, try tape.shape(flat)[1]], standardDeviation: 0.2, seed: 3))
    let hidden = try tape.activation(tape.gemm(flat, w2, options: GemmOptions(transposeB: true)), kind: .tanh, name: "head.act")
    let w3 = tape.parameter(Tensor.randomNormal([5, 3], standardDeviation: 0.5, seed: 4))
    return try tape.matmul(hidden, w3, name: "logits")
}

@Suite("Backward report: sites per activation kind and rule")
struct ActivationKindReportTests {
    static let expectedKinds = ["silu": 1, "sigmoid": 1, "gelu": 1, "leaky-relu": 1, "hard-swish": 1, "relu6": 1, "tanh": 1]

    @Test("every site of every kind is counted under the rule that handled it")
    func countsPerKind() throws {
        let tape = Tape()
        let x = tape.input(Tensor.randomNormal([2, 3, 6, 6], seed: 9))
        let logits = try mixedNetwork(tape, x)
        // The recorded sites per kind, counted from the tape itself.
        var recorded: [String: Int] = [:]
        for site in tape.activationSites { recorded[site.kind.name, default: 0] += 1 }
        #expect(recorded == Self.expectedKinds)

        let rules = BackwardRules(activation: try RectGradRule(percentile: 90), masksConvolutionBorder: true)
            .overriding(.kind(.sigmoid), with: GradientRule())
        let seed = try tensor([2, 3], [1, 0, 0, 0, 1, 0])
        let report = try tape.backward(from: logits, seed: seed, withRespectTo: [x], rules: rules).report
        #expect(report.activationNodesHandled == tape.activationCount)
        for (kind, count) in recorded {
            let expectedRule = kind == "sigmoid" ? "gradient" : "rectgrad(q=90)"
            #expect(report.activationSitesByKind[kind] == [expectedRule: count], "\(kind): \(report.activationSitesByKind[kind] ?? [:])")
        }
        #expect(report.activationSitesHandled(kind: .gelu(.erf)) == 1)
        #expect(report.activationSitesHandled(kind: .relu) == 0)
        #expect(report.description.contains("sigmoid: gradient 1"), "\(report)")
    }

    @Test("the whole network's input gradient matches finite differences")
    func wholeNetworkGradient() throws {
        // Kinks (leaky ReLU at 0, hard-swish at ±3, ReLU6 at 0 and 6) are crossed only with
        // probability ~0 at this step; the tolerance allows none.
        let x = Tensor.randomNormal([1, 3, 6, 6], seed: 10)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 1e-3, scale: 1e-2) { tape, v in
            try mixedNetwork(tape, v[0])
        }
        #expect(errors[0] < 2e-2, "relative error \(errors[0])")
    }
}
