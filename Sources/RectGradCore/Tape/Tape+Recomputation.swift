/// How a released node's value is computed again: its operation and its operands' values, held
/// as values (not as the tape), so that the computation can be handed to an activation rule and
/// run only if the rule reads it (``ActivationBackwardInput/preActivation``).
///
/// A tape releases a node whose storage the next operation overwrote
/// (``Tape/channelAffine(_:scale:shift:name:)``, ``Tape/activation(_:kind:name:)``,
/// ``Tape/add(_:_:name:)``): a convolution's output under its batch norm, a convolution's output,
/// a batch norm or a residual sum under the ReLU or ReLU6 that follows, and a batch norm under the
/// sum that adds it. Each is computed again by the kernels that
/// computed it first, from the same operands: the same bits, whatever the workers.
indirect enum Recomputation: Sendable {
    /// A value the tape still holds.
    case stored(Tensor)
    /// `conv(input, weight) + bias`.
    case convolution(input: Recomputation, weight: Tensor, bias: Tensor?, geometry: Convolution2DGeometry)
    /// `input · scale[c] + shift[c]` (batch norm).
    case channelAffine(input: Recomputation, scale: Tensor, shift: Tensor)
    /// `a + b` (a residual sum; shapes broadcast).
    case add(Recomputation, Recomputation)

    /// The value, with large buffers from `buffers`; nil when a kernel refuses its operands
    /// (it accepted the same operands when the node was recorded, so this does not happen).
    func evaluate(workers: Workers, buffers: TensorBufferPool) -> Tensor? {
        switch self {
        case .stored(let value):
            return value
        case .convolution(let input, let weight, let bias, let geometry):
            guard let input = input.evaluate(workers: workers, buffers: buffers) else { return nil }
            return try? TensorBufferPool.withCurrent(buffers, workers: workers) { () throws(TensorError) in
                try Convolution2D.forward(input: input, weight: weight, bias: bias, geometry: geometry, workers: workers)
            }
        case .channelAffine(let input, let scale, let shift):
            guard var value = input.evaluate(workers: workers, buffers: buffers) else { return nil }
            // In place when the input was just computed here (its storage is not shared).
            return try? TensorBufferPool.withCurrent(buffers, workers: workers) { () throws(TensorError) in
                try ChannelAffine.forwardInPlace(&value, scale: scale, shift: shift, workers: workers)
                return value
            }
        case .add(let a, let b):
            guard let a = a.evaluate(workers: workers, buffers: buffers), let b = b.evaluate(workers: workers, buffers: buffers) else { return nil }
            return try? TensorBufferPool.withCurrent(buffers, workers: workers) { () throws(TensorError) in
                try Broadcast.apply(.add, a, b, workers: workers)
            }
        }
    }
}

extension Tape {
    /// How to obtain node `id`'s value: the stored value, or for a released node the computation
    /// that gives it again (operands that are themselves released are described the same way).
    func recomputation(of id: Int) -> Recomputation {
        guard nodes[id].isReleased else { return .stored(valueOfNode(id)) }
        let node = nodes[id]
        guard Self.isRecomputable(node) else { return .stored(node.storedValue) }
        switch node.operation {
        case .convolution(let geometry):
            return .convolution(input: recomputation(of: node.inputs[0]), weight: valueOfNode(node.inputs[1]),
                                bias: node.inputs.count > 2 ? valueOfNode(node.inputs[2]) : nil, geometry: geometry)
        case .channelAffine(let scale, let shift):
            return .channelAffine(input: recomputation(of: node.inputs[0]), scale: scale, shift: shift)
        default:
            return .add(recomputation(of: node.inputs[0]), recomputation(of: node.inputs[1]))
        }
    }

    /// Whether `node`'s operation is one that ``Recomputation`` computes again from its operands
    /// (a convolution, a batch norm, a sum of two): the values a later operation may overwrite.
    static func isRecomputable(_ node: Node) -> Bool {
        switch node.operation {
        case .convolution: node.inputs.count >= 2
        case .channelAffine: node.inputs.count == 1
        case .add: node.inputs.count == 2
        default: false
        }
    }

    /// Node `id`'s value for a rule that may not read it: a released node's value is computed
    /// only when read (``DeferredTensor``), by the same kernels as ``valueOfNode(_:)``.
    func deferredValue(of id: Int) -> DeferredTensor {
        guard nodes[id].isReleased else { return DeferredTensor(valueOfNode(id)) }
        let recomputation = recomputation(of: id), shape = nodes[id].shape
        let workers = workers, buffers = buffers
        return DeferredTensor(shape: shape) {
            recomputation.evaluate(workers: workers, buffers: buffers) ?? Tensor(uncheckedShape: shape, scalars: [])
        }
    }
}
