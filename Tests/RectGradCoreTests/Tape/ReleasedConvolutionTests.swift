import Testing
import RectGradCore

/// Batch norm after a convolution is computed in the convolution's storage, and the convolution's
/// node is released; whatever reads the convolution's value later gets it computed again. The
/// expectations are computed outside the tape with the kernels' own entry points.
@Suite("Convolution outputs released after batch norm")
struct ReleasedConvolutionTests {
    let x = Tensor.randomNormal([2, 8, 12, 12], seed: 1)
    let weight = Tensor.randomNormal([16, 8, 3, 3], standardDeviation: 0.2, seed: 2)
    let bias = Tensor.randomNormal([16], seed: 3)
    let scale = Tensor.randomNormal([16], mean: 1, standardDeviation: 0.3, seed: 4)
    let shift = Tensor.randomNormal([16], seed: 5)
    let geometry = Convolution2DGeometry(padding: 1)
    let workers = Workers(count: 2)

    /// x → conv → (reshape to the same shape, when `separated`) → batch norm → ReLU → dense.
    func record(separated: Bool, readFirst: Bool = false) throws -> (tape: Tape, input: Variable, conv: Variable, norm: Variable, logits: Variable) {
        let tape = Tape(workers: workers)
        let input = tape.input(x)
        let conv = try tape.conv2d(input, weight: tape.parameter(weight), bias: tape.parameter(bias), geometry: geometry, name: "conv")
        // A ReLU that reads the convolution's output directly, recorded before the batch norm.
        let side = readFirst ? try tape.relu(conv, name: "side") : nil
        let normInput = separated ? try tape.reshape(conv, to: [2, 16, 12, 12]) : conv
        let norm = try tape.channelAffine(normInput, scale: scale, shift: shift, name: "bn")
        var features = try tape.flatten(tape.relu(norm, name: "relu"))
        if let side { features = try tape.add(features, tape.flatten(side)) }
        let logits = try tape.dense(features, weight: tape.parameter(Tensor.randomNormal([3, 16 * 144], standardDeviation: 0.05, seed: 6)))
        return (tape, input, conv, norm, logits)
    }

    static func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.scalars.elementsEqual(b.scalars) { $0.bitPattern == $1.bitPattern }
    }

    @Test("the convolution is released; its value and the batch norm's are the kernels' bits")
    func valuesAreTheKernelsBits() throws {
        let recorded = try record(separated: false)
        let expectedConv = try Convolution2D.forward(input: x, weight: weight, bias: bias, geometry: geometry, workers: workers)
        let expectedNorm = try ChannelAffine.forward(expectedConv, scale: scale, shift: shift, workers: workers)
        // The ReLU recorded on the batch norm overwrote its storage: both are computed again.
        #expect(recorded.tape.isReleased(recorded.conv))
        #expect(recorded.tape.isReleased(recorded.norm))
        #expect(Self.sameBits(try recorded.tape.value(recorded.norm), expectedNorm))
        #expect(Self.sameBits(try recorded.tape.value(recorded.conv), expectedConv))
        #expect(try recorded.tape.shape(recorded.conv) == [2, 16, 12, 12])
        // Not released when batch norm does not read the convolution itself.
        let separated = try record(separated: true)
        #expect(!separated.tape.isReleased(separated.conv))
        #expect(Self.sameBits(try separated.tape.value(separated.norm), expectedNorm))
    }

    @Test("backward passes that read the convolution's value give the same bits as without the release",
          arguments: [false, true])
    func backwardIsUnchanged(readFirst: Bool) throws {
        let released = try record(separated: false, readFirst: readFirst)
        let kept = try record(separated: true, readFirst: readFirst)
        if readFirst {
            // The side ReLU overwrote the convolution's output; the batch norm recorded next read
            // it back, and it is kept from then on: batch norm is then an ordinary node.
            #expect(!released.tape.isReleased(released.conv) && !kept.tape.isReleased(kept.conv))
        } else {
            #expect(released.tape.isReleased(released.conv) && !kept.tape.isReleased(kept.conv))
        }
        // Both batch norms are under a ReLU, which overwrote them.
        #expect(released.tape.isReleased(released.norm) && kept.tape.isReleased(kept.norm))
        let seed = try Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 0, 1])
        var lrp = BackwardRules()
        lrp.linearLayers = try .epsilonPlus()
        // Rules that read the ReLU's output only, and ones that read its input (ε-LRP, DeepLIFT),
        // which the released batch norm gives again.
        let reference = ReferenceActivations(values: [0: (Tensor.zeros([1, 16, 12, 12]), Tensor.zeros([1, 16, 12, 12])),
                                                      1: (Tensor.zeros([1, 16, 12, 12]), Tensor.zeros([1, 16, 12, 12]))])
        let ruleSets: [BackwardRules] = [
            .gradient, lrp, BackwardRules(activation: GuidedBackpropRule()), BackwardRules(activation: DeconvNetRule()),
            BackwardRules(activation: try RectGradRule(percentile: 80)), BackwardRules(activation: try EpsilonLRPRule(epsilon: 0.01)),
            BackwardRules(activation: DeepLIFTRescaleRule().binding(reference)),
        ]
        for rules in ruleSets {
            let a = try released.tape.backward(from: released.logits, seed: seed, withRespectTo: [released.input], rules: rules)
            let b = try kept.tape.backward(from: kept.logits, seed: seed, withRespectTo: [kept.input], rules: rules)
            #expect(Self.sameBits(try #require(a[released.input]), try #require(b[kept.input])), "\(rules)")
        }
        #expect(released.tape.isReleased(released.norm))
        // Weight gradients read the convolution's input, never its released output.
        let weightVariable = Variable(id: released.conv.id - 2)
        let a = try released.tape.backward(from: released.logits, seed: seed, withRespectTo: [weightVariable])
        let b = try kept.tape.backward(from: kept.logits, seed: seed, withRespectTo: [Variable(id: kept.conv.id - 2)])
        #expect(Self.sameBits(try #require(a[weightVariable]), try #require(b[Variable(id: kept.conv.id - 2)])))
    }

    @Test("a replaced convolution keeps its replacement and is not released")
    func replacedConvolutionIsKept() throws {
        let first = try record(separated: false)
        let replacement = Tensor.randomNormal([2, 16, 12, 12], seed: 9)
        let tape = Tape(workers: workers, replacing: [first.conv: replacement])
        let input = tape.input(x)
        let conv = try tape.conv2d(input, weight: tape.parameter(weight), bias: tape.parameter(bias), geometry: geometry, name: "conv")
        let norm = try tape.channelAffine(conv, scale: scale, shift: shift, name: "bn")
        #expect(conv == first.conv && !tape.isReleased(conv))
        #expect(Self.sameBits(try tape.value(conv), replacement))
        #expect(Self.sameBits(try tape.value(norm), try ChannelAffine.forward(replacement, scale: scale, shift: shift)))
    }

    @Test("a batch norm whose shapes do not fit is an error and leaves the convolution's value")
    func mismatchedBatchNormKeepsTheConvolution() throws {
        let tape = Tape(workers: workers)
        let conv = try tape.conv2d(tape.input(x), weight: tape.parameter(weight), bias: tape.parameter(bias), geometry: geometry)
        #expect(throws: TapeError.self) { try tape.channelAffine(conv, scale: Tensor.zeros([3]), shift: Tensor.zeros([3])) }
        #expect(!tape.isReleased(conv))
        #expect(Self.sameBits(try tape.value(conv), try Convolution2D.forward(input: x, weight: weight, bias: bias, geometry: geometry)))
    }
}
