import RectGradCore

extension ONNXGraphBuilder {
    /// Lowers node `index`: folds it when every input is known, else maps it onto tape steps.
    mutating func lower(_ index: Int) throws(ONNXError) {
        if let pattern = geluPatterns.removeValue(forKey: index) {
            if try lowerGELU(pattern, end: index) { return }
            // Not GELU after all: its nodes one by one.
            for inner in pattern.inner { try lower(inner) }
        }
        let node = graph.node[index]
        let context = context(index)
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw .unsupportedOperator(context, reason: "operators of domain '\(node.domain)' are not supported")
        }
        let attributes = try ONNXAttributes(node, context: context)
        var inputs: [Value?] = []
        for position in node.input.indices { inputs.append(try input(position, of: index)) }
        let allConstant = inputs.allSatisfy { if case .variable = $0 { return false } else { return true } }
        if allConstant || node.opType == "Shape" {
            if let folded = try fold(index, attributes: attributes) {
                try bind(.constant(folded), of: index)
                return
            }
        }
        switch node.opType {
        case "Conv": try lowerConvolution(index, attributes: attributes)
        case "BatchNormalization": try lowerBatchNorm(index, attributes: attributes)
        case "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Softplus", "HardSigmoid", "HardSwish", "Gelu":
            try lowerActivation(index, attributes: attributes)
        case "Clip": try lowerClip(index, attributes: attributes)
        case "MaxPool", "AveragePool": try lowerPooling(index, attributes: attributes)
        case "GlobalAveragePool":
            try bind(.variable(emit(.globalAveragePool, inputs: [variableInput(0, of: index)], node: index)), of: index)
        case "GlobalMaxPool":
            let x = try variableInput(0, of: index)
            let shape = shape(of: x)
            guard shape.count == 4 else { throw .invalidNode(context, reason: "the input has shape \(shape); [N, C, H, W] is expected") }
            let geometry = Pooling2DGeometry(kernel: Size2D(shape[2], shape[3]), stride: 1)
            try bind(.variable(emit(.maxPool(geometry), inputs: [x], node: index)), of: index)
        case "Add", "Sub", "Mul", "Div": try lowerArithmetic(index)
        case "Concat":
            var parts: [Int] = []
            for position in node.input.indices { parts.append(try variableInput(position, of: index)) }
            let rank = shape(of: parts[0]).count
            let rawAxis = try attributes.int("axis") ?? 1
            let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
            guard axis >= 1, axis < rank else { throw .unsupportedOperator(context, reason: "concatenation along axis \(rawAxis) of rank \(rank) (the batch axis cannot be concatenated)") }
            try bind(.variable(emit(.concatenate(axis: axis), inputs: parts, node: index)), of: index)
        case "Pad": try lowerPad(index, attributes: attributes)
        case "Resize": try lowerResize(index, attributes: attributes)
        case "LRN": try lowerLocalResponseNormalization(index, attributes: attributes)
        case "Erf":
            throw .unsupportedOperator(context, reason: "Erf is supported only inside GELU, x · 0.5 · (1 + erf(x / √2))")
        case "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose": try lowerReshape(index, attributes: attributes)
        case "Gemm": try lowerGemm(index, attributes: attributes)
        case "MatMul": try lowerMatMul(index)
        case "Identity":
            try bind(.variable(variableInput(0, of: index)), of: index)
        case "Dropout":
            if isUsed(output: 1, of: index) { throw .unsupportedOperator(context, reason: "the dropout mask output is used") }
            try bind(.variable(variableInput(0, of: index)), of: index)
        case "Softmax", "LogSoftmax":
            let produces = node.output.first ?? ""
            guard produces == outputName else {
                guard node.opType == "Softmax" else {
                    throw .unsupportedOperator(context, reason: "LogSoftmax is supported only as the graph's last node (it is dropped so that the logits are explained)")
                }
                let x = try variableInput(0, of: index)
                let rank = shape(of: x).count
                let rawAxis = try attributes.int("axis") ?? (opset >= 13 ? -1 : 1)
                let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
                guard axis >= 1, axis < rank, opset >= 13 || axis == rank - 1 else {
                    throw .unsupportedOperator(context, reason: "softmax along axis \(rawAxis) of rank \(rank)")
                }
                try bind(.variable(emit(.softmax(axis: axis), inputs: [x], node: index)), of: index)
                return
            }
            let x = try variableInput(0, of: index)
            notes.append("the graph ends in \(node.opType) '\(context.name)'; its input (the logits) is explained, not the probabilities")
            try bind(.variable(x), of: index)
        default:
            throw .unsupportedOperator(context, reason: "\(node.opType) has no mapping onto the tape")
        }
    }

    // MARK: Convolution and batch norm

    /// Pads `[begin…, end…]` for the spatial axes after `auto_pad`.
    func spatialPadding(_ index: Int, attributes: ONNXAttributes, input: [Int], kernel: [Int], strides: [Int], dilations: [Int]) throws(ONNXError) -> [Int] {
        let context = context(index)
        let autoPad = try attributes.string("auto_pad") ?? "NOTSET"
        let spatial = Array(input.dropFirst(2))
        switch autoPad {
        case "NOTSET":
            let pads = try attributes.ints("pads") ?? [Int](repeating: 0, count: 2 * kernel.count)
            guard pads.count == 2 * kernel.count, pads.allSatisfy({ $0 >= 0 && $0 <= 1 << 16 }) else {
                throw .invalidNode(context, reason: "pads \(pads) do not fit a \(kernel.count)-D kernel")
            }
            return pads
        case "VALID":
            return [Int](repeating: 0, count: 2 * kernel.count)
        case "SAME_UPPER", "SAME_LOWER":
            var begins: [Int] = []
            var ends: [Int] = []
            for axis in kernel.indices {
                let output = (spatial[axis] + strides[axis] - 1) / strides[axis]
                let extent = (kernel[axis] - 1) * dilations[axis] + 1
                let total = max(0, (output - 1) * strides[axis] + extent - spatial[axis])
                let small = total / 2
                begins.append(autoPad == "SAME_UPPER" ? small : total - small)
                ends.append(autoPad == "SAME_UPPER" ? total - small : small)
            }
            return begins + ends
        default:
            throw .invalidNode(context, reason: "auto_pad '\(autoPad)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        }
    }

    /// A list attribute of two positive values (strides, dilations, kernel), defaulting to ones.
    func pair(_ name: String, _ attributes: ONNXAttributes, _ index: Int, default value: [Int]? = [1, 1]) throws(ONNXError) -> [Int] {
        guard let values = try attributes.ints(name) ?? value else {
            throw .invalidNode(context(index), reason: "attribute '\(name)' is required")
        }
        guard values.count == 2, values.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }) else {
            throw .unsupportedOperator(context(index), reason: "\(name) \(values): only 2-D operators with positive sizes are supported")
        }
        return values
    }

    mutating func lowerConvolution(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let context = context(index)
        var x = try variableInput(0, of: index)
        guard let weightConstant = try constantInput(1, of: index), weightConstant.isFloat else {
            throw .invalidNode(context, reason: "the weight must be a floating-point initializer")
        }
        let bias = try constantInput(2, of: index, required: false)
        let input = shape(of: x)
        guard input.count == 4, weightConstant.shape.count == 4 else {
            throw .unsupportedOperator(context, reason: "only 2-D convolutions are supported (input \(input), weight \(weightConstant.shape))")
        }
        let kernel = Array(weightConstant.shape.suffix(2))
        if let declared = try attributes.ints("kernel_shape"), declared != kernel {
            throw .invalidNode(context, reason: "kernel_shape \(declared) disagrees with the weight's \(kernel)")
        }
        let groups = try attributes.int("group", default: 1)
        guard groups >= 1, groups <= input[1] else { throw .invalidNode(context, reason: "group \(groups) does not fit \(input[1]) input channels") }
        let strides = try pair("strides", attributes, index)
        let dilations = try pair("dilations", attributes, index)
        let pads = try spatialPadding(index, attributes: attributes, input: input, kernel: kernel, strides: strides, dilations: dilations)
        let padding: Size2D
        if pads[0] == pads[2] && pads[1] == pads[3] {
            padding = Size2D(pads[0], pads[1])
        } else {
            // Asymmetric (SAME_UPPER with stride 2, TensorFlow exports): explicit zero padding first.
            x = try emit(.pad(before: [0, 0, pads[0], pads[1]], after: [0, 0, pads[2], pads[3]], value: 0), inputs: [x], node: index, opType: "Conv (pads)", name: "\(nodeNames[index]).pad")
            padding = 0
        }
        let geometry = Convolution2DGeometry(stride: Size2D(strides[0], strides[1]), padding: padding, dilation: Size2D(dilations[0], dilations[1]), groups: groups)
        var weight = try tensor(weightConstant, index)
        var biasTensor = try bias.map { constant throws(ONNXError) in try tensor(constant, index) }
        if let biasTensor, biasTensor.shape != [weight.shape[0]] {
            throw .invalidNode(context, reason: "the bias has shape \(biasTensor.shape), expected [\(weight.shape[0])]")
        }
        var opType = "Conv"
        var outputOwner = index
        if options.foldsBatchNorm, let norm = foldableBatchNorm(after: index) {
            let affine = try batchNormCoefficients(norm, channels: weight.shape[0])
            (weight, biasTensor) = Self.folding(weight: weight, bias: biasTensor, scale: affine.scale, shift: affine.shift)
            absorbed.insert(norm)
            opType = "Conv+BatchNormalization"
            outputOwner = norm
        }
        let output = try emit(.convolution(weight: weight, bias: biasTensor, geometry: geometry), inputs: [x], node: index, opType: opType)
        try bind(.variable(output), of: index)
        if outputOwner != index { try bind(.variable(output), of: outputOwner) }
    }

    /// The batch norm that alone reads the output of conv node `index`, if it can be folded.
    func foldableBatchNorm(after index: Int) -> Int? {
        guard let output = graph.node[index].output.first, output != outputName,
              let readers = consumers[output], readers.count == 1, let norm = readers.first,
              graph.node[norm].opType == "BatchNormalization", graph.node[norm].input.first == output,
              !isUsed(output: 1, of: norm), !isUsed(output: 2, of: norm)
        else { return nil }
        // Its statistics must be constants.
        for position in 1...4 {
            guard case .constant? = try? input(position, of: norm) else { return nil }
        }
        return norm
    }

    /// `scale = γ / √(var + ε)`, `shift = β − mean · scale` of batch-norm node `index`, rounded
    /// to float32 for a per-channel affine map.
    func batchNormAffine(_ index: Int, channels: Int) throws(ONNXError) -> (scale: Tensor, shift: Tensor) {
        let affine = try batchNormCoefficients(index, channels: channels)
        return (Tensor.vector(affine.scale.map { Float($0) }), Tensor.vector(affine.shift.map { Float($0) }))
    }

    /// `scale = γ / √(var + ε)`, `shift = β − mean · scale` of batch-norm node `index`, in Double
    /// (folded into a convolution, every weight is then rounded once).
    func batchNormCoefficients(_ index: Int, channels: Int) throws(ONNXError) -> (scale: [Double], shift: [Double]) {
        let context = context(index)
        let attributes = try ONNXAttributes(graph.node[index], context: context)
        if try attributes.int("training_mode", default: 0) != 0 {
            throw .unsupportedOperator(context, reason: "training-mode batch normalization is not supported")
        }
        let epsilon = try attributes.float("epsilon", default: 1e-5)
        guard epsilon.isFinite, epsilon >= 0 else { throw .invalidNode(context, reason: "epsilon \(epsilon) is invalid") }
        var parameters: [[Float]] = []
        for (position, label) in ["scale", "B", "mean", "var"].enumerated() {
            guard let constant = try constantInput(position + 1, of: index), constant.isFloat else {
                throw .invalidNode(context, reason: "\(label) must be a floating-point constant")
            }
            guard constant.count == channels, constant.shape.count == 1 else {
                throw .invalidNode(context, reason: "\(label) has shape \(constant.shape), expected [\(channels)]")
            }
            parameters.append(constant.floats)
        }
        var scale = [Double](repeating: 0, count: channels)
        var shift = [Double](repeating: 0, count: channels)
        for c in 0..<channels {
            let variance = Double(parameters[3][c]) + Double(epsilon)
            guard variance > 0 else { throw .invalidNode(context, reason: "variance + epsilon is not positive at channel \(c)") }
            scale[c] = Double(parameters[0][c]) / variance.squareRoot()
            shift[c] = Double(parameters[1][c]) - Double(parameters[2][c]) * scale[c]
        }
        return (scale, shift)
    }

    /// A convolution followed by `y · scale + shift` per output channel, as one convolution; the
    /// products are formed in Double and rounded once.
    static func folding(weight: Tensor, bias: Tensor?, scale: [Double], shift: [Double]) -> (Tensor, Tensor) {
        let channels = weight.shape[0]
        let perChannel = weight.count / max(channels, 1)
        // The folded weights are written once into fresh storage (`LargeFloatStorage`), not
        // into a copy-on-write copy of the initializer's array that is then overwritten.
        let scalars = weight.withUnsafeBufferPointer { original in
            LargeFloatStorage.makeArray(count: original.count) { result in
                for c in 0..<channels {
                    for i in 0..<perChannel { result[c * perChannel + i] = Float(Double(original[c * perChannel + i]) * scale[c]) }
                }
                for i in (channels * perChannel)..<original.count { result[i] = original[i] }
            }
        }
        var folded = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            folded[c] = Float(Double(bias?.scalars[c] ?? 0) * scale[c] + shift[c])
        }
        return ((try? Tensor(shape: weight.shape, scalars: scalars)) ?? weight, Tensor.vector(folded))
    }

    mutating func lowerBatchNorm(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let x = try variableInput(0, of: index)
        let input = shape(of: x)
        guard input.count >= 2 else { throw .invalidNode(context(index), reason: "the input has shape \(input)") }
        if isUsed(output: 1, of: index) || isUsed(output: 2, of: index) {
            throw .unsupportedOperator(context(index), reason: "training-mode outputs (running mean and variance) are used")
        }
        let affine = try batchNormAffine(index, channels: input[1])
        try bind(.variable(emit(.channelAffine(scale: affine.scale, shift: affine.shift), inputs: [x], node: index)), of: index)
    }

    /// A constant as a tensor, or an error naming the node.
    func tensor(_ constant: ONNXConstant, _ index: Int) throws(ONNXError) -> Tensor {
        do { return try constant.tensor() } catch { throw .invalidNode(context(index), reason: "\(error)") }
    }

    // MARK: Activations and pooling

    mutating func lowerClip(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let x = try variableInput(0, of: index)
        func bound(_ position: Int) throws(ONNXError) -> Float? {
            guard let constant = try constantInput(position, of: index, required: false) else { return nil }
            guard constant.count == 1 else { throw .invalidNode(context(index), reason: "clip bound \(position) has shape \(constant.shape)") }
            return constant.floats[0]
        }
        let lower = try bound(1) ?? -.infinity
        let upper = try bound(2) ?? .infinity
        guard !lower.isNaN, !upper.isNaN, lower <= upper else {
            throw .invalidNode(context(index), reason: "Clip bounds [\(lower), \(upper)] are invalid")
        }
        let kind: ActivationKind
        switch (lower, upper) {
        case (0, 6): kind = .relu6
        case (0, .infinity): kind = .relu
        default: kind = .clip(lower: lower, upper: upper)
        }
        try bind(.variable(emit(.activation(kind), inputs: [x], node: index)), of: index)
    }

    /// The element-wise activations; `Mul(x, Sigmoid(x))` becomes one SiLU site.
    mutating func lowerActivation(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let context = context(index)
        let x = try variableInput(0, of: index)
        let kind: ActivationKind
        switch graph.node[index].opType {
        case "Relu": kind = .relu
        case "Sigmoid":
            if let multiply = siluMultiply(after: index) {
                let output = try emit(.activation(.silu), inputs: [x], node: index, opType: "Sigmoid+Mul (SiLU)")
                absorbed.insert(multiply)
                try bind(.variable(output), of: index)
                try bind(.variable(output), of: multiply)
                return
            }
            kind = .sigmoid
        case "Tanh": kind = .tanh
        case "LeakyRelu": kind = .leakyReLU(slope: try attributes.float("alpha", default: 0.01))
        case "Elu": kind = .elu(alpha: try attributes.float("alpha", default: 1))
        case "Softplus": kind = .softplus
        case "HardSigmoid": kind = .hardSigmoid(alpha: try attributes.float("alpha", default: 0.2), beta: try attributes.float("beta", default: 0.5))
        case "HardSwish": kind = .hardSwish
        case "Gelu":
            switch try attributes.string("approximate") ?? "none" {
            case "none": kind = .gelu(.erf)
            case "tanh": kind = .gelu(.tanh)
            case let other: throw .invalidNode(context, reason: "approximate '\(other)' is neither 'none' nor 'tanh'")
            }
        default: throw .unsupportedOperator(context, reason: "not an activation")
        }
        try bind(.variable(emit(.activation(kind), inputs: [x], node: index)), of: index)
    }

    /// The `Mul` node that alone reads Sigmoid node `index` and multiplies it by the sigmoid's
    /// own input (SiLU / Swish as PyTorch exports it), if any.
    func siluMultiply(after index: Int) -> Int? {
        let node = graph.node[index]
        guard let output = node.output.first, output != outputName, let input = node.input.first,
              let readers = consumers[output], readers.count == 1, let multiply = readers.first,
              graph.node[multiply].opType == "Mul", graph.node[multiply].input.count == 2,
              Set(graph.node[multiply].input) == Set([input, output])
        else { return nil }
        return multiply
    }

    /// Constant-mode Pad of a computed value (pads and value known at import).
    mutating func lowerPad(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let context = context(index)
        let x = try variableInput(0, of: index)
        let rank = shape(of: x).count
        let mode = try attributes.string("mode") ?? "constant"
        guard mode == "constant" else { throw .unsupportedOperator(context, reason: "Pad mode '\(mode)' is not supported (only constant)") }
        guard let padsConstant = try constantInput(1, of: index), let raw = padsConstant.integers else {
            throw .invalidNode(context, reason: "pads must be integers")
        }
        var pads = raw.map { Int(clamping: $0) }
        if let axesConstant = try constantInput(3, of: index, required: false) {
            guard let axes = axesConstant.integers, pads.count == 2 * axes.count else { throw .invalidNode(context, reason: "axes do not match pads") }
            var full = [Int](repeating: 0, count: 2 * rank)
            for (k, rawAxis) in axes.enumerated() {
                let axis = rawAxis < 0 ? Int(clamping: rawAxis) + rank : Int(clamping: rawAxis)
                guard axis >= 0, axis < rank else { throw .invalidNode(context, reason: "axis \(rawAxis) is out of range") }
                full[axis] = pads[k]
                full[axis + rank] = pads[k + axes.count]
            }
            pads = full
        }
        guard pads.count == 2 * rank, pads.allSatisfy({ $0 >= 0 && $0 <= 1 << 16 }) else {
            throw .unsupportedOperator(context, reason: "pads \(pads) for rank \(rank) (negative pads crop, which is not supported)")
        }
        guard pads[0] == 0, pads[rank] == 0 else { throw .unsupportedOperator(context, reason: "padding the batch dimension") }
        let value = try constantInput(2, of: index, required: false)?.floats.first ?? 0
        try bind(.variable(emit(.pad(before: Array(pads[..<rank]), after: Array(pads[rank...]), value: value), inputs: [x], node: index)), of: index)
    }

    mutating func lowerPooling(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let context = context(index)
        let node = graph.node[index]
        var x = try variableInput(0, of: index)
        let input = shape(of: x)
        guard input.count == 4 else { throw .unsupportedOperator(context, reason: "only 2-D pooling is supported (input \(input))") }
        if isUsed(output: 1, of: index) { throw .unsupportedOperator(context, reason: "the indices output of MaxPool is used") }
        let kernel = try pair("kernel_shape", attributes, index, default: nil)
        let strides = try pair("strides", attributes, index)
        let dilations = try pair("dilations", attributes, index)
        guard dilations == [1, 1] else { throw .unsupportedOperator(context, reason: "dilated pooling (dilations \(dilations)) is not supported") }
        if try attributes.int("storage_order", default: 0) != 0 { throw .unsupportedOperator(context, reason: "storage_order 1 is not supported") }
        let pads = try spatialPadding(index, attributes: attributes, input: input, kernel: kernel, strides: strides, dilations: dilations)
        let ceilMode = try attributes.int("ceil_mode", default: 0) != 0
        let countsPadding = try attributes.int("count_include_pad", default: 0) != 0
        var padding = Size2D(pads[0], pads[1])
        if pads[0] != pads[2] || pads[1] != pads[3] {
            // Asymmetric: pad explicitly (−∞ for max pooling, zeros counted for average pooling).
            guard node.opType == "MaxPool" || countsPadding, !ceilMode else {
                throw .unsupportedOperator(context, reason: "asymmetric padding \(pads) with \(ceilMode ? "ceil_mode 1" : "count_include_pad 0") is not supported")
            }
            let value: Float = node.opType == "MaxPool" ? -.infinity : 0
            x = try emit(.pad(before: [0, 0, pads[0], pads[1]], after: [0, 0, pads[2], pads[3]], value: value), inputs: [x], node: index, opType: "\(node.opType) (pads)", name: "\(nodeNames[index]).pad")
            padding = 0
        }
        let geometry = Pooling2DGeometry(kernel: Size2D(kernel[0], kernel[1]), stride: Size2D(strides[0], strides[1]), padding: padding, ceilMode: ceilMode)
        let step: ONNXStep
        if node.opType == "MaxPool" {
            step = .maxPool(geometry)
        } else {
            step = .averagePool(geometry, countIncludesPadding: countsPadding)
        }
        try bind(.variable(emit(step, inputs: [x], node: index)), of: index)
    }
}

extension Tensor {
    /// A rank-1 tensor.
    static func vector(_ values: [Float]) -> Tensor {
        (try? Tensor(shape: [values.count], scalars: values)) ?? Tensor.zeros([values.count])
    }
}
