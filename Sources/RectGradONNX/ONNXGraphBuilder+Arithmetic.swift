import RectGradCore

extension ONNXGraphBuilder {
    /// Add/Sub/Mul/Div. Two computed values of one shape add on the tape; a computed value and a
    /// constant that is scalar or per-channel become a per-channel affine map.
    mutating func lowerArithmetic(_ index: Int) throws(ONNXError) {
        let context = context(index)
        let opType = graph.node[index].opType
        guard let left = try input(0, of: index), let right = try input(1, of: index) else {
            throw .invalidNode(context, reason: "\(opType) needs two inputs")
        }
        switch (left, right) {
        case (.variable(let a), .variable(let b)):
            if opType == "Add" && shape(of: a) == shape(of: b) {
                try bind(.variable(emit(.add, inputs: [a, b], node: index)), of: index)
            } else {
                try bind(.variable(emit(.arithmetic(Self.operation(opType)), inputs: [a, b], node: index)), of: index)
            }
        case (.variable(let x), .constant(let constant)), (.constant(let constant), .variable(let x)):
            let constantFirst: Bool
            if case .constant = left { constantFirst = true } else { constantFirst = false }
            let target = shape(of: x)
            guard let perChannel = try? channelVector(constant, broadcastTo: target, index), !(opType == "Div" && constantFirst) else {
                // Any other broadcastable constant: the tape's broadcasting arithmetic.
                guard constant.isFloat else { throw .invalidNode(context, reason: "an integer constant meets a floating-point value") }
                let step = ONNXStep.arithmeticWithConstant(Self.operation(opType), constant: try tensor(constant, index), constantFirst: constantFirst)
                try bind(.variable(emit(step, inputs: [x], node: index)), of: index)
                return
            }
            let channels = target[1]
            var scale = [Float](repeating: 1, count: channels)
            var shift = [Float](repeating: 0, count: channels)
            switch (opType, constantFirst) {
            case ("Add", _): shift = perChannel
            case ("Sub", false): shift = perChannel.map { -$0 }
            case ("Sub", true): scale = scale.map { _ in -1 }; shift = perChannel
            case ("Mul", _): scale = perChannel
            case ("Div", false):
                guard perChannel.allSatisfy({ $0 != 0 }) else { throw .invalidNode(context, reason: "division by a constant zero") }
                scale = perChannel.map { 1 / $0 }
            default:
                throw .unsupportedOperator(context, reason: "dividing a constant by a computed value is not supported")
            }
            let step = ONNXStep.channelAffine(scale: Tensor.vector(scale), shift: Tensor.vector(shift))
            try bind(.variable(emit(step, inputs: [x], node: index)), of: index)
        default:
            throw .invalidNode(context, reason: "\(opType) of two constants was not folded")
        }
    }

    /// The tape's operation for an ONNX arithmetic operator.
    static func operation(_ opType: String) -> Broadcast.Operation {
        switch opType {
        case "Sub": return .subtract
        case "Mul": return .multiply
        case "Div": return .divide
        default: return .add
        }
    }

    /// The per-channel values of `constant` broadcast against `target` (`[N, C, …]`), when the
    /// constant varies at most along the channel axis and does not enlarge `target`.
    func channelVector(_ constant: ONNXConstant, broadcastTo target: [Int], _ index: Int) throws(ONNXError) -> [Float] {
        let context = context(index)
        guard constant.isFloat else { throw .invalidNode(context, reason: "an integer constant meets a floating-point value") }
        guard target.count >= 2 else { throw .unsupportedOperator(context, reason: "arithmetic on a value of shape \(target)") }
        let channels = target[1]
        if constant.count == 1 { return [Float](repeating: constant.floats[0], count: channels) }
        guard constant.shape.count <= target.count else {
            throw .invalidNode(context, reason: "constant of shape \(constant.shape) does not broadcast to \(target)")
        }
        let aligned = [Int](repeating: 1, count: target.count - constant.shape.count) + constant.shape
        for axis in aligned.indices where aligned[axis] != 1 {
            guard aligned[axis] == target[axis] else {
                throw .invalidNode(context, reason: "constant of shape \(constant.shape) does not broadcast to \(target)")
            }
            guard axis == 1 else {
                throw .unsupportedOperator(context, reason: "broadcasting a constant of shape \(constant.shape) that varies along axis \(axis) of \(target) is not supported (only scalars and per-channel constants)")
            }
        }
        return constant.floats
    }

    /// Gemm with a constant B (and C): a dense layer on `[N, K]`.
    mutating func lowerGemm(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let context = context(index)
        let x = try variableInput(0, of: index)
        guard let b = try constantInput(1, of: index), b.isFloat, b.shape.count == 2 else {
            throw .unsupportedOperator(context, reason: "B must be a 2-D floating-point constant")
        }
        let c = try constantInput(2, of: index, required: false)
        if try attributes.int("transA", default: 0) != 0 { throw .unsupportedOperator(context, reason: "transA 1 is not supported") }
        let alpha = try attributes.float("alpha", default: 1)
        let beta = try attributes.float("beta", default: 1)
        let transB = try attributes.int("transB", default: 0) != 0
        var weight = transB ? try tensor(b, index) : Self.transposed(b)
        if alpha != 1 { weight = (try? Tensor(shape: weight.shape, scalars: weight.scalars.map { $0 * alpha })) ?? weight }
        let outputs = weight.shape[0]
        var bias: Tensor?
        if let c {
            guard c.isFloat, c.count == 1 || (c.count == outputs && (c.shape == [outputs] || c.shape == [1, outputs])) else {
                throw .unsupportedOperator(context, reason: "C of shape \(c.shape) is not a bias of \(outputs) outputs")
            }
            let values = c.count == 1 ? [Float](repeating: c.floats[0], count: outputs) : c.floats
            bias = Tensor.vector(values.map { $0 * beta })
        }
        try bind(.variable(emit(.dense(weight: weight, bias: bias), inputs: [x], node: index)), of: index)
    }

    /// MatMul of a computed `[N, K]` by a constant `[K, M]`: a dense layer without bias.
    mutating func lowerMatMul(_ index: Int) throws(ONNXError) {
        let context = context(index)
        let x = try variableInput(0, of: index)
        guard let b = try constantInput(1, of: index), b.isFloat, b.shape.count == 2 else {
            throw .unsupportedOperator(context, reason: "MatMul needs a 2-D floating-point constant on the right")
        }
        guard shape(of: x).count == 2 else {
            throw .unsupportedOperator(context, reason: "MatMul of a value of shape \(shape(of: x)) is not supported (only [N, K])")
        }
        try bind(.variable(emit(.dense(weight: Self.transposed(b), bias: nil), inputs: [x], node: index)), of: index)
    }

    /// The transpose of a 2-D constant as a tensor.
    static func transposed(_ matrix: ONNXConstant) -> Tensor {
        let (rows, columns) = (matrix.shape[0], matrix.shape[1])
        let values = matrix.floats
        var result = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = values[r * columns + c] } }
        return (try? Tensor(shape: [columns, rows], scalars: result)) ?? Tensor.zeros([columns, rows])
    }
}
