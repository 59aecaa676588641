import Foundation
import RectGradCore

/// Lowers an ONNX graph onto tape operations. Each node is recorded on an import tape with a
/// zero input of batch one as soon as it is lowered, so the shapes every later node needs are
/// known exactly and every shape error surfaces at import, naming its node.
struct ONNXGraphBuilder {
    /// A value of the graph: known at import, or computed by the tape.
    enum Value {
        case constant(ONNXConstant)
        case variable(Int)
    }

    /// The graph; its initializers are emptied as they are decoded (their bytes are then held
    /// once, as constants).
    private(set) var graph: Onnx_GraphProto
    let opset: Int
    let decoder: ONNXTensorDecoder
    /// The `raw_data` of each initializer when the graph was decoded without it
    /// (``ONNXRawDataIndex``); empty when the initializers hold their own.
    let initializerRawData: [Data?]
    let options: ONNXImportOptions

    /// Values by ONNX name.
    var values: [String: Value] = [:]
    /// The import tape (on the options' workers: the import's forward pass is a real one) and its
    /// variable for every value index.
    let tape: Tape
    var tapeVariables: [Variable] = []
    /// The lowered operations.
    var operations: [ONNXOperation] = []
    /// Node indices already lowered as part of another node (a batch norm folded into its conv).
    var absorbed: Set<Int> = []
    /// Erf-GELU patterns by the index of their last node.
    var geluPatterns: [Int: ONNXGELUPattern] = [:]
    /// Node indices in a topological order.
    var order: [Int] = []
    /// For every value name, the nodes that read it.
    var consumers: [String: [Int]] = [:]
    /// Node names, unique, in file order.
    var nodeNames: [String] = []
    /// The graph input `[1, C, H, W]` and output `[1, classes]` shapes.
    var inputShape: [Int] = []
    var outputShape: [Int] = []
    /// The name of the graph output explained.
    var outputName = ""
    var notes: [String] = []
    /// Zero storage of the placeholders, by element count (``placeholder(_:)``).
    var placeholderStorage: [Int: [Float]] = [:]

    init(graph: Onnx_GraphProto, opset: Int, directory: URL?, options: ONNXImportOptions, initializerRawData: [Data?] = []) throws(ONNXError) {
        self.graph = graph
        self.opset = opset
        self.options = options
        self.initializerRawData = initializerRawData
        tape = Tape(workers: options.workers)
        decoder = ONNXTensorDecoder(modelDirectory: directory, limits: options.limits, workers: options.workers)
        guard graph.node.count <= options.limits.maximumNodes else {
            throw .invalidModel(reason: "\(graph.node.count) nodes exceed the limit of \(options.limits.maximumNodes)")
        }
    }

    /// The context of node `index` for errors.
    func context(_ index: Int) -> ONNXNodeContext {
        ONNXNodeContext(name: nodeNames[index], opType: graph.node[index].opType, opset: opset)
    }

    mutating func build() throws(ONNXError) -> ONNXGraphLayer {
        try readInitializers()
        try readInput()
        nameNodes()
        try sortNodes()
        findGELUPatterns()
        guard let output = graph.output.first else { throw .invalidModel(reason: "the graph has no output") }
        outputName = output.name
        if graph.output.count > 1 { notes.append("the graph has \(graph.output.count) outputs; the first, '\(output.name)', is explained") }
        for index in order where !absorbed.contains(index) {
            try lower(index)
        }
        guard let value = values[outputName] else { throw .invalidModel(reason: "the graph output '\(outputName)' is never computed") }
        guard case .variable(let outputIndex) = value else {
            throw .invalidModel(reason: "the graph output '\(outputName)' does not depend on the input")
        }
        outputShape = shape(of: outputIndex)
        guard outputShape.count == 2, outputShape[0] == 1, outputShape[1] >= 1 else {
            throw .invalidModel(reason: "the graph output '\(outputName)' has shape \(outputShape) for one image; a classifier's logits [N, classes] are expected")
        }
        return ONNXGraphLayer(name: "onnx", operations: operations, valueCount: tapeVariables.count, outputValue: outputIndex)
    }

    // MARK: Graph structure

    private mutating func readInitializers() throws(ONNXError) {
        for index in graph.initializer.indices {
            let name = graph.initializer[index].name
            guard !name.isEmpty else { throw .invalidTensor(name: "initializer #\(index)", reason: "it has no name") }
            guard values[name] == nil else { throw .invalidTensor(name: name, reason: "two initializers have this name") }
            let rawData = index < initializerRawData.count ? initializerRawData[index] : nil
            values[name] = .constant(try decoder.decode(graph.initializer[index], name: name, rawData: rawData))
            // Drop the decoded message (its copy of the raw bytes) as soon as its constant exists.
            graph.initializer[index] = Onnx_TensorProto()
        }
        if !graph.sparseInitializer.isEmpty { throw .invalidModel(reason: "sparse initializers are not supported") }
    }

