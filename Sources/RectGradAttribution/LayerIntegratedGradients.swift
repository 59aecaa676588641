import RectGradCore

/// How a path integral from the baseline to the input is approximated: the points `α_k` of the
/// path and their weights `w_k`.
public enum PathQuadrature: Sendable, Equatable, CustomStringConvertible {
    /// The right Riemann sum over `steps` equal parts: `α_k = k/m`, `w_k = 1/m` (the spec's
    /// integrated gradients; Captum's `method="riemann_right"`).
    case riemannRight(steps: Int)
    /// `points`-point Gauss–Legendre quadrature on [0, 1] (Captum's `method="gausslegendre"`).
    case gaussLegendre(points: Int)

    /// The number of path points (one forward and one backward pass each).
    public var count: Int {
        switch self {
        case .riemannRight(let steps): return steps
        case .gaussLegendre(let points): return points
        }
    }

    /// The path points `α_k` (as the float32 the interpolation uses) and their weights.
    func points() -> [(alpha: Float, weight: Double)] {
        switch self {
        case .riemannRight(let steps):
            return (1...Swift.max(steps, 1)).map { (Float($0) / Float(steps), 1 / Double(steps)) }
        case .gaussLegendre(let points):
            return GaussLegendre.nodes(points).map { (Float($0.node), $0.weight) }
        }
    }

    /// Checks the point count against ``Estimator/maximumPassCount``.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `steps`.
    public func validate() throws(AttributionError) {
        guard count >= 1, count <= Estimator.maximumPassCount else {
            throw .invalidParameter(name: "steps", reason: "must be in 1...\(Estimator.maximumPassCount), got \(count)")
        }
    }

    public var description: String {
        switch self {
        case .riemannRight(let steps): return "\(steps)-step right Riemann sum"
        case .gaussLegendre(let points): return "\(points)-point Gauss–Legendre"
        }
    }
}

extension AttributionMethod {
    /// Layer integrated gradients (Sundararajan et al., 2017, at a layer, as Captum's
    /// `LayerIntegratedGradients`) at `layer` (default: the network's
    /// `RectGradLayers/Network/lastConvolutionalBlock`): the network is run on the input with the
    /// layer's output `A` replaced by `A(b) + α(A(x) − A(b))` along the path, and the attribution is
    /// `(A(x) − A(b)) · ∫₀¹ dS/dA dα`; its sum over the layer approaches `S(x) − S(b)` when
    /// everything after the layer depends on the input only through it. As an input map, the
    /// layer attribution is summed over channels and upsampled bilinearly to the input
    /// (`[N, 1, H, W]`, like Grad-CAM); ``AttributionSession/attribute(layer:integratedGradients:baseline:rules:)``
    /// returns it at the layer's resolution.
    public static func layerIntegratedGradients(layer: String? = nil, quadrature: PathQuadrature = .riemannRight(steps: 50), baseline: Baseline = .zero) -> AttributionMethod {
        AttributionMethod(name: "layer-integrated-gradients", estimator: .layerIntegratedGradients(layer: layer, quadrature: quadrature, baseline: baseline))
    }
}

