import RectGradCore

/// One unit or one channel of a layer's output, per example: the value a neuron gradient
/// differentiates (Captum's `neuron_selector`).
public enum NeuronSelector: Sendable, Equatable, CustomStringConvertible {
    /// One element of an example's layer output, indexed without the batch dimension (`[c, y, x]`
    /// for a convolutional output, `[feature]` for a dense one).
    case unit([Int])
    /// The sum of one channel of a convolutional output over all its positions.
    case channel(Int)

    /// Checks that the indices are not negative.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `neuron`.
    public func validate() throws(AttributionError) {
        switch self {
        case .unit(let index):
            guard !index.isEmpty, index.allSatisfy({ $0 >= 0 }) else {
                throw .invalidParameter(name: "neuron", reason: "needs non-negative indices, got \(index)")
            }
        case .channel(let channel):
            guard channel >= 0 else { throw .invalidParameter(name: "neuron", reason: "channel must be ≥ 0, got \(channel)") }
        }
    }

    /// The seed of a backward pass from a layer output of shape `shape` (`[N, …]`): 1 at the
    /// selected element(s) of every example, 0 elsewhere.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `neuron` when the
    ///   selector does not fit the layer.
    func seed(layerShape shape: [Int], layer: String) throws(AttributionError) -> Tensor {
        let example = Array(shape.dropFirst())
        let size = example.reduce(1, *)
        var selected: [Int] = []
        switch self {
        case .unit(let index):
            guard index.count == example.count, zip(index, example).allSatisfy({ $0 < $1 }) else {
                throw .invalidParameter(name: "neuron", reason: "unit \(index) is not inside the output of '\(layer)', whose examples have shape \(example)")
            }
            var flat = 0
            for (i, extent) in zip(index, example) { flat = flat * extent + i }
            selected = [flat]
        case .channel(let channel):
            guard example.count == 3, channel < example[0] else {
                throw .invalidParameter(name: "neuron", reason: "channel \(channel) needs a [C, h, w] output with more than \(channel) channels; '\(layer)' has \(example)")
            }
            let plane = example[1] * example[2]
            selected = Array((channel * plane)..<((channel + 1) * plane))
        }
        var scalars = [Float](repeating: 0, count: shape.reduce(1, *))
        for n in 0..<(shape.first ?? 0) { for i in selected { scalars[n * size + i] = 1 } }
        do { return try Tensor(shape: shape, scalars: scalars) } catch { throw .invalidParameter(name: "neuron", reason: error.description) }
    }

    public var description: String {
        switch self {
        case .unit(let index): return "unit \(index)"
        case .channel(let channel): return "channel \(channel)"
        }
    }
}

/// What ``AttributionSession/attribute(layer:method:rules:)`` computes at a layer's output `A`
/// (the attribution has `A`'s shape, except Grad-CAM's single channel).
public enum LayerAttributionMethod: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// `dS/dA` (under the rules given).
    case gradient
    /// `A · dS/dA` (Captum's `LayerGradientXActivation`).
    case gradientTimesActivation = "gradient-x-activation"
    /// `ReLU(Σ_k α_k A_k)`, `α_k` the spatial mean of `dS/dA_k`, at the layer's resolution
    /// (`[N, 1, h, w]`; Captum's `LayerGradCam` with `relu_attributions=True`).
    case gradCAM = "grad-cam"
    /// Layer integrated gradients with a 50-step right Riemann sum from a zero baseline; for other
    /// settings, ``AttributionSession/attribute(layer:integratedGradients:baseline:rules:)``.
    case integratedGradients = "integrated-gradients"

    public var description: String { rawValue }
}

/// An attribution to a layer's output.
public struct LayerAttributionResult: Sendable {
    /// The layer's name (as recorded on the tape).
    public var layer: String
    /// The method.
    public var method: LayerAttributionMethod
    /// The attribution, with the layer output's shape (Grad-CAM: `[N, 1, h, w]`).
    public var map: Tensor
    /// The layer's output `A` at the input.
    public var activation: Tensor
    /// The logits at the input, `[N, classes]`.
    public var logits: Tensor
    /// The explained class of each example.
    public var targets: [Int]
    /// Layer integrated gradients only: the attribution's sum per example against `S(x) − S(b)`.
    public var completeness: Completeness? = nil
}

