import CElementwise
import Synchronization
import Testing
import RectGradCore

/// Batch norm recorded after a convolution is applied when its value is first read, or in one pass
/// with a ReLU or ReLU6 recorded on it next. Every value must be the bits of the kernels run one
/// after another outside the tape (`ChannelAffine.forward`, `ActivationKind.forward`), whatever
/// reads what first, and replacements keep their meaning.
@Suite("Batch norm fused with the following ReLU")
struct FusedBatchNormActivationTests {
    let x = Tensor.randomNormal([2, 8, 10, 10], seed: 11)
    let weight = Tensor.randomNormal([12, 8, 3, 3], standardDeviation: 0.3, seed: 12)
    let scale = Tensor.randomNormal([12], mean: 1, standardDeviation: 0.5, seed: 13)
    // Shifts around 3 put ReLU6's upper clip to work too.
    let shift = Tensor.randomNormal([12], mean: 3, standardDeviation: 3, seed: 14)
    let geometry = Convolution2DGeometry(padding: 1)
    let workers = Workers(count: 2)

    static func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.scalars.elementsEqual(b.scalars) { $0.bitPattern == $1.bitPattern }
    }

    var expectedNorm: Tensor {
        get throws {
            let conv = try Convolution2D.forward(input: x, weight: weight, bias: nil, geometry: geometry, workers: workers)
            return try ChannelAffine.forward(conv, scale: scale, shift: shift, workers: workers)
        }
    }

    func record(_ tape: Tape) throws -> Variable {
        try tape.channelAffine(tape.conv2d(tape.input(x), weight: tape.parameter(weight), geometry: geometry, name: "conv"),
                               scale: scale, shift: shift, name: "bn")
    }

    @Test("activation and batch norm values are the separate kernels' bits",
          arguments: [ActivationKind.relu, .relu6, .leakyReLU(slope: 0.1), .silu])
    func valuesMatchTheSeparateKernels(kind: ActivationKind) throws {
        let norm = try expectedNorm
        let expectedOutput = kind.forward(norm, workers: workers)
        // The case exercises the clipping (the fused kernels' comparisons).
        if kind == .relu || kind == .relu6 { #expect(expectedOutput.scalars.contains(0)) }
        if kind == .relu6 { #expect(expectedOutput.scalars.contains(6)) }
        for readNormFirst in [false, true] {
            let tape = Tape(workers: workers)
            let bn = try record(tape)
            if readNormFirst { #expect(Self.sameBits(try tape.value(bn), norm)) }
            let activation = try tape.activation(bn, kind: kind, name: "act")
            #expect(Self.sameBits(try tape.value(activation), expectedOutput), "\(kind) read first \(readNormFirst)")
            #expect(Self.sameBits(try tape.value(bn), norm), "\(kind) read first \(readNormFirst)")
            #expect(tape.activationSites.map(\.name) == ["act"])
        }
    }

    @Test("the backward pass through a fused ReLU matches the one through separate kernels")
    func backwardMatches() throws {
        func gradient(readNormFirst: Bool, rules: BackwardRules) throws -> Tensor {
            let tape = Tape(workers: workers)
            let input = tape.input(x)
            let bn = try tape.channelAffine(tape.conv2d(input, weight: tape.parameter(weight), geometry: geometry), scale: scale, shift: shift)
            if readNormFirst { _ = try tape.value(bn) }
            let features = try tape.flatten(tape.relu6(bn))
            let logits = try tape.dense(features, weight: tape.parameter(Tensor.randomNormal([3, 12 * 100], standardDeviation: 0.05, seed: 15)))
            let seed = try Tensor(shape: [2, 3], scalars: [0, 1, 0, 1, 0, 0])
            return try #require(try tape.backward(from: logits, seed: seed, withRespectTo: [input], rules: rules)[input])
        }
        for rules in [BackwardRules.gradient, BackwardRules(activation: GuidedBackpropRule())] {
            #expect(Self.sameBits(try gradient(readNormFirst: false, rules: rules), try gradient(readNormFirst: true, rules: rules)))
        }
    }

    /// Runs a rule and notes, per call, whether `z` was at hand after it ran.
    final class PreActivationProbe: ActivationRule {
        let inner: any ActivationRule
        let computed = Mutex<[Bool]>([])
        init(_ inner: any ActivationRule) { self.inner = inner }
        func backward(_ input: ActivationBackwardInput) throws -> Tensor {
            let gradient = try inner.backward(input)
            computed.withLock { $0.append(input.isPreActivationAvailable) }
            return gradient
        }
        var description: String { "probe(\(inner))" }
    }

    @Test("a recorded pass keeps the activation only; z is computed for the rules that read it",
          arguments: [ActivationKind.relu, .relu6])
    func preActivationComputedOnlyWhenRead(kind: ActivationKind) throws {
        let tape = Tape(workers: workers)
        let input = tape.input(x)
        let bn = try tape.channelAffine(tape.conv2d(input, weight: tape.parameter(weight), geometry: geometry), scale: scale, shift: shift)
        let activation = try tape.activation(bn, kind: kind)
        #expect(tape.isReleased(bn))
        let logits = try tape.dense(tape.flatten(activation), weight: tape.parameter(Tensor.randomNormal([3, 12 * 100], standardDeviation: 0.05, seed: 15)))
        let seed = try Tensor(shape: [2, 3], scalars: [0, 1, 0, 1, 0, 0])
        let outputOnly: [any ActivationRule] = [GradientRule(), GuidedBackpropRule(), DeconvNetRule(), try RectGradRule(percentile: 90),
                                                try RectGradConstantRule(tau: 0.01)]
        for rule in outputOnly + [try EpsilonLRPRule(epsilon: 0.01)] {
            let probe = PreActivationProbe(rule)
            _ = try tape.backward(from: logits, seed: seed, withRespectTo: [input], rules: BackwardRules(activation: probe))
            let readsZ = rule is EpsilonLRPRule
            #expect(probe.computed.withLock { $0 } == [readsZ], "\(rule) at \(kind)")
        }
        // Still released: a computed z is not kept on the tape.
        #expect(tape.isReleased(bn))
        #expect(Self.sameBits(try tape.value(bn), try expectedNorm))
    }

    @Test("rules of the ReLU family give the same result from a as from z on edge values",
          arguments: [ActivationKind.relu, .relu6])
    func outputStandsForPreActivation(kind: ActivationKind) throws {
        let values: [Float] = [0, -0, 1, -1, 5.999_999, 6, 6.000_001, 7, -7, .infinity, -.infinity, .nan,
                               .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 3e38, -3e38, 0.5, 2]
        let n = values.count
        let z = try Tensor(shape: [1, n], scalars: values)
        let r = try Tensor(shape: [1, n], scalars: (0..<n).map { $0 % 3 == 0 ? -1.5 : Float($0) + 0.25 })
        let input = ActivationBackwardInput(preActivation: z, output: kind.forward(z), upstream: r,
                                            site: ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: kind))
        // The definitions on z (spec: methods.md), element by element.
        let passes: (Float) -> Bool = kind == .relu ? { $0 > 0 } : { $0 > 0 && $0 < 6 }
        let gradient = (0..<n).map { r.scalars[$0] * (passes(values[$0]) ? 1 : 0) }
        let guided = (0..<n).map { values[$0] > 0 && r.scalars[$0] > 0 ? r.scalars[$0] : 0 }
        let bits = { (t: [Float]) in t.map(\.bitPattern) }
        #expect(bits(try GradientRule().backward(input).scalars) == bits(gradient))
        #expect(bits(try GuidedBackpropRule().backward(input).scalars) == bits(guided))
    }

    @Test("a replaced batch norm or activation keeps its replacement")
    func replacementsAreKept() throws {
        let first = Tape(workers: workers)
        let firstNorm = try record(first)
        let firstActivation = try first.relu(firstNorm)
        let replacedNorm = Tensor.randomNormal([2, 12, 10, 10], seed: 16)
        let tape = Tape(workers: workers, replacing: [firstNorm: replacedNorm])
        let bn = try record(tape)
        let activation = try tape.relu(bn)
        #expect(Self.sameBits(try tape.value(bn), replacedNorm))
        #expect(Self.sameBits(try tape.value(activation), ActivationKind.relu.forward(replacedNorm)))

        let replacedActivation = Tensor.randomNormal([2, 12, 10, 10], seed: 17)
        let other = Tape(workers: workers, replacing: [firstActivation: replacedActivation])
        let otherNorm = try record(other)
        let otherActivation = try other.relu(otherNorm)
        #expect(Self.sameBits(try other.value(otherActivation), replacedActivation))
        #expect(Self.sameBits(try other.value(otherNorm), try expectedNorm))
    }

    @Test("the in-place C loops are rg_affine then rg_relu or rg_relu6, bit for bit, on edge values")
    func fusedLoopsMatchTheSeparateLoops() {
        let inputs: [Float] = [0, -0, 1, -1, 5.999_999, 6, 6.000_001, 7, -7, .infinity, -.infinity, .nan,
                               Float(bitPattern: 0x7FC0_0001), .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 3e38, -3e38, 0.5]
        let parameters: [(Float, Float)] = [(1, 0), (2, -1), (-1, 3), (0.5, 6), (0, -0.0), (3, 1e-30)]
        let count = inputs.count
        for (a, b) in parameters {
            var separateZ = [Float](repeating: 0, count: count), separateY = separateZ, separateY6 = separateZ
            var inPlaceZ = inputs
            var activatedInPlace = inputs, activatedInPlace6 = inputs
            rg_affine(inputs, &separateZ, count, a, b)
            rg_relu(separateZ, &separateY, count)
            rg_relu6(separateZ, &separateY6, count)
            rg_affine_in_place(&inPlaceZ, count, a, b)
            rg_affine_relu_in_place(&activatedInPlace, count, a, b)
            rg_affine_relu6_in_place(&activatedInPlace6, count, a, b)
            let bits = { (values: [Float]) in values.map(\.bitPattern) }
            #expect(bits(inPlaceZ) == bits(separateZ), "a \(a) b \(b)")
            #expect(bits(activatedInPlace) == bits(separateY), "relu in place, a \(a) b \(b)")
            #expect(bits(activatedInPlace6) == bits(separateY6), "relu6 in place, a \(a) b \(b)")
        }
    }
}