extension AttributionSession {
    /// Layer integrated gradients of each example's explained output at the output `A` of
    /// `layer` (`nil`: the network's declared last convolutional block), with the layer's shape:
    /// `(A(x) − A(b)) · Σ_k w_k · dS/dA`, the gradient taken with `A` replaced by
    /// `A(b) + α_k (A(x) − A(b))` while every other value the network computes comes from the input
    /// (Captum's `LayerIntegratedGradients` with `attribute_to_layer_input=False`). The target stays
    /// the one chosen at the input along the path. The result's completeness compares the layer
    /// attribution's sum with `S(x) − S(b)`.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `layer` or `steps`,
    ///   ``AttributionError/baselineShapeMismatch(expected:actual:)``, the tape's errors.
    public func attribute(layer: String? = nil, integratedGradients quadrature: PathQuadrature, baseline: Baseline = .zero, rules: BackwardRules = .gradient) throws -> LayerAttributionResult {
        try quadrature.validate()
        var counter = PassCounter()
        let rows = Array(0..<exampleCount)
        let pass = try layerIntegratedGradients(layer: layer, quadrature: quadrature, baseline: baseline, rules: rules, at: input, rowExamples: rows, recorded: true, counter: &counter)
        guard pass.attribution.isFinite else { throw AttributionError.nonFinite(stage: "layer integrated gradients at \(pass.name)", layer: nil) }
        let perExample = pass.attribution.count / max(exampleCount, 1)
        var sums: [Double] = []
        pass.attribution.withUnsafeBufferPointer { a in
            for example in rows {
                var total = 0.0
                for i in (example * perExample)..<((example + 1) * perExample) { total += Double(a[i]) }
                sums.append(total)
            }
        }
        let differences = rows.map { score(logits, row: $0, example: $0) - score(pass.baselineLogits, row: pass.baselineIsBroadcast ? 0 : $0, example: $0) }
        var result = LayerAttributionResult(layer: pass.name, method: .integratedGradients, map: pass.attribution, activation: pass.activation, logits: logits, targets: targets)
        result.completeness = Completeness(attributionSums: sums, outputDifferences: differences)
        return result
    }

    /// What one layer-integrated-gradients computation produced.
    struct LayerIntegration {
        var name: String
        var attribution: Tensor
        var activation: Tensor
        var baselineLogits: Tensor
        var baselineIsBroadcast: Bool
        var report: BackwardReport?
    }

    /// The input-map estimator: the layer attribution summed over channels and upsampled to the
    /// input's `H × W`.
    func layerIntegratedGradientsMap(layer: String?, quadrature: PathQuadrature, baseline: Baseline, rules: BackwardRules, at x: Tensor, rowExamples: [Int], recorded: Bool, counter: inout PassCounter) throws -> Estimate {
        let pass = try layerIntegratedGradients(layer: layer, quadrature: quadrature, baseline: baseline, rules: rules, at: x, rowExamples: rowExamples, recorded: recorded, counter: &counter)
        let shape = pass.attribution.shape
        guard shape.count == 4 else {
            throw AttributionError.invalidParameter(name: "layer", reason: "layer integrated gradients as an input map needs a layer with an [N, C, h, w] output; '\(pass.name)' has shape \(shape) (AttributionSession.attribute(layer:integratedGradients:) returns it at the layer)")
        }
        let (n, c, plane) = (shape[0], shape[1], shape[2] * shape[3])
        var summed = [Float](repeating: 0, count: n * plane)
        pass.attribution.withUnsafeBufferPointer { a in
            for example in 0..<n {
                for p in 0..<plane {
                    var total = 0.0
                    for channel in 0..<c { total += Double(a[(example * c + channel) * plane + p]) }
                    summed[example * plane + p] = Float(total)
                }
            }
        }
        let map = try Tensor(shape: [n, 1, shape[2], shape[3]], scalars: summed)
        return Estimate(map: try BilinearUpsampling.resize(map, height: x.shape[2], width: x.shape[3]), report: pass.report)
    }

