import RectGradCore

extension Network: CustomStringConvertible {
    /// The activation sites of the network in forward order: the names, kinds and ordinals that
    /// ``RectGradCore/LayerSelector`` matches (`.name("layer4.1.relu")`, `.namePrefix("features.")`,
    /// `.ordinal(3)`, `.kind(.relu6)`). Records one forward pass of a zero input of batch 1.
    /// The pass runs on `workers` (a batch-1 forward: default one worker), on an inference-only
    /// tape (the sites are the recorded nodes; no value is kept).
    /// - Throws: the errors of the forward pass.
    public func activationSites(workers: Workers = .serial) throws -> [ActivationSite] {
        let tape = Tape(workers: workers, inferenceOnly: true)
        let zeros = Tensor.zeros([1, inputChannels, inputSize.height, inputSize.width])
        _ = try logits(tape.input(zeros), on: tape)
        return tape.activationSites
    }

    /// The layers that hold parameters, in architecture order, each with its parameters' names
    /// (without the layer prefix) and shapes, e.g. `features.0: weight [64, 3, 3, 3], bias [64]`.
    public var parameterizedLayers: [(layer: String, parameters: [(name: String, shape: [Int])])] {
        var result: [(layer: String, parameters: [(name: String, shape: [Int])])] = []
        for parameter in parameters {
            let (layer, suffix) = Self.split(parameter.name)
            if result.last?.layer == layer {
                result[result.count - 1].parameters.append((suffix, parameter.value.shape))
            } else {
                result.append((layer, [(suffix, parameter.value.shape)]))
            }
        }
        return result
    }

    /// `layer4.1.conv2.weight` → (`layer4.1.conv2`, `weight`).
    private static func split(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: ".") else { return ("", name) }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }

    /// One line: name, input, classes and ``parameterCount`` (batch-norm statistics included), e.g.
    /// `resnet18: input [3, 224, 224], 1000 classes, 11699112 parameter values (with batch-norm statistics)`.
    public var description: String {
        "\(name): input [\(inputChannels), \(inputSize.height), \(inputSize.width)]\(requiresFixedInputSize ? " (fixed)" : ""), \(classCount) classes, \(parameterCount) parameter values (with batch-norm statistics)"
    }
}
