extension Tape {
    /// A 2-D convolution `conv(x, weight) + bias`; `weight` is `[O, C/groups, kH, kW]`, `bias` is `[O]`.
    public func conv2d(_ x: Variable, weight: Variable, bias: Variable? = nil, geometry: Convolution2DGeometry = .init(), name: String = "") throws(TapeError) -> Variable {
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return try record(.convolution(geometry), inputs: inputs, name: name) { (v) throws(TensorError) in
            try Convolution2D.forward(input: v[0], weight: v[1], bias: v.count > 2 ? v[2] : nil, geometry: geometry, workers: workers)
        }
    }

    /// A dense (fully connected) layer `x · weightᵀ + bias`; `x` is `[N, in]`, `weight` `[out, in]`.
    public func dense(_ x: Variable, weight: Variable, bias: Variable? = nil, name: String = "") throws(TapeError) -> Variable {
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return try record(.dense, inputs: inputs, name: name) { (v) throws(TensorError) in
            try Dense.forward(input: v[0], weight: v[1], bias: v.count > 2 ? v[2] : nil, workers: workers)
        }
    }

    /// Max pooling; ties go to the first maximal element in row-major window order.
    public func maxPool2d(_ x: Variable, geometry: Pooling2DGeometry, name: String = "") throws(TapeError) -> Variable {
        try check(x)
        let value = operandValue(x.id)
        let result: MaxPoolResult
        do {
            result = try TensorBufferPool.withCurrent(buffers, workers: workers) { () throws(TensorError) in try Pooling2D.maxPool(value, geometry: geometry, workers: workers) }
        } catch { throw .operationFailed(layer: name, error) }
        return try appendComputed(.maxPool(geometry, argmax: result.argmax), inputs: [x.id], value: result.output, name: name)
    }

    /// Average pooling; `countIncludesPadding` divides every window by its full size (PyTorch's
    /// default, ONNX `count_include_pad=1`), else by the number of input elements it covers.
    /// ``Pooling2DGeometry/ceilMode`` rounds the output size up.
    public func averagePool2d(_ x: Variable, geometry: Pooling2DGeometry, countIncludesPadding: Bool = true, name: String = "") throws(TapeError) -> Variable {
        try record(.averagePool(geometry, countIncludesPadding: countIncludesPadding), inputs: [x], name: name) { (v) throws(TensorError) in
            try Pooling2D.averagePool(v[0], geometry: geometry, countIncludesPadding: countIncludesPadding, workers: workers)
        }
    }

    /// Adaptive average pooling to a fixed output size (PyTorch's bins).
    public func adaptiveAveragePool2d(_ x: Variable, outputSize: Size2D, name: String = "") throws(TapeError) -> Variable {
        try record(.adaptiveAveragePool(outputSize), inputs: [x], name: name) { (v) throws(TensorError) in
            try Pooling2D.adaptiveAveragePool(v[0], outputSize: outputSize)
        }
    }

    /// Global average pooling to `[N, C, 1, 1]`.
    public func globalAveragePool2d(_ x: Variable, name: String = "") throws(TapeError) -> Variable {
        try adaptiveAveragePool2d(x, outputSize: 1, name: name)
    }

    /// A per-channel affine map with constant `scale` and `shift` (batch norm at inference).
    ///
    /// When `x` is a convolution's output, the map is computed in place, in the convolution's
    /// storage, and the convolution's node is released (its elements given up): no backward rule of
    /// the input gradient reads a convolution's output, so a recorded pass keeps one tensor for
    /// the pair instead of two. Anything that reads the convolution's value later (an LRP rule,
    /// a layer method, ``value(_:)``) gets it computed again from the same operands, with the same bits.
    ///
    /// In that case the map itself is applied when the value is first needed: a ReLU or ReLU6
    /// recorded on it next computes the map and the activation in one pass over the elements (the
    /// same bits as the map followed by the activation) and overwrites the batch norm's value,
    /// which is released in turn (``activation(_:kind:name:)``); any other read applies the map
    /// first. Shapes are checked here, so a mismatch throws now.
    public func channelAffine(_ x: Variable, scale: Tensor, shift: Tensor, name: String = "") throws(TapeError) -> Variable {
        try check(x)
        guard case .convolution = nodes[x.id].operation, !nodes[x.id].isReleased, nodes[x.id].pendingChannelAffine == nil,
              replacements[x.id] == nil, replacements[nodes.count] == nil else {
            return try record(.channelAffine(scale: scale, shift: shift), inputs: [x], name: name) { (v) throws(TensorError) in
                try ChannelAffine.forward(v[0], scale: scale, shift: shift, workers: workers)
            }
        }
        // Shapes are checked now; the map is applied when the value is first read, or together
        // with a ReLU recorded next (`activation`). The convolution's storage moves to the new
        // node, so it is written in place then.
        let map: ChannelAffine.Checked
        do { map = try ChannelAffine.checked(shape: nodes[x.id].shape, scale: scale, shift: shift) } catch { throw .operationFailed(layer: name, error) }
        let value = takeStoredValue(x.id)
        nodes[x.id].isReleased = true
        let result = append(.channelAffine(scale: scale, shift: shift), inputs: [x.id], value: value, name: name)
        nodes[result.id].pendingChannelAffine = map
        return result
    }