    /// Layer integrated gradients of the rows of `x` (row `r` explains `rowExamples[r]`).
    func layerIntegratedGradients(layer: String?, quadrature: PathQuadrature, baseline: Baseline, rules: BackwardRules, at x: Tensor, rowExamples: [Int], recorded: Bool, counter: inout PassCounter) throws -> LayerIntegration {
        let recording = try recording(of: x, recorded: recorded, counter: &counter)
        let (name, variable) = try resolveLayer(layer, on: recording.tape)
        let activation = try recording.tape.value(variable)

        // A(b): the baseline's forward pass, the same graph (the same node ids) as the input's.
        let baselineRows = BroadcastRows(try baseline.values(for: input.shape))
        let baselineRecording = try record(baselineRows.batch, counter: &counter)
        try checkSameNode(variable, name: name, on: baselineRecording.tape)
        let baselineActivation = BroadcastRows(try baselineRecording.tape.value(variable))
        let size = activation.count / max(rowExamples.count, 1)
        guard baselineActivation.rowSize == size else {
            throw AttributionError.unsupportedCombination("the baseline's output of '\(name)' has \(baselineActivation.rowSize) values per example, the input's \(size)")
        }

        let points = quadrature.points()
        let steps = points.count
        let exampleShape = Array(x.shape.dropFirst())
        let inputSize = exampleShape.reduce(1, *)
        let layerShape = Array(activation.shape.dropFirst())
        let totalRows = rowExamples.count * steps
        var sums = [Double](repeating: 0, count: activation.count)
        var report: BackwardReport?
        let xs = x.scalars, a = activation.scalars, b = baselineActivation.batch.scalars
        var first = 0
        while first < totalRows {
            let count = min(chunkSize, totalRows - first)
            var inputs = [Float](repeating: 0, count: count * inputSize)
            var replacement = [Float](repeating: 0, count: count * size)
            for row in 0..<count {
                let (r, k) = ((first + row) / steps, (first + row) % steps)
                for i in 0..<inputSize { inputs[row * inputSize + i] = xs[r * inputSize + i] }
                let offset = baselineActivation.offset(ofExample: rowExamples[r])
                let alpha = points[k].alpha
                for i in 0..<size { replacement[row * size + i] = b[offset + i] + alpha * (a[r * size + i] - b[offset + i]) }
            }
            let chunkExamples = (first..<(first + count)).map { rowExamples[$0 / steps] }
            let tape = Tape(workers: workers, buffers: buffers, replacing: [variable: try Tensor(shape: [count] + layerShape, scalars: replacement)])
            let inputVariable = tape.input(try Tensor(shape: [count] + exampleShape, scalars: inputs))
            let logitsVariable = try network.logits(inputVariable, on: tape)
            counter.forward += 1
            try checkSameNode(variable, name: name, on: tape)
            let path = Recording(tape: tape, input: inputVariable, logits: logitsVariable)
            let backwardRules = try rules.binding { reference in
                try referenceActivations(reference, rowExamples: chunkExamples, counter: &counter)
            }
            let result = try tape.backward(from: logitsVariable, seed: try seed(rowExamples: chunkExamples, on: path), withRespectTo: [variable], rules: backwardRules)
            counter.backward += 1
            report = result.report
            guard let gradient = result[variable] else {
                throw AttributionError.unsupportedCombination("the backward pass returned no gradient for layer '\(name)'")
            }
            gradient.withUnsafeBufferPointer { g in
                for row in 0..<count {
                    let (r, k) = ((first + row) / steps, (first + row) % steps)
                    let weight = points[k].weight
                    for i in 0..<size { sums[r * size + i] += weight * Double(g[row * size + i]) }
                }
            }
            first += count
            reportProgress(first, of: totalRows)
        }
        var values = [Float](repeating: 0, count: activation.count)
        for r in 0..<rowExamples.count {
            let offset = baselineActivation.offset(ofExample: rowExamples[r])
            for i in 0..<size {
                values[r * size + i] = Float((Double(a[r * size + i]) - Double(b[offset + i])) * sums[r * size + i])
            }
        }
        return LayerIntegration(
            name: name, attribution: try Tensor(shape: activation.shape, scalars: values), activation: activation,
            baselineLogits: try baselineRecording.tape.value(baselineRecording.logits), baselineIsBroadcast: baselineRows.isBroadcast, report: report
        )
    }

    /// Checks that `tape` recorded the layer `name` at the node `variable` has on the input's
    /// recording (the network records the same graph for every batch).
    private func checkSameNode(_ variable: Variable, name: String, on tape: Tape) throws {
        guard tape.variable(named: name) == variable else {
            throw AttributionError.unsupportedCombination("\(network.name) recorded '\(name)' at another position for another batch; layer integrated gradients needs the same graph for every batch")
        }
    }
}