extension AttributionSession {
    /// Attributes each example's target logit to the output of `layer` (a recorded value's name,
    /// e.g. `features.29`; `nil`: the network's ``RectGradLayers/Network/lastConvolutionalBlock``),
    /// replaying the session's recorded forward pass.
    /// - Parameter rules: the backward rules between the logits and the layer (default: the gradient).
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `layer` when no value of
    ///   that name was recorded (listing close names) or Grad-CAM is asked of a layer that is not
    ///   `[N, K, h, w]`; the tape's errors.
    public func attribute(layer: String? = nil, method: LayerAttributionMethod, rules: BackwardRules = .gradient) throws -> LayerAttributionResult {
        if method == .integratedGradients {
            return try attribute(layer: layer, integratedGradients: .riemannRight(steps: 50), rules: rules)
        }
        var counter = PassCounter()
        let recording = Recording(tape: tape, input: inputVariable, logits: logitsVariable)
        let (name, variable) = try resolveLayer(layer, on: tape)
        let pass = try layerGradient(recording, layer: variable, name: name, rowExamples: Array(0..<exampleCount), rules: rules, counter: &counter)
        let map: Tensor
        switch method {
        case .gradient: map = pass.gradient
        case .gradientTimesActivation: map = try pass.gradient.multiplying(pass.activation, workers: workers)
        case .gradCAM: map = try Self.classActivationMap(activation: pass.activation, gradient: pass.gradient, layer: name)
        case .integratedGradients: throw AttributionError.unsupportedCombination("layer integrated gradients are computed above")
        }
        guard map.isFinite else { throw AttributionError.nonFinite(stage: "layer attribution \(method) at \(name)", layer: nil) }
        return LayerAttributionResult(layer: name, method: method, map: map, activation: pass.activation, logits: logits, targets: targets)
    }

    /// The recorded value `name` on `tape` (`nil`: the network's declared last convolutional
    /// block, else its last activation with a four-dimensional output).
    func resolveLayer(_ name: String?, on tape: Tape) throws(AttributionError) -> (name: String, variable: Variable) {
        let chosen: String
        if let name {
            chosen = name
        } else if let declared = network.lastConvolutionalBlock {
            chosen = declared
        } else if let site = tape.activationSites.last(where: { (try? tape.shape(Variable(id: $0.nodeID)).count) == 4 }) {
            chosen = site.name
        } else {
            throw .invalidParameter(name: "layer", reason: "\(network.name) declares no last convolutional block and has no activation with an [N, C, h, w] output; name a layer")
        }
        guard let variable = tape.variable(named: chosen) else {
            var names: [String] = []
            for value in tape.namedValues where !names.contains(value.name) { names.append(value.name) }
            throw .invalidParameter(name: "layer", reason: "\(network.name) recorded no layer named '\(chosen)'\(Spelling.didYouMean(chosen, in: names)); layers: \(names.joined(separator: ", "))")
        }
        return (chosen, variable)
    }

    /// The recording of `x`: the session's when `recorded`, else a new forward pass.
    func recording(of x: Tensor, recorded: Bool, counter: inout PassCounter) throws -> Recording {
        recorded ? Recording(tape: tape, input: inputVariable, logits: logitsVariable) : try record(x, counter: &counter)
    }

    /// `A` and `dS/dA` for the value `layer` of `recording` (row `r` explains `rowExamples[r]`).
    func layerGradient(_ recording: Recording, layer: Variable, name: String, rowExamples: [Int], rules: BackwardRules, counter: inout PassCounter) throws -> (activation: Tensor, gradient: Tensor, report: BackwardReport) {
        let backwardRules = try rules.binding { baseline in
            try referenceActivations(baseline, rowExamples: rowExamples, counter: &counter)
        }
        let result = try recording.tape.backward(from: recording.logits, seed: try seed(rowExamples: rowExamples, on: recording), withRespectTo: [layer], rules: backwardRules)
        counter.backward += 1
        guard let gradient = result[layer] else {
            throw AttributionError.unsupportedCombination("the backward pass returned no gradient for layer '\(name)'")
        }
        return (try recording.tape.value(layer), gradient, result.report)
    }

    /// Grad-CAM at the layer's resolution: `ReLU(Σ_k α_k A_k)`, `α_k` = the mean of `dS/dA_k`
    /// over the `h × w` positions (accumulated in Double), `[N, 1, h, w]`.
    static func classActivationMap(activation: Tensor, gradient: Tensor, layer: String) throws(AttributionError) -> Tensor {
        guard activation.rank == 4, activation.shape == gradient.shape else {
            throw .invalidParameter(name: "layer", reason: "Grad-CAM needs a layer with an [N, K, h, w] output; '\(layer)' has shape \(activation.shape)")
        }
        let (n, k, plane) = (activation.shape[0], activation.shape[1], activation.shape[2] * activation.shape[3])
        var map = [Float](repeating: 0, count: n * plane)
        activation.withUnsafeBufferPointer { a in
            gradient.withUnsafeBufferPointer { g in
                var sums = [Double](repeating: 0, count: plane)
                for example in 0..<n {
                    for p in 0..<plane { sums[p] = 0 }
                    for channel in 0..<k {
                        let base = (example * k + channel) * plane
                        var mean = 0.0
                        for p in 0..<plane { mean += Double(g[base + p]) }
                        mean /= Double(plane)
                        for p in 0..<plane { sums[p] += mean * Double(a[base + p]) }
                    }
                    for p in 0..<plane { map[example * plane + p] = Float(max(sums[p], 0)) }
                }
            }
        }
        do { return try Tensor(shape: [n, 1, activation.shape[2], activation.shape[3]], scalars: map) } catch {
            throw .invalidMap(error.description)
        }
    }
}