    private mutating func readInput() throws(ONNXError) {
        let inputs = graph.input.filter { values[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            throw .invalidModel(reason: "the graph has \(inputs.count) inputs besides its initializers (\(inputs.map { "'\($0.name)'" }.joined(separator: ", "))); one image input is expected")
        }
        guard input.type.tensorType.elemType == 1 || input.type.tensorType.elemType == 0 else {
            throw .invalidModel(reason: "the input '\(input.name)' has element type \(input.type.tensorType.elemType); float (1) is expected")
        }
        let dims = input.type.tensorType.shape.dim
        guard dims.count == 4 else {
            throw .invalidModel(reason: "the input '\(input.name)' has rank \(dims.count); an image batch [N, C, H, W] is expected")
        }
        func dimension(_ i: Int) -> Int? {
            guard case .dimValue(let raw)? = dims[i].value, let value = Int(exactly: raw), value >= 1, value <= 1 << 14 else { return nil }
            return value
        }
        guard let channels = dimension(1), channels <= 4096 else {
            throw .invalidModel(reason: "the input '\(input.name)' needs a fixed channel count between 1 and 4096")
        }
        if let batch = dimension(0), batch != 1 { notes.append("the input's batch dimension is fixed at \(batch) in the file; batches of any size are run") }
        let size: Size2D
        if let height = dimension(2), let width = dimension(3) {
            size = Size2D(height, width)
            if let requested = options.inputSize, requested != size {
                throw .invalidModel(reason: "the graph's input size is fixed at \(size), not \(requested)")
            }
        } else if let requested = options.inputSize {
            size = requested
        } else {
            throw .invalidModel(reason: "the input '\(input.name)' has a symbolic height or width; give the input size")
        }
        guard size.height >= 1, size.width >= 1, size.height <= 1 << 14, size.width <= 1 << 14 else {
            throw .invalidModel(reason: "input size \(size) is out of range")
        }
        inputShape = [1, channels, size.height, size.width]
        guard channels * size.height * size.width <= options.limits.maximumTensorElements else {
            throw .invalidModel(reason: "the input [\(channels), \(size.height), \(size.width)] exceeds the limit of \(options.limits.maximumTensorElements) elements")
        }
        let variable = tape.input(Tensor.zeros(inputShape), name: input.name)
        tapeVariables.append(variable)
        values[input.name] = .variable(0)
    }

    private mutating func nameNodes() {
        var seen: Set<String> = []
        for (index, node) in graph.node.enumerated() {
            var name = node.name.isEmpty ? "\(node.opType)_\(index)" : node.name
            if seen.contains(name) { name += "_\(index)" }
            seen.insert(name)
            nodeNames.append(name)
        }
    }

    /// Kahn's algorithm in file order; nodes left over lie on or behind a cycle.
    private mutating func sortNodes() throws(ONNXError) {
        var producer: [String: Int] = [:]
        for (index, node) in graph.node.enumerated() {
            for output in node.output where !output.isEmpty {
                guard producer[output] == nil, values[output] == nil else {
                    throw .invalidNode(context(index), reason: "output '\(output)' is also produced elsewhere in the graph")
                }
                producer[output] = index
            }
        }
        var pending = [Int](repeating: 0, count: graph.node.count)
        var dependents = [[Int]](repeating: [], count: graph.node.count)
        for (index, node) in graph.node.enumerated() {
            for input in node.input where !input.isEmpty {
                consumers[input, default: []].append(index)
                if let source = producer[input] {
                    pending[index] += 1
                    dependents[source].append(index)
                }
            }
        }
        var ready = (0..<graph.node.count).filter { pending[$0] == 0 }.reversed() as [Int]
        while let next = ready.popLast() {
            order.append(next)
            for dependent in dependents[next].reversed() {
                pending[dependent] -= 1
                if pending[dependent] == 0 { ready.append(dependent) }
            }
        }
        if order.count < graph.node.count {
            let stuck = (0..<graph.node.count).filter { pending[$0] > 0 }.map { nodeNames[$0] }
            throw .cycle(nodes: stuck)
        }
    }

    // MARK: Values

    /// The shape of a tape value (batch one).
    func shape(of index: Int) -> [Int] {
        (try? tape.shape(tapeVariables[index])) ?? []
    }

    /// The value of input `position` of node `index` (`nil` for an absent optional input).
    func input(_ position: Int, of index: Int) throws(ONNXError) -> Value? {
        let node = graph.node[index]
        guard position < node.input.count, !node.input[position].isEmpty else { return nil }
        guard let value = values[node.input[position]] else {
            throw .missingValue(context(index), value: node.input[position])
        }
        return value
    }

    /// Input `position` as a tape value.
    func variableInput(_ position: Int, of index: Int) throws(ONNXError) -> Int {
        switch try input(position, of: index) {
        case .variable(let value): return value
        case .constant: throw .unsupportedOperator(context(index), reason: "input \(position) is a constant where a computed value is expected")
        case nil: throw .invalidNode(context(index), reason: "input \(position) is missing")
        }
    }

    /// Input `position` as a constant, or `nil` when absent.
    func constantInput(_ position: Int, of index: Int, required: Bool = true) throws(ONNXError) -> ONNXConstant? {
        switch try input(position, of: index) {
        case .constant(let value): return value
        case .variable: throw .dynamicShape(context(index), reason: "input \(position) ('\(graph.node[index].input[position])') must be known when importing (an initializer or constant), but it is computed from the image")
        case nil:
            if required { throw .invalidNode(context(index), reason: "input \(position) is missing") }
            return nil
        }
    }

    /// Binds output `position` of node `index` to `value`.
    mutating func bind(_ value: Value, output position: Int = 0, of index: Int) throws(ONNXError) {
        let node = graph.node[index]
        guard position < node.output.count, !node.output[position].isEmpty else {
            if position == 0 { throw .invalidNode(context(index), reason: "the node has no output") }
            return
        }
        values[node.output[position]] = value
    }

    /// Records `step` on the import tape (checking shapes) and appends it; returns the new value.
    mutating func emit(_ step: ONNXStep, inputs: [Int], node index: Int, opType: String? = nil, name: String? = nil) throws(ONNXError) -> Int {
        let name = name ?? nodeNames[index]
        let bound = step.outputElementBound(inputs.map { shape(of: $0) })
        guard bound <= options.limits.maximumTensorElements else {
            throw .invalidNode(context(index), reason: "its output would hold up to \(bound == Int.max ? "more than \(Int.max)" : String(bound)) elements, beyond the limit of \(options.limits.maximumTensorElements) (input shapes \(inputs.map { shape(of: $0) }))")
        }
        let variable: Variable
        do {
            if let shape = try Self.placeholderShape(of: step, inputs: inputs.map { shape(of: $0) }) {
                // Only shapes matter on the import tape: the convolutions and dense layers (nearly
                // all of a forward pass's work) are not run, their output shapes are computed.
                variable = tape.input(try placeholder(shape), name: name)
            } else {
                variable = try step.record(inputs.map { tapeVariables[$0] }, name: name, on: tape)
            }
        } catch let error as TensorError {
            throw .invalidNode(context(index), reason: "\(error) (input shapes \(inputs.map { shape(of: $0) }))")
        } catch let error as TapeError {
            if case .operationFailed(_, let tensorError) = error {
                throw .invalidNode(context(index), reason: "\(tensorError) (input shapes \(inputs.map { shape(of: $0) }))")
            }
            throw .invalidNode(context(index), reason: "\(error)")
        } catch {
            throw .invalidNode(context(index), reason: "\(error)")
        }
        let output = tapeVariables.count
        tapeVariables.append(variable)
        operations.append(ONNXOperation(
            name: name, opType: opType ?? graph.node[index].opType, step: step, inputs: inputs,
            output: output, outputShape: shape(of: output)))
        return output
    }

    /// A zero tensor of `shape` whose storage is shared with every earlier placeholder of the same
    /// element count (the import tape never writes its leaves, so one zero buffer per size is
    /// enough; fresh zero pages for every convolution's output were a third of resnet50's import).
    mutating func placeholder(_ shape: [Int]) throws(TensorError) -> Tensor {
        let count = shape.reduce(1, *)
        let zeros = placeholderStorage[count] ?? [Float](repeating: 0, count: count)
        placeholderStorage[count] = zeros
        return try Tensor(shape: shape, scalars: zeros)
    }

    /// The output shape of a convolution or dense step for inputs of `shapes`, checked as the
    /// kernels check it; `nil` for every other step (recorded for real).
    static func placeholderShape(of step: ONNXStep, inputs shapes: [[Int]]) throws(TensorError) -> [Int]? {
        let input = shapes.first ?? []
        switch step {
        case .convolution(let weight, _, let geometry):
            return try Convolution2D.outputShape(input: input, weight: weight.shape, geometry: geometry)
        case .dense(let weight, let bias):
            guard weight.rank == 2, input.count == 2, input[1] == weight.shape[1] else {
                throw .shapeMismatch(operation: "dense", expected: [input.first ?? 1, weight.shape.last ?? 0], actual: input)
            }
            if let bias, bias.shape != [weight.shape[0]] {
                throw .shapeMismatch(operation: "dense bias", expected: [weight.shape[0]], actual: bias.shape)
            }
            return [input[0], weight.shape[0]]
        default:
            return nil
        }
    }

    /// Whether output `position` of node `index` is read by any node or is a graph output.
    func isUsed(output position: Int, of index: Int) -> Bool {
        let outputs = graph.node[index].output
        guard position < outputs.count, !outputs[position].isEmpty else { return false }
        let name = outputs[position]
        return !(consumers[name] ?? []).isEmpty || graph.output.contains { $0.name == name }
    }
}
