import Testing
import RectGradCore

/// A ReLU recorded on a convolution's output, a batch norm or a residual sum is written over that
/// value's storage, and the value is released: it is computed again, with the same bits, when read.
/// Every value and every rule's backward pass must be the bits of the same network recorded with
/// reshapes in between, which keep every value.
@Suite("Values overwritten by the following ReLU")
struct ReleasedActivationInputTests {
    let x = Tensor.randomNormal([2, 8, 10, 10], seed: 21)
    let weights = (0..<3).map { Tensor.randomNormal([8, 8, 3, 3], standardDeviation: 0.25, seed: 22 + UInt64($0)) }
    let bias = Tensor.randomNormal([8], seed: 25)
    let scale = Tensor.randomNormal([8], mean: 1, standardDeviation: 0.3, seed: 26)
    let shift = Tensor.randomNormal([8], standardDeviation: 0.5, seed: 27)
    let dense = Tensor.randomNormal([3, 8 * 100], standardDeviation: 0.05, seed: 28)
    let geometry = Convolution2DGeometry(padding: 1)
    let workers = Workers(count: 2)

    struct Recorded {
        let tape: Tape
        let input: Variable
        /// conv → batch norm, conv (with bias), batch norm + identity: the values under a ReLU;
        /// the batch norm a sum overwrote.
        let norm: Variable, conv: Variable, sum: Variable, summedNorm: Variable
        let activations: [Variable]
        let logits: Variable
    }

    /// x → conv → bn → ReLU → conv+bias → ReLU6 → conv → bn, + the first ReLU → ReLU → dense;
    /// with `kept`, a reshape to the same shape before each batch norm, sum and ReLU keeps every value.
    func record(kept: Bool) throws -> Recorded {
        let tape = Tape(workers: workers)
        let input = tape.input(x)
        func keep(_ v: Variable) throws -> Variable { kept ? try tape.reshape(v, to: [2, 8, 10, 10]) : v }
        let c1 = try tape.conv2d(input, weight: tape.parameter(weights[0]), geometry: geometry)
        let norm = try tape.channelAffine(keep(c1), scale: scale, shift: shift)
        let r1 = try tape.relu(keep(norm))
        let conv = try tape.conv2d(r1, weight: tape.parameter(weights[1]), bias: tape.parameter(bias), geometry: geometry)
        let r2 = try tape.relu6(keep(conv))
        let c3 = try tape.conv2d(r2, weight: tape.parameter(weights[2]), geometry: geometry)
        let summedNorm = try tape.channelAffine(keep(c3), scale: shift, shift: scale)
        let sum = try tape.add(r1, keep(summedNorm))
        let r3 = try tape.relu(keep(sum))
        let logits = try tape.dense(tape.flatten(r3), weight: tape.parameter(dense))
        return Recorded(tape: tape, input: input, norm: norm, conv: conv, sum: sum, summedNorm: summedNorm, activations: [r1, r2, r3], logits: logits)
    }

    static func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.scalars.elementsEqual(b.scalars) { $0.bitPattern == $1.bitPattern }
    }

    @Test("the values under a ReLU are released and read back as the kept values' bits")
    func valuesAreReadBack() throws {
        let released = try record(kept: false), kept = try record(kept: true)
        for (a, b) in [(released.norm, kept.norm), (released.conv, kept.conv), (released.sum, kept.sum), (released.summedNorm, kept.summedNorm)] {
            #expect(released.tape.isReleased(a) && !kept.tape.isReleased(b))
            #expect(Self.sameBits(try released.tape.value(a), try kept.tape.value(b)))
        }
        for (a, b) in zip(released.activations, kept.activations) {
            #expect(Self.sameBits(try released.tape.value(a), try kept.tape.value(b)))
        }
        // The sum and the convolution are the kernels' bits.
        let conv = try Convolution2D.forward(input: try kept.tape.value(kept.activations[0]), weight: weights[1], bias: bias, geometry: geometry, workers: workers)
        #expect(Self.sameBits(try released.tape.value(released.conv), conv))
        #expect(Self.sameBits(try released.tape.value(released.activations[1]), ActivationKind.relu6.forward(conv)))
    }

    @Test("every rule's backward pass gives the bits of the pass that kept every value")
    func backwardIsUnchanged() throws {
        let released = try record(kept: false), kept = try record(kept: true)
        let seed = try Tensor(shape: [2, 3], scalars: [0, 1, 0, 0, 0, 1])
        var lrp = BackwardRules()
        lrp.linearLayers = try .epsilonPlus()
        let zero = (Tensor.zeros([1, 8, 10, 10]), Tensor.zeros([1, 8, 10, 10]))
        let ruleSets: [BackwardRules] = [
            .gradient, lrp, BackwardRules(activation: GuidedBackpropRule()), BackwardRules(activation: DeconvNetRule()),
            BackwardRules(activation: try RectGradRule(percentile: 70)), BackwardRules(activation: try EpsilonLRPRule(epsilon: 0.01)),
            BackwardRules(activation: DeepLIFTRescaleRule().binding(ReferenceActivations(values: [0: zero, 1: zero, 2: zero]))),
        ]
        for rules in ruleSets {
            let a = try released.tape.backward(from: released.logits, seed: seed, withRespectTo: [released.input], rules: rules)
            let b = try kept.tape.backward(from: kept.logits, seed: seed, withRespectTo: [kept.input], rules: rules)
            #expect(Self.sameBits(try #require(a[released.input]), try #require(b[kept.input])), "\(rules)")
        }
        #expect([released.norm, released.conv, released.sum, released.summedNorm].allSatisfy { released.tape.isReleased($0) })
    }

    @Test("a replaced convolution or sum is kept")
    func replacedValuesAreKept() throws {
        let first = try record(kept: false)
        let replacement = Tensor.randomNormal([2, 8, 10, 10], seed: 29)
        for target in [first.conv, first.sum] {
            let tape = Tape(workers: workers, replacing: [target: replacement])
            let input = tape.input(x)
            let c1 = try tape.conv2d(input, weight: tape.parameter(weights[0]), geometry: geometry)
            let r1 = try tape.relu(tape.channelAffine(c1, scale: scale, shift: shift))
            let conv = try tape.conv2d(r1, weight: tape.parameter(weights[1]), bias: tape.parameter(bias), geometry: geometry)
            let r2 = try tape.relu6(conv)
            let summedNorm = try tape.channelAffine(tape.conv2d(r2, weight: tape.parameter(weights[2]), geometry: geometry), scale: shift, shift: scale)
            let sum = try tape.add(r1, summedNorm)
            let r3 = try tape.relu(sum)
            let replaced = target == first.conv ? conv : sum
            #expect(!tape.isReleased(replaced))
            #expect(Self.sameBits(try tape.value(replaced), replacement))
            let activation = target == first.conv ? r2 : r3
            let kind: ActivationKind = target == first.conv ? .relu6 : .relu
            #expect(Self.sameBits(try tape.value(activation), kind.forward(replacement)))
        }
    }
}
