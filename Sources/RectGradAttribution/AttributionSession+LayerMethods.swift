import RectGradCore

/// The estimators that go through a layer: Grad-CAM, Guided Grad-CAM and neuron gradients.
extension AttributionSession {
    /// Grad-CAM of `layer` upsampled to the input's `H × W`: `[N, 1, H, W]`.
    func gradCAM(layer: String?, rules: BackwardRules, at x: Tensor, rowExamples: [Int], recorded: Bool, counter: inout PassCounter) throws -> Estimate {
        let recording = try recording(of: x, recorded: recorded, counter: &counter)
        let (name, variable) = try resolveLayer(layer, on: recording.tape)
        let pass = try layerGradient(recording, layer: variable, name: name, rowExamples: rowExamples, rules: rules, counter: &counter)
        let map = try Self.classActivationMap(activation: pass.activation, gradient: pass.gradient, layer: name)
        return Estimate(map: try BilinearUpsampling.resize(map, height: x.shape[2], width: x.shape[3]), report: pass.report)
    }

    /// The input gradient under `rules` times the upsampled Grad-CAM (plain gradient) of `layer`,
    /// broadcast over the input's channels.
    func guidedGradCAM(layer: String?, rules: BackwardRules, at x: Tensor, rowExamples: [Int], recorded: Bool, counter: inout PassCounter) throws -> Estimate {
        let recording = try recording(of: x, recorded: recorded, counter: &counter)
        let (name, variable) = try resolveLayer(layer, on: recording.tape)
        let cam = try layerGradient(recording, layer: variable, name: name, rowExamples: rowExamples, rules: .gradient, counter: &counter)
        let map = try BilinearUpsampling.resize(
            try Self.classActivationMap(activation: cam.activation, gradient: cam.gradient, layer: name),
            height: x.shape[2], width: x.shape[3]
        )
        let backwardRules = try rules.binding { baseline in
            try referenceActivations(baseline, rowExamples: rowExamples, counter: &counter)
        }
        let result = try recording.tape.backward(from: recording.logits, seed: try seed(rowExamples: rowExamples, on: recording), withRespectTo: [recording.input], rules: backwardRules)
        counter.backward += 1
        guard var values = result[recording.input]?.scalars else {
            throw AttributionError.unsupportedCombination("the backward pass returned no input gradient")
        }
        let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        map.withUnsafeBufferPointer { cam in
            for example in 0..<n {
                for channel in 0..<c {
                    let base = (example * c + channel) * plane
                    for p in 0..<plane { values[base + p] *= cam[example * plane + p] }
                }
            }
        }
        return Estimate(map: try Tensor(shape: x.shape, scalars: values), report: result.report)
    }

    /// `d(neuron)/dx` under `rules`, one neuron per example.
    func neuronGradient(layer: String, neuron: NeuronSelector, rules: BackwardRules, at x: Tensor, rowExamples: [Int], recorded: Bool, counter: inout PassCounter) throws -> Estimate {
        let recording = try recording(of: x, recorded: recorded, counter: &counter)
        let (name, variable) = try resolveLayer(layer, on: recording.tape)
        let seed = try neuron.seed(layerShape: try recording.tape.shape(variable), layer: name)
        let backwardRules = try rules.binding { baseline in
            try referenceActivations(baseline, rowExamples: rowExamples, counter: &counter)
        }
        let result = try recording.tape.backward(from: variable, seed: seed, withRespectTo: [recording.input], rules: backwardRules)
        counter.backward += 1
        guard let gradient = result[recording.input] else {
            throw AttributionError.unsupportedCombination("the backward pass returned no input gradient")
        }
        return Estimate(map: gradient, report: result.report)
    }
}
