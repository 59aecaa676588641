/// A reverse-mode tape: records a forward pass as an append-only list of nodes so that the same
/// pass can be run backward, any number of times, under any ``BackwardRules``.
///
/// ```swift
/// let tape = Tape()
/// let x = tape.input(image)
/// let h = try tape.relu(tape.conv2d(x, weight: tape.parameter(w), geometry: .init(padding: 1)))
/// let result = try tape.backward(from: logits, seed: oneHot, withRespectTo: [x], rules: .gradient)
/// ```
///
/// A tape is a reference type used from one task at a time; it is not `Sendable`.
///
/// Every kernel the tape runs, forward and backward, and every activation rule it calls splits its
/// work among the tape's ``workers``; the results do not depend on how many there are.
public final class Tape {
    var nodes: [Node] = []
    /// Number of activation nodes recorded so far.
    public internal(set) var activationCount = 0
    /// The threads the tape's kernels and rules share their work among.
    public let workers: Workers
    /// Values that stand in for what the forward pass computes at given nodes (see
    /// ``init(workers:buffers:replacing:)``).
    let replacements: [Int: Tensor]
    /// Where the tape's kernels take their large output buffers from and where the tape gives
    /// them back: output gradients during a backward pass, recorded values when the tape is
    /// released (``TensorBufferPool``).
    public let buffers: TensorBufferPool
    /// Whether the tape records a forward pass only (``init(workers:buffers:inferenceOnly:)``):
    /// ``dropValue(_:)`` then gives values back to the pool as soon as the layers are done with
    /// them, and ``backward(from:seed:withRespectTo:rules:)`` is refused.
    public let isInferenceOnly: Bool

    /// Creates an empty tape whose kernels run on `workers` (default: one per active core;
    /// ``Workers/serial`` keeps everything on the calling thread). In an unoptimised build of
    /// the library the first tape of the process writes one warning line to standard error
    /// (``RectGradBuild``). Pass the same `buffers` to the tapes of successive passes so that
    /// they reuse each other's memory; by default the tape has a pool of its own, reused between
    /// its own operations and backward passes.
    ///
    /// With `inferenceOnly`, the tape computes a forward pass without keeping it for a backward
    /// one: each value that layer code drops (``dropValue(_:)``; ``RectGradLayers/Sequential``
    /// drops every layer's output once the next layer has read it) goes back to the pool at once
    /// and is reused by the next operation while it is still in the processor's cache, instead
    /// of every value of the pass staying in memory to its end. The values computed are the same
    /// bits; `Network.logits(for:workers:buffers:)` records this way.
    public init(workers: Workers = .default, buffers: TensorBufferPool? = nil, inferenceOnly: Bool = false) {
        self.workers = workers
        self.buffers = buffers ?? TensorBufferPool()
        self.replacements = [:]
        self.isInferenceOnly = inferenceOnly
        RectGradBuild.warnOnceIfUnoptimized()
    }

    /// Creates an empty tape on which the computed value of each node in `replacements` is
    /// replaced, as it is recorded, by the given tensor: every later node sees the replacement
    /// (Captum's forward hook that returns another layer output, as layer integrated gradients
    /// uses it). A node is identified by the ``Variable`` of the same node on an earlier recording
    /// of the same computation (ids are sequential, so recording the same network again gives
    /// the same ids). `buffers` is as in ``init(workers:buffers:)``.
    ///
    /// The backward pass *through* a replaced node itself is not meaningful (its saved inputs
    /// are those of the computed value); ask for gradients at the replaced node, not beyond it.
    /// - Throws: nothing here; recording the replaced node throws
    ///   ``TapeError/operationFailed(layer:_:)`` when the replacement's shape differs from the
    ///   computed value's.
    public init(workers: Workers = .default, buffers: TensorBufferPool? = nil, replacing replacements: [Variable: Tensor]) {
        self.workers = workers
        self.buffers = buffers ?? TensorBufferPool()
        var byID: [Int: Tensor] = [:]
        for (variable, value) in replacements { byID[variable.id] = value }
        self.replacements = byID
        self.isInferenceOnly = false
        RectGradBuild.warnOnceIfUnoptimized()
    }

    deinit {
        // The recorded values go back to the pool for the next tape (leaves are the caller's;
        // a value the caller still holds is shared and stays with the caller).
        for index in nodes.indices { giveStorageBack(index) }
        buffers.passEnded()
    }

