import Testing
import RectGradCore
import _RectGradTestSupport

/// A dense-layer configuration `[N, in] → [N, out]`.
struct DenseCase: Sendable, CustomTestStringConvertible {
    var batch: Int, inputs: Int, outputs: Int
    var testDescription: String { "[\(batch), \(inputs)] → \(outputs)" }
    static let all: [DenseCase] = [
        .init(batch: 3, inputs: 7, outputs: 4),
        .init(batch: 1, inputs: 5, outputs: 1),
        .init(batch: 2, inputs: 1, outputs: 6),
        .init(batch: 4, inputs: 16, outputs: 9),
    ]
}

@Suite("Layer gradients (finite differences)")
struct LayerGradientTests {
    @Test("dense backward matches finite differences w.r.t. input, weight and bias", arguments: DenseCase.all)
    func denseGradients(_ c: DenseCase) throws {
        let x = Tensor.randomNormal([c.batch, c.inputs], seed: 51)
        let w = Tensor.randomNormal([c.outputs, c.inputs], seed: 52)
        let b = Tensor.randomNormal([c.outputs], seed: 53)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x, w, b], step: 0.25) { tape, v in
            try tape.dense(v[0], weight: v[1], bias: v[2])
        }
        #expect(errors.count == 3)
        #expect(errors.allSatisfy { $0 < 1e-3 }, "input, weight, bias: \(errors)")
        expectClose(try Dense.forward(input: x, weight: w, bias: b), NaiveKernels.dense(x, w, b), "forward")
    }

    @Test("dense without bias")
    func denseWithoutBias() throws {
        let errors = try GradientCheck.maximumRelativeErrors(
            leaves: [Tensor.randomNormal([2, 3], seed: 54), Tensor.randomNormal([5, 3], seed: 55)], step: 0.25
        ) { tape, v in try tape.dense(v[0], weight: v[1]) }
        #expect(errors.allSatisfy { $0 < 1e-3 }, "\(errors)")
    }

    @Test("channelAffine backward matches finite differences (NCHW and [N, F])", arguments: [[2, 3, 4, 4], [3, 5]])
    func channelAffineGradient(_ shape: [Int]) throws {
        let channels = shape[1]
        let scale = Tensor.randomNormal([channels], seed: 56)
        let shift = Tensor.randomNormal([channels], seed: 57)
        let x = Tensor.randomNormal(shape, seed: 58)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.25) { tape, v in
            try tape.channelAffine(v[0], scale: scale, shift: shift)
        }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
        // Forward: y = x·scale[c] + shift[c].
        let y = try ChannelAffine.forward(x, scale: scale, shift: shift)
        let plane = x.count / (shape[0] * channels)
        for i in 0..<x.count {
            let c = (i / plane) % channels
            #expect(abs(y.scalars[i] - (x.scalars[i] * scale.scalars[c] + shift.scalars[c])) < 1e-6)
        }
    }

    @Test("relu backward matches finite differences (inputs at least 0.1 from 0)")
    func reluGradient() throws {
        let x = KinkFreeData.awayFromZero([2, 3, 4, 4], margin: 0.1, seed: 59)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.01) { tape, v in try tape.relu(v[0]) }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
    }

    @Test("relu6 backward matches finite differences (inputs at least 0.1 from 0 and 6)")
    func relu6Gradient() throws {
        let x = KinkFreeData.awayFromReLU6Kinks([2, 3, 5, 5], margin: 0.1, seed: 60)
        #expect(x.scalars.contains { $0 > 6 } && x.scalars.contains { $0 < 0 } && x.scalars.contains { $0 > 0 && $0 < 6 })
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.01) { tape, v in try tape.relu6(v[0]) }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
    }

    @Test("add of two values")
    func addGradient() throws {
        let errors = try GradientCheck.maximumRelativeErrors(
            leaves: [Tensor.randomNormal([2, 3, 2, 2], seed: 61), Tensor.randomNormal([2, 3, 2, 2], seed: 62)], step: 0.25
        ) { tape, v in try tape.add(v[0], v[1]) }
        #expect(errors.allSatisfy { $0 < 1e-3 }, "\(errors)")
    }

    @Test("add of the same variable twice: the gradient is twice the seed")
    func addSameVariableTwice() throws {
        let x = Tensor.randomNormal([3, 4], seed: 63)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.25) { tape, v in try tape.add(v[0], v[0]) }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
        let tape = Tape()
        let v = tape.input(x)
        let seed = Tensor.randomNormal([3, 4], seed: 64)
        let gradient = try #require(try tape.backward(from: tape.add(v, v), seed: seed, withRespectTo: [v])[v])
        expectEqual(gradient, seed.scaled(by: 2))
    }

    @Test("fan-out: a ReLU output feeding two consumers receives the sum of both gradients")
    func fanOut() throws {
        let x = KinkFreeData.awayFromZero([2, 6], margin: 0.1, seed: 65)
        let w = Tensor.randomNormal([6, 6], seed: 66)
        let scale = Tensor.randomNormal([6], seed: 67)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x, w], step: 0.01) { tape, v in
            let shared = try tape.relu(v[0])
            let left = try tape.dense(shared, weight: v[1])
            let right = try tape.channelAffine(shared, scale: scale, shift: Tensor.zeros([6]))
            return try tape.add(left, right)
        }
        #expect(errors.allSatisfy { $0 < 1e-3 }, "\(errors)")
    }

    @Test("batch norm scales the gradient it receives without touching the copy an addition gave its other input")
    func channelAffineBesideIdentity() throws {
        // y = add(bn(x), x) summed: ∂/∂x = scale[c] + 1 in every element of channel c. A batch norm
        // that scaled the addition's shared gradient in its storage without copying it would
        // give the identity path scale[c] too: 2 · scale[c].
        let channels = 3
        let x = Tensor.randomNormal([2, channels, 40, 40], seed: 72)  // above the pool's minimum size
        let scale = try Tensor(shape: [channels], scalars: [0.5, -2, 3])
        let shift = try Tensor(shape: [channels], scalars: [1, 0, -1])
        for buffers in [nil, TensorBufferPool()] {
            let tape = Tape(workers: .serial, buffers: buffers)
            let input = tape.input(x)
            let y = try tape.add(try tape.channelAffine(input, scale: scale, shift: shift), input)
            let seed = Tensor(repeating: 1, shape: x.shape)
            let gradient = try #require(try tape.backward(from: y, seed: seed, withRespectTo: [input])[input])
            let plane = 40 * 40
            for index in 0..<gradient.count {
                let channel = (index / plane) % channels
                #expect(gradient[flat: index] == scale[flat: channel] + 1, "element \(index)")
            }
        }
    }

    @Test("batch norm's backward step gives the bits of ChannelAffine.backward, on a gradient it holds alone or shares")
    func channelAffineBackwardBits() throws {
        let x = Tensor.randomNormal([2, 4, 30, 30], seed: 73)
        let upstream = Tensor.randomNormal(x.shape, seed: 74)
        let scale = Tensor.randomNormal([4], seed: 75)
        let shift = Tensor.randomNormal([4], seed: 76)
        // Shared: the caller's seed reaches the batch norm directly.
        let direct = try ChannelAffine.backward(outputGradient: upstream, scale: scale, workers: .serial)
        // Held alone: a ReLU after the batch norm hands it a gradient of its own,
        // `upstream` where the batch norm's output is positive and 0 elsewhere.
        let normalised = try ChannelAffine.forward(x, scale: scale, shift: shift, workers: .serial)
        var masked = upstream
        for index in 0..<masked.count where !(normalised[flat: index] > 0) { masked[flat: index] = 0 }
        let throughReLU = try ChannelAffine.backward(outputGradient: masked, scale: scale, workers: .serial)
        for (activated, expected) in [(false, direct), (true, throughReLU)] {
            let tape = Tape(workers: Workers(count: 2), buffers: TensorBufferPool())
            let input = tape.input(x)
            let normalisedNode = try tape.channelAffine(input, scale: scale, shift: shift)
            let y = activated ? try tape.relu(normalisedNode) : normalisedNode
            let gradient = try #require(try tape.backward(from: y, seed: upstream, withRespectTo: [input])[input])
            #expect(gradient.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern), "through a ReLU: \(activated)")
        }
        #expect(upstream == Tensor.randomNormal(x.shape, seed: 74), "the caller's seed is left unchanged")
    }

    @Test("a chain where one value reaches the output along three paths")
    func diamond() throws {
        let x = Tensor.randomNormal([2, 2, 3, 3], seed: 68)
        let w = Tensor.randomNormal([2, 2, 3, 3], seed: 69)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x, w], step: 0.25) { tape, v in
            let c = try tape.conv2d(v[0], weight: v[1], geometry: .init(padding: 1))
            let twice = try tape.add(c, v[0])
            return try tape.add(try tape.add(twice, c), v[0])
        }
        #expect(errors.allSatisfy { $0 < 1e-3 }, "\(errors)")
    }

    @Test("reshape and flatten pass gradients through unchanged")
    func reshapeAndFlatten() throws {
        let x = Tensor.randomNormal([2, 3, 2, 2], seed: 70)
        let w = Tensor.randomNormal([4, 12], seed: 71)
        let flattened = try GradientCheck.maximumRelativeErrors(leaves: [x, w], step: 0.25) { tape, v in
            try tape.dense(tape.flatten(v[0]), weight: v[1])
        }
        #expect(flattened.allSatisfy { $0 < 1e-3 }, "\(flattened)")
        let reshaped = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.25) { tape, v in
            try tape.maxPool2d(tape.reshape(v[0], to: [1, 6, 2, 2]), geometry: .init(kernel: 1))
        }
        #expect(reshaped[0] < 1e-3)

        let tape = Tape()
        let v = tape.input(x)
        let flat = try tape.flatten(v)
        #expect(try tape.shape(flat) == [2, 12])
        let seed = Tensor.randomNormal([2, 12], seed: 72)
        let gradient = try #require(try tape.backward(from: flat, seed: seed, withRespectTo: [v])[v])
        #expect(gradient.shape == [2, 3, 2, 2])
        #expect(gradient.scalars == seed.scalars)
    }

    @Test("softmaxCrossEntropy backward matches finite differences (also through a dense layer)")
    func softmaxCrossEntropyGradient() throws {
        let logits = Tensor.randomNormal([3, 5], standardDeviation: 2, seed: 73)
        let labels = [0, 4, 2]
        let direct = try GradientCheck.maximumRelativeErrors(leaves: [logits], step: 1e-2) { tape, v in
            try tape.softmaxCrossEntropy(v[0], labels: labels)
        }
        #expect(direct[0] < 2e-3, "relative error \(direct[0])")

        let x = Tensor.randomNormal([3, 4], seed: 74)
        let w = Tensor.randomNormal([5, 4], seed: 75)
        let throughDense = try GradientCheck.maximumRelativeErrors(leaves: [x, w], step: 1e-2) { tape, v in
            try tape.softmaxCrossEntropy(tape.dense(v[0], weight: v[1]), labels: labels)
        }
        #expect(throughDense.allSatisfy { $0 < 2e-3 }, "\(throughDense)")

        // The loss itself: mean of −log softmax at the label, by hand for logits [0, ln 3] (p = 1/4, 3/4).
        let tape = Tape()
        let l = tape.input(try tensor([2, 2], [0, Float(1.0986123), 0, Float(1.0986123)]))
        let loss = try tape.value(tape.softmaxCrossEntropy(l, labels: [0, 1]))
        #expect(loss.shape == [])
        // (−ln(1/4) − ln(3/4)) / 2 = (1.3862944 + 0.2876821) / 2.
        #expect(abs(loss.scalars[0] - 0.8369882) < 1e-5)
    }
}

@Suite("Gradient-check harness")
struct GradientCheckHarnessTests {
    @Test("the harness is not vacuous: a non-gradient rule at a ReLU fails the check")
    func detectsWrongGradient() throws {
        let x = KinkFreeData.awayFromZero([2, 8], margin: 0.1, seed: 76)
        #expect(x.scalars.contains { $0 < 0 })
        // DeconvNet passes max(R, 0) also where z < 0, which is not the derivative of ReLU.
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.01, rules: BackwardRules(activation: DeconvNetRule())) { tape, v in
            try tape.relu(v[0])
        }
        #expect(errors[0] > 0.5, "relative error \(errors[0])")
    }
}