    /// An activation; its backward is decided by the ``BackwardRules`` given to ``backward(from:seed:withRespectTo:rules:)``.
    ///
    /// A ReLU or ReLU6 on a convolution's output, a batch norm or a residual sum is written over
    /// that value's storage, and the value is released: the rules of the ReLU family read the
    /// activation's output, not its input, so a recorded pass keeps one tensor for the pair.
    /// Whatever reads the released value later — a rule that reads `z`
    /// (``ActivationBackwardInput/preActivation``: ε-LRP, DeepLIFT), an LRP rule, a layer method,
    /// ``value(_:)`` — gets it computed again from the same operands by the same kernels, with the
    /// same bits; an operation recorded on it later computes it once more and keeps it. A value
    /// replaced through ``init(workers:buffers:replacing:)`` is kept.
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` for a kind with invalid parameters
    ///   (``ActivationKind/validate()``: a NaN or infinite slope, clip bounds with min > max).
    public func activation(_ x: Variable, kind: ActivationKind, name: String = "") throws(TapeError) -> Variable {
        try check(x)
        do { try kind.validate() } catch { throw .operationFailed(layer: name, error) }
        if let fused = try fusedActivation(x, kind: kind, name: name) { return fused }
        if let overwriting = try activationOverwriting(x, kind: kind, name: name) { return overwriting }
        let value = operandValue(x.id)
        return try appendActivation(kind, input: x.id, value: TensorBufferPool.withCurrent(buffers, workers: workers) { kind.forward(value, workers: workers) }, name: name)
    }

    /// Appends an activation node of `kind` on node `input` with the next activation ordinal.
    private func appendActivation(_ kind: ActivationKind, input: Int, value: Tensor, name: String) throws(TapeError) -> Variable {
        let ordinal = activationCount
        activationCount += 1
        return try appendComputed(.activation(kind, ordinal: ordinal), inputs: [input], value: value, name: name)
    }

    /// A ReLU or ReLU6 on a batch norm whose map is still pending: the map and the activation in
    /// one pass over the elements, written over the batch norm's storage (the convolution's). The
    /// batch norm's own value is not kept: on an inference-only tape it is dropped
    /// (``dropValue(_:)``); on a recorded tape it is released, like the convolution before it,
    /// and computed again from the convolution's operands when something reads it. The backward
    /// rules of the ReLU family read the activation's output, not its input
    /// (``ActivationBackwardInput/preActivation`` is computed only for a rule that reads it), so
    /// a recorded pass keeps one tensor for convolution, batch norm and ReLU instead of two.
    private func fusedActivation(_ x: Variable, kind: ActivationKind, name: String) throws(TapeError) -> Variable? {
        guard let map = nodes[x.id].pendingChannelAffine, let fused = ChannelAffine.FusedActivation(kind) else { return nil }
        var output = takeStoredValue(x.id)
        TensorBufferPool.withCurrent(buffers, workers: workers) {
            ChannelAffine.applyActivatedInPlace(map, to: &output, activation: fused, workers: workers)
        }
        if isInferenceOnly {
            nodes[x.id].isDropped = true
        } else {
            nodes[x.id].isReleased = true
        }
        nodes[x.id].pendingChannelAffine = nil
        return try appendActivation(kind, input: x.id, value: output, name: name)
    }

    /// A ReLU or ReLU6 on a value the tape can compute again from values it keeps — a
    /// convolution's output, a batch norm or a residual sum (``Recomputation``) — written over that value's
    /// storage, the value released: the pass keeps one tensor for the pair, as for batch norm
    /// (``fusedActivation(_:kind:name:)``). A replaced value is kept.
    private func activationOverwriting(_ x: Variable, kind: ActivationKind, name: String) throws(TapeError) -> Variable? {
        guard kind.outputDeterminesMask, replacements[x.id] == nil else { return nil }
        let node = nodes[x.id]
        guard !node.isReleased, !node.isDropped, node.pendingChannelAffine == nil, Self.isRecomputable(node),
              node.inputs.allSatisfy({ isReadable($0) }) else { return nil }
        var output = takeStoredValue(x.id)
        _ = TensorBufferPool.withCurrent(buffers, workers: workers) { kind.forwardInPlace(&output, workers: workers) }
        nodes[x.id].isReleased = true
        return try appendActivation(kind, input: x.id, value: output, name: name)
    }

    /// `max(x, 0)` through the tape's activation rule.
    public func relu(_ x: Variable, name: String = "") throws(TapeError) -> Variable {
        try activation(x, kind: .relu, name: name)
    }

    /// `min(max(x, 0), 6)` through the tape's activation rule.
    public func relu6(_ x: Variable, name: String = "") throws(TapeError) -> Variable {
        try activation(x, kind: .relu6, name: name)
    }

    /// Element-wise sum (a residual connection); shapes broadcast as in NumPy and ONNX
    /// (``Broadcast``), e.g. `[N, C, H, W] + [1, C, 1, 1]`.
    ///
    /// When one operand is a batch norm still pending after a convolution (a residual block's last
    /// batch norm), the map and the sum are computed in one pass over that batch norm's storage,
    /// and the batch norm is released like a value under a ReLU (``activation(_:kind:name:)``):
    /// nothing an input gradient needs reads it.
    public func add(_ a: Variable, _ b: Variable, name: String = "") throws(TapeError) -> Variable {
        if let sum = try addOverwritingBatchNorm(a, b, name: name) { return sum }
        return try record(.add, inputs: [a, b], name: name) { (v) throws(TensorError) in try Broadcast.apply(.add, v[0], v[1], workers: workers) }
    }

    /// `a + b` written over the storage of the operand that is a pending batch norm, which is
    /// released; nil when neither is, or the shapes differ (broadcasting sums are recorded plainly).
    private func addOverwritingBatchNorm(_ a: Variable, _ b: Variable, name: String) throws(TapeError) -> Variable? {
        try check(a)
        try check(b)
        guard a != b, nodes[a.id].shape == nodes[b.id].shape else { return nil }
        let (target, other) = nodes[a.id].pendingChannelAffine != nil ? (a, b) : (b, a)
        guard let map = nodes[target.id].pendingChannelAffine else { return nil }
        let addend = operandValue(other.id)
        var sum = takeStoredValue(target.id)
        TensorBufferPool.withCurrent(buffers, workers: workers) {
            ChannelAffine.applyAddingInPlace(map, to: &sum, adding: addend, workers: workers)
        }
        nodes[target.id].pendingChannelAffine = nil
        nodes[target.id].isReleased = true
        return try appendComputed(.add, inputs: [a.id, b.id], value: sum, name: name)
    }

    /// The same elements under a new shape.
    public func reshape(_ x: Variable, to shape: [Int], name: String = "") throws(TapeError) -> Variable {
        try record(.reshape, inputs: [x], name: name) { (v) throws(TensorError) in try v[0].reshaped(shape) }
    }

    /// Flattens every dimension but the first, in row-major (for NCHW: c, h, w) order.
    public func flatten(_ x: Variable, name: String = "") throws(TapeError) -> Variable {
        let shape = try node(x).shape
        let batch = shape.first ?? 1
        return try reshape(x, to: [batch, shape.dropFirst().reduce(1, *)], name: name)
    }

    /// The mean softmax cross-entropy of `[N, K]` logits against integer labels (a scalar).
    public func softmaxCrossEntropy(_ logits: Variable, labels: [Int], name: String = "loss") throws(TapeError) -> Variable {
        try record(.softmaxCrossEntropy(labels: labels), inputs: [logits], name: name) { (v) throws(TensorError) in
            Tensor(scalar: try SoftmaxCrossEntropy.loss(logits: v[0], labels: labels))
        }
    }
}