    /// Gives the storage of computed node `index` back to the pool: its value and, for a max
    /// pool, its argmax indices (leaves are the caller's and are left alone). A value another
    /// holder still shares stays with that holder.
    private func giveStorageBack(_ index: Int) {
        if case .leaf = nodes[index].operation { return }
        buffers.recycle(&nodes[index].storedValue)
        if case .maxPool(let geometry, var argmax) = nodes[index].operation {
            // Drop the node's reference first, so that the pool sees the only one.
            nodes[index].operation = .maxPool(geometry, argmax: [])
            buffers.recycleIndices(&argmax)
        }
    }

    /// Number of recorded nodes (leaves included).
    public var nodeCount: Int { nodes.count }

    // MARK: Leaves

    /// Records a network input.
    public func input(_ value: Tensor, name: String = "input") -> Variable {
        append(.leaf(.input), inputs: [], value: value, name: name)
    }

    /// Records a parameter (weights or biases). Its gradient is computed only when asked for.
    public func parameter(_ value: Tensor, name: String = "") -> Variable {
        append(.leaf(.parameter), inputs: [], value: value, name: name)
    }

    // MARK: Access

    /// The value a variable holds.
    /// - Throws: ``TapeError/unknownVariable(_:)`` for a variable from another tape.
    public func value(_ variable: Variable) throws(TapeError) -> Tensor {
        try check(variable)
        return valueOfNode(variable.id)
    }

    /// The shape of a variable's value.
    public func shape(_ variable: Variable) throws(TapeError) -> [Int] {
        try node(variable).shape
    }

    /// Whether the variable's elements were given back to the pool (a convolution's output once
    /// batch norm has read it, ``channelAffine(_:scale:shift:name:)``; a convolution's output, a
    /// batch norm or a sum once a ReLU or ReLU6 has overwritten it, ``activation(_:kind:name:)``;
    /// a batch norm once a sum has overwritten it, ``add(_:_:name:)``); its value is then computed
    /// again whenever it is read.
    package func isReleased(_ variable: Variable) -> Bool {
        variable.id >= 0 && variable.id < nodes.count && nodes[variable.id].isReleased
    }

    /// The name given when recording the variable.
    public func name(_ variable: Variable) throws(TapeError) -> String {
        try node(variable).name
    }

    /// Every parameter recorded on the tape with its name, in recording order.
    public var parameterVariables: [(name: String, variable: Variable)] {
        nodes.enumerated().compactMap { id, node in
            guard case .leaf(.parameter) = node.operation else { return nil }
            return (node.name, Variable(id: id))
        }
    }

    /// Every activation's sites in recording order.
    public var activationSites: [ActivationSite] {
        nodes.enumerated().compactMap { id, node in
            guard case .activation(let kind, let ordinal) = node.operation else { return nil }
            return ActivationSite(nodeID: id, ordinal: ordinal, name: node.name, kind: kind)
        }
    }

    /// `(z, a)` of every activation keyed by ordinal (used as DeepLIFT reference values).
    public func activationValues() -> [Int: (preActivation: Tensor, output: Tensor)] {
        var result: [Int: (preActivation: Tensor, output: Tensor)] = [:]
        // By index: reading a value may apply a pending batch norm, which writes `nodes`.
        for id in nodes.indices where isReadable(id) {
            guard case .activation(_, let ordinal) = nodes[id].operation, let input = nodes[id].inputs.first, isReadable(input) else { continue }
            result[ordinal] = (valueOfNode(input), nodes[id].storedValue)
        }
        return result
    }

    /// The value of node `id`. A released node's value (one that a later operation overwrote,
    /// `Node.isReleased`) is
    /// computed again from the node's inputs by the same kernels (``Recomputation``): the same
    /// bits, whatever the workers. That cannot fail — the kernels accepted the same operands
    /// when the node was recorded — so a failure would leave the stored, empty value.
    func valueOfNode(_ id: Int) -> Tensor {
        if nodes[id].pendingChannelAffine != nil { applyPendingChannelAffine(id) }
        // Read in place: copying the whole node would retain and release each of its fields.
        guard nodes[id].isReleased else { return nodes[id].storedValue }
        return recomputation(of: id).evaluate(workers: workers, buffers: buffers) ?? nodes[id].storedValue
    }

    /// The value of node `id` as an operand of an operation being recorded. A released value is
    /// computed again and kept from then on: a value with a second consumer recorded after the
    /// ReLU that overwrote it (say a convolution's output read by a ReLU and then by a pooling
    /// layer) is computed once more, not once per later read.
    func operandValue(_ id: Int) -> Tensor {
        guard nodes[id].isReleased else { return valueOfNode(id) }
        let value = valueOfNode(id)
        guard value.count == nodes[id].shape.reduce(1, *) else { return value }
        nodes[id].storedValue = value
        nodes[id].isReleased = false
        return value
    }

