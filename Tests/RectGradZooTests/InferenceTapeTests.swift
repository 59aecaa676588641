import Testing
import RectGradCore
import RectGradLayers
import RectGradZoo

/// `Network.logits(for:)` records on an inference-only tape, which gives every intermediate value
/// back to the pool once the next layer has read it: the same logits, bit for bit, as a pass
/// recorded for backward, with less memory.
@Suite struct InferenceTapeTests {
    /// Zoo models (seeded random weights) and inputs of a size each accepts.
    static let models: [(name: String, input: [Int])] = [
        ("cifar-cnn", [3, 3, 32, 32]), ("resnet50", [2, 3, 64, 64]), ("efficientnet-lite0", [2, 3, 64, 64]),
        ("vgg16", [1, 3, 224, 224]), ("inception-v4", [1, 3, 299, 299]),
    ]

    static func recordedLogits(_ network: Network, _ x: Tensor, buffers: TensorBufferPool? = nil) throws -> Tensor {
        let tape = Tape(buffers: buffers)
        return try tape.value(network.logits(tape.input(x), on: tape))
    }

    @Test(arguments: models.map(\.name))
    func inferenceGivesTheLogitsOfARecordedPass(model: String) throws {
        let shape = try #require(Self.models.first { $0.name == model }).input
        let network = try Zoo.network(named: model)
        let x = Tensor.randomUniform(shape, low: -1, high: 1, seed: 31)
        let inferred = try network.logits(for: x)
        #expect(inferred == (try Self.recordedLogits(network, x)))
        // A second inference pass on a shared pool reuses the first one's buffers: same bits again.
        let pool = TensorBufferPool()
        let first = try network.logits(for: x, buffers: pool)
        #expect(try network.logits(for: x, buffers: pool) == first)
        #expect(first == inferred)
    }

    @Test func intermediateValuesAreGivenBackDuringThePass() throws {
        let network = try Zoo.network(named: "resnet50")
        let x = Tensor.randomUniform([2, 3, 64, 64], low: -1, high: 1, seed: 32)
        let recordedPool = TensorBufferPool(), inferencePool = TensorBufferPool()
        _ = try Self.recordedLogits(network, x, buffers: recordedPool)
        _ = try network.logits(for: x, buffers: inferencePool)
        let recorded = recordedPool.statistics, inferred = inferencePool.statistics
        // A recorded pass keeps every value to its end: nothing comes back for reuse within it.
        #expect(recorded.reused == 0)
        // The inference pass takes most of its buffers from values given back earlier in the pass.
        #expect(inferred.reused > inferred.allocated)
        // A recorded pass allocates about one buffer per layer whose value it keeps (its ReLUs
        // overwrite the convolution, batch norm or sum under them); the inference pass a third of that or less.
        #expect(inferred.allocated < recorded.allocated / 3)
    }

    @Test func droppedValuesCannotBeReadAndBackwardIsRefused() throws {
        let network = try Zoo.network(named: "resnet50")
        let tape = Tape(inferenceOnly: true)
        #expect(tape.isInferenceOnly)
        let input = tape.input(Tensor.randomUniform([1, 3, 64, 64], low: -1, high: 1, seed: 33))
        let logits = try network.logits(input, on: tape)
        #expect(try tape.value(logits).shape == [1, 1000])
        // The input (the caller's) is kept; every activation's output was read by the next layer and dropped.
        #expect(try tape.value(input).shape == [1, 3, 64, 64])
        let sites = tape.activationSites
        #expect(sites.count == 49)
        for site in sites {
            #expect(throws: TapeError.valueDropped(Variable(id: site.nodeID))) { _ = try tape.value(Variable(id: site.nodeID)) }
        }
        let dropped = Variable(id: sites[0].nodeID)
        #expect(throws: TapeError.valueDropped(dropped)) { _ = try tape.relu(dropped) }
        #expect(throws: TapeError.inferenceOnlyTape) { _ = try tape.backward(from: logits, withRespectTo: [input]) }
    }

    @Test func aValueThatCannotBeComputedAgainIsNotRead() throws {
        // A convolution's output is given up when batch norm reads it and computed again from the
        // convolution's input when read later; once that input is dropped it cannot be.
        let tape = Tape(inferenceOnly: true)
        let input = tape.input(Tensor.randomUniform([1, 2, 5, 5], low: -1, high: 1, seed: 35))
        let activated = try tape.relu(input)
        let weight = tape.parameter(Tensor.randomUniform([3, 2, 3, 3], low: -1, high: 1, seed: 36))
        let convolved = try tape.conv2d(activated, weight: weight, geometry: .init(padding: 1))
        let normalized = try tape.channelAffine(convolved, scale: Tensor(repeating: 2, shape: [3]), shift: Tensor(repeating: 0.5, shape: [3]))
        let expected = try tape.value(convolved)
        tape.dropValue(activated)
        #expect(throws: TapeError.valueDropped(convolved)) { _ = try tape.value(convolved) }
        // The batch norm's own value is still there, and the finiteness scan skips what it cannot read.
        let value = try tape.value(normalized)
        #expect(value == expected.scalars.map { $0 * 2 + 0.5 }.reshapedLike(expected))
        #expect(tape.firstNonFiniteLayer() == nil)
        // A ReLU6 recorded on a pending batch norm overwrites it: its value is dropped, the activation's kept.
        let again = try tape.conv2d(input, weight: weight, geometry: .init(padding: 1))
        let pending = try tape.channelAffine(again, scale: Tensor(repeating: 2, shape: [3]), shift: Tensor(repeating: -1, shape: [3]))
        let clipped = try tape.activation(pending, kind: .relu6)
        #expect(throws: TapeError.valueDropped(pending)) { _ = try tape.value(pending) }
        let reference = try tape.value(again).scalars.map { min(max($0 * 2 - 1, 0), 6) }
        #expect(try tape.value(clipped).scalars == reference)
    }

    @Test func droppingOnATapeForBackwardChangesNothing() throws {
        let tape = Tape()
        let x = tape.input(Tensor.randomUniform([1, 2, 4, 4], low: -1, high: 1, seed: 34))
        let y = try tape.relu(x)
        let before = try tape.value(y)
        tape.dropValue(y)
        tape.dropValue(x)
        #expect(try tape.value(y) == before)
        let gradient = try tape.backward(from: y, withRespectTo: [x])
        #expect(gradient[x] != nil)
        // Leaves are the caller's: an inference tape keeps them too.
        let inference = Tape(inferenceOnly: true)
        let leaf = inference.input(before)
        inference.dropValue(leaf)
        #expect(try inference.value(leaf) == before)
    }
}

private extension Array where Element == Float {
    /// These elements in the shape of `tensor`.
    func reshapedLike(_ tensor: Tensor) -> Tensor { Tensor(repeating: 0, shape: tensor.shape).replacingScalars(self) }
}

private extension Tensor {
    func replacingScalars(_ values: [Float]) -> Tensor {
        var copy = self
        copy.withUnsafeMutableBufferPointer { buffer in for i in buffer.indices { buffer[i] = values[i] } }
        return copy
    }
}
