/// The gradients a backward pass computed and what it did.
public struct BackwardResult: Sendable {
    /// Gradients of the seeded value with respect to each requested variable.
    public var gradients: [Variable: Tensor]
    /// Counts of rules applied.
    public var report: BackwardReport

    /// The gradient for `variable`, if it was requested.
    public subscript(_ variable: Variable) -> Tensor? { gradients[variable] }
}

extension Tape {
    /// Runs the recorded pass backward from `output`, seeded with `seed` (default: ones), and
    /// returns the gradients of the requested variables. Only nodes on a path from a requested
    /// variable to `output` are visited; weight gradients are computed only when a weight is requested.
    ///
    /// - Parameters:
    ///   - output: the value to differentiate (e.g. the logits).
    ///   - seed: the gradient at `output` (e.g. a one-hot row per example selecting the target logit).
    ///   - variables: the variables whose gradients to return (inputs, parameters or intermediate values).
    ///   - rules: how activations, convolution borders and max-pools propagate gradients.
    /// - Throws: ``TapeError`` for an unknown variable, a seed of the wrong shape, a rule override
    ///   whose selector matches no activation (``TapeError/selectorMatchesNothing(_:activations:)``),
    ///   or a failing rule.
    public func backward(from output: Variable, seed: Tensor? = nil, withRespectTo variables: [Variable], rules: BackwardRules = .gradient) throws(TapeError) -> BackwardResult {
        guard !isInferenceOnly else { throw .inferenceOnlyTape }
        let outputNode = try node(output)
        for variable in variables { try check(variable) }
        let seedValue = seed ?? Tensor(repeating: 1, shape: outputNode.shape)
        guard seedValue.shape == outputNode.shape else {
            throw .seedShapeMismatch(expected: outputNode.shape, actual: seedValue.shape)
        }
        if !rules.overrides.isEmpty { try rules.validate(against: activationSites) }

        // Which nodes depend on a requested variable (forward sweep; ids are a topological order).
        let requested = Set(variables.map(\.id))
        var needed = [Bool](repeating: false, count: output.id + 1)
        for id in 0...output.id {
            needed[id] = requested.contains(id) || nodes[id].inputs.contains { needed[$0] }
        }

        var report = BackwardReport()
        report.activationNodesRecorded = activationCount
        var gradients = [Tensor?](repeating: nil, count: output.id + 1)
        var results: [Variable: Tensor] = [:]
        if needed[output.id] { gradients[output.id] = seedValue }

        // Kernels take their outputs from the tape's pool; every gradient is given back to it
        // once used up, so that the next gradient of its size reuses its memory.
        try TensorBufferPool.withCurrent(buffers, workers: workers) { () throws(TapeError) in
            for id in stride(from: output.id, through: 0, by: -1) {
                guard needed[id], let gradient = gradients[id] else { continue }
                gradients[id] = nil
                if requested.contains(id) { results[Variable(id: id)] = gradient }
                let node = nodes[id]
                if case .leaf = node.operation { continue }
                // A requested intermediate value none of whose inputs leads to a requested variable:
                // its backward would only produce gradients that are thrown away.
                guard node.inputs.contains(where: { needed[$0] }) else { continue }
                report.nodesVisited += 1
                // The step takes the gradient over, so the border rule can mask it in place.
                var inputGradients = try backwardStep(node: node, id: id, gradient: consume gradient, needed: needed, rules: rules, report: &report)
                for index in inputGradients.indices where needed[inputGradients[index].0] {
                    let input = inputGradients[index].0
                    if gradients[input] == nil {
                        gradients[input] = inputGradients[index].1
                    } else {
                        do throws(TensorError) { try gradients[input]?.add(inputGradients[index].1, workers: workers) } catch { throw .operationFailed(layer: node.name, error) }
                        buffers.recycle(&inputGradients[index].1)
                    }
                }
            }
        }
        // Requested variables the output does not depend on get zero gradients.
        for variable in variables where results[variable] == nil {
            results[variable] = Tensor.zeros(nodes[variable.id].shape)
        }
        return BackwardResult(gradients: results, report: report)
    }