    /// Moves node `id`'s stored value out, leaving the node an empty value of its shape: the
    /// storage is then referenced once, so a kernel can write over it without a copy.
    func takeStoredValue(_ id: Int) -> Tensor {
        var value = Tensor(uncheckedShape: nodes[id].shape, scalars: [])
        swap(&value, &nodes[id].storedValue)
        return value
    }

    /// Applies the batch norm of node `id` recorded after a convolution (`Node.pendingChannelAffine`)
    /// in place, on the tape's workers.
    private func applyPendingChannelAffine(_ id: Int) {
        guard let map = nodes[id].pendingChannelAffine else { return }
        var value = takeStoredValue(id)
        TensorBufferPool.withCurrent(buffers, workers: workers) { ChannelAffine.applyInPlace(map, to: &value, workers: workers) }
        nodes[id].storedValue = value
        nodes[id].pendingChannelAffine = nil
    }

    /// Checks that `variable` belongs to this tape and still has its value.
    /// - Throws: ``TapeError/unknownVariable(_:)``, ``TapeError/valueDropped(_:)``.
    func check(_ variable: Variable) throws(TapeError) {
        guard variable.id >= 0, variable.id < nodes.count else { throw .unknownVariable(variable) }
        guard isReadable(variable.id) else { throw .valueDropped(variable) }
    }

    /// Whether node `id`'s value can be read: not dropped, and — for a released node, which is
    /// computed again when read — none of its operands unreadable either.
    func isReadable(_ id: Int) -> Bool {
        guard !nodes[id].isDropped else { return false }
        return !nodes[id].isReleased || nodes[id].inputs.allSatisfy { isReadable($0) }
    }

    /// On an inference-only tape (``isInferenceOnly``), gives the value of `variable` back to the
    /// pool: the caller promises that nothing reads it again. Reading it, or recording an
    /// operation on it, then throws ``TapeError/valueDropped(_:)``. A value that another node
    /// shares (a reshape's) stays with that node. On a tape recording for backward passes, and
    /// for inputs and parameters (the caller's tensors), it does nothing.
    public func dropValue(_ variable: Variable) {
        guard isInferenceOnly, variable.id >= 0, variable.id < nodes.count, !nodes[variable.id].isDropped else { return }
        if case .leaf = nodes[variable.id].operation { return }
        let shape = nodes[variable.id].shape
        nodes[variable.id].pendingChannelAffine = nil
        giveStorageBack(variable.id)
        // A value too small for the pool is still in the node: let it go too.
        nodes[variable.id].storedValue = Tensor(uncheckedShape: shape, scalars: [])
        nodes[variable.id].isDropped = true
    }

    func node(_ variable: Variable) throws(TapeError) -> Node {
        try check(variable)
        return nodes[variable.id]
    }

    func append(_ operation: Operation, inputs: [Int], value: Tensor, name: String) -> Variable {
        nodes.append(Node(operation: operation, inputs: inputs, value: value, name: name))
        return Variable(id: nodes.count - 1)
    }

    /// Appends a computed (non-leaf) node, with its replacement value when one was given for
    /// its id.
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` for a replacement of another shape.
    func appendComputed(_ operation: Operation, inputs: [Int], value: Tensor, name: String) throws(TapeError) -> Variable {
        guard let replacement = replacements[nodes.count] else {
            return append(operation, inputs: inputs, value: value, name: name)
        }
        guard replacement.shape == value.shape else {
            throw .operationFailed(layer: name, .shapeMismatch(operation: "replacement of the recorded value", expected: value.shape, actual: replacement.shape))
        }
        return append(operation, inputs: inputs, value: replacement, name: name)
    }

    /// Runs a kernel, mapping its error to a ``TapeError`` naming the layer.
    func record(_ operation: Operation, inputs: [Variable], name: String, _ compute: ([Tensor]) throws(TensorError) -> Tensor) throws(TapeError) -> Variable {
        var values: [Tensor] = []
        values.reserveCapacity(inputs.count)
        for input in inputs {
            try check(input)
            values.append(operandValue(input.id))
        }
        let value: Tensor
        do { value = try TensorBufferPool.withCurrent(buffers, workers: workers) { () throws(TensorError) in try compute(values) } } catch { throw .operationFailed(layer: name, error) }
        return try appendComputed(operation, inputs: inputs.map(\.id), value: value, name: name)
    }
}