    /// The gradients one node hands to its inputs.
    private func backwardStep(node: Node, id: Int, gradient upstream: consuming Tensor, needed: [Bool], rules: BackwardRules, report: inout BackwardReport) throws(TapeError) -> [(Int, Tensor)] {
        let inputs = node.inputs
        func value(_ index: Int) -> Tensor { valueOfNode(inputs[index]) }
        func wants(_ index: Int) -> Bool { index < inputs.count && needed[inputs[index]] }
        do {
            if let composite = rules.linearLayers,
               let relevance = try relevanceStep(node: node, id: id, upstream: upstream, composite: composite, report: &report) {
                return relevance.filter { needed[$0.0] }
            }
            switch node.operation {
            case .leaf:
                return []
            case .convolution(let geometry):
                var gradient = consume upstream
                if rules.masksConvolutionBorder && geometry.isPadded {
                    Self.maskOuterFrame(&gradient)
                    report.maskedConvolutions += 1
                }
                var result: [(Int, Tensor)] = []
                if wants(0) {
                    result.append((inputs[0], try Convolution2D.backwardInput(outputGradient: gradient, weight: value(1), inputShape: nodes[inputs[0]].shape, geometry: geometry, workers: workers)))
                }
                if wants(1) {
                    result.append((inputs[1], try Convolution2D.backwardWeight(outputGradient: gradient, input: value(0), weightShape: nodes[inputs[1]].shape, geometry: geometry, workers: workers)))
                }
                if wants(2) { result.append((inputs[2], Convolution2D.backwardBias(outputGradient: gradient))) }
                buffers.recycle(&gradient)
                return result
            case .dense:
                var result: [(Int, Tensor)] = []
                if wants(0) { result.append((inputs[0], try Dense.backwardInput(outputGradient: upstream, weight: value(1), workers: workers))) }
                if wants(1) { result.append((inputs[1], try Dense.backwardWeight(outputGradient: upstream, input: value(0), workers: workers))) }
                if wants(2) { result.append((inputs[2], Dense.backwardBias(outputGradient: upstream))) }
                return result
            case .maxPool(let geometry, let argmax):
                switch rules.maxPool {
                case .firstMaximum:
                    let gradient = try Pooling2D.maxPoolBackward(outputGradient: upstream, argmax: argmax, inputShape: nodes[inputs[0]].shape, workers: workers)
                    buffers.recycle(&upstream)
                    return [(inputs[0], gradient)]
                case .proportional:
                    report.proportionalMaxPools += 1
                    return [(inputs[0], try Pooling2D.proportionalRedistribution(outputGradient: upstream, input: value(0), geometry: geometry))]
                }
            case .averagePool(let geometry, let countIncludesPadding):
                return [(inputs[0], try Pooling2D.averagePoolBackward(outputGradient: upstream, inputShape: nodes[inputs[0]].shape, geometry: geometry, countIncludesPadding: countIncludesPadding, workers: workers))]
            case .adaptiveAveragePool:
                return [(inputs[0], try Pooling2D.adaptiveAveragePoolBackward(outputGradient: upstream, inputShape: nodes[inputs[0]].shape))]
            case .channelAffine(let scale, _):
                // An upstream gradient no other tensor shares is scaled in its own storage (the
                // same bits); a shared one (a sum's two operands get the same gradient) is not.
                if TensorBufferPool.isUniquelyReferenced(&upstream.scalars) {
                    try ChannelAffine.backwardInPlace(&upstream, scale: scale, workers: workers)
                    return [(inputs[0], upstream)]
                }
                let gradient = try ChannelAffine.backward(outputGradient: upstream, scale: scale, workers: workers)
                buffers.recycle(&upstream)
                return [(inputs[0], gradient)]
            case .activation(let kind, let ordinal):
                let site = ActivationSite(nodeID: id, ordinal: ordinal, name: node.name, kind: kind)
                let rule = rules.rule(for: site, activationCount: activationCount)
                var input = ActivationBackwardInput(preActivation: deferredValue(of: inputs[0]), output: node.storedValue, upstream: upstream, site: site, workers: workers)
                let gradient: Tensor
                do { gradient = try rule.backward(input) } catch { throw TapeError.ruleFailed(site: site.description, reason: "\(error)") }
                guard gradient.shape == input.preActivationShape else {
                    throw TapeError.ruleFailed(site: site.description, reason: RuleError.gradientShapeMismatch(rule: rule.description, expected: input.preActivationShape, actual: gradient.shape).description)
                }
                report.activationNodesByRule[rule.description, default: 0] += 1
                report.activationSitesByKind[kind.name, default: [:]][rule.description, default: 0] += 1
                buffers.recycle(&input.upstream)
                if var computed = input.takeComputedPreActivation() { buffers.recycle(&computed) }
                return [(inputs[0], gradient)]
            case .add:
                if nodes[inputs[0]].shape == nodes[inputs[1]].shape { return [(inputs[0], copy upstream), (inputs[1], upstream)] }
                return try arithmeticBackward(.add, node: node, upstream: upstream, wants: wants)
            case .arithmetic(let operation):
                return try arithmeticBackward(operation, node: node, upstream: upstream, wants: wants)
            case .concatenate(let axis):
                let pieces = try ShapeKernels.split(upstream, extents: inputs.map { nodes[$0].shape[axis] }, axis: axis)
                return Array(zip(inputs, pieces))
            case .pad(let before, let after):
                return [(inputs[0], try ShapeKernels.crop(upstream, before: before, after: after))]
            case .transpose(let permutation):
                return [(inputs[0], try ShapeKernels.transpose(upstream, permutation: ShapeKernels.inverse(permutation)))]
            case .gemm(let options):
                return try gemmBackward(options, node: node, upstream: upstream, wants: wants)
            case .softmax(let axis):
                return [(inputs[0], try Softmax.backward(outputGradient: upstream, output: node.storedValue, axis: axis))]
            case .reshape:
                return [(inputs[0], try upstream.reshaped(nodes[inputs[0]].shape))]
            case .resample(let height, let width):
                return [(inputs[0], try Resampling.backward(upstream, inputShape: nodes[inputs[0]].shape, height: height, width: width))]
            case .localResponseNormalization(let parameters):
                return [(inputs[0], try parameters.backward(upstream, input: value(0)))]
            case .softmaxCrossEntropy(let labels):
                let scale = upstream.scalars.first ?? 1
                return [(inputs[0], try SoftmaxCrossEntropy.lossGradient(logits: value(0), labels: labels).scaled(by: scale, workers: workers))]
            }
        } catch let error as TapeError {
            throw error
        } catch let error as TensorError {
            throw .operationFailed(layer: node.name, error)
        } catch {
            throw .ruleFailed(site: node.name, reason: "\(error)")
        }
    }

    /// The RectGrad padding rule's mask: zeroes the outermost one-pixel frame of every channel
    /// (in place; a gradient still shared with a result is copied first).
    static func maskOuterFrame(_ gradient: inout Tensor) {
        guard gradient.rank == 4 else { return }
        let (h, w) = (gradient.shape[2], gradient.shape[3])
        let planes = gradient.shape[0] * gradient.shape[1]
        guard h > 0, w > 0 else { return }
        gradient.withUnsafeMutableBufferPointer { g in
            for plane in 0..<planes {
                let base = plane * h * w
                for x in 0..<w { g[base + x] = 0; g[base + (h - 1) * w + x] = 0 }
                for y in 0..<h { g[base + y * w] = 0; g[base + y * w + w - 1] = 0 }
            }
        }
    }
}
