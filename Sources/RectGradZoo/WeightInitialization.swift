import RectGradCore
import RectGradLayers

/// How a zoo builder fills the weights of a new network.
public enum WeightInitialization: Sendable, Equatable {
    /// He-normal weights (`std = √(2 / fan_in)`) drawn from `seed`, zero biases, identity batch norms.
    case heNormal(seed: UInt64)
    /// All-zero weights and biases, identity batch norms: a cheap skeleton to load weights into.
    case zeros
    /// The tensors of a weights file, by parameter name, for every convolution and dense layer
    /// whose parameter name and shape match (zeros for the others, identity batch norms): the
    /// network shares the tensors' storage instead of holding a second copy. Used by
    /// ``ZooEntry/network(weights:source:allowExtraNames:workers:)``, which then checks the file strictly.
    case sharing([String: Tensor])
}

/// Creates the parametrised layers of the builders: He-normal from a generator, shared from a
/// weights file, or all zeros.
struct LayerFactory {
    /// The generator, or `nil` for zero (or shared) weights.
    var generator: SeededGenerator?
    /// Tensors to share by parameter name (when their shapes match).
    var shared: [String: Tensor] = [:]

    init(generator: SeededGenerator?) { self.generator = generator }

    init(_ initialization: WeightInitialization) {
        switch initialization {
        case .heNormal(let seed): generator = SeededGenerator(seed: seed)
        case .zeros: generator = nil
        case .sharing(let tensors): generator = nil; shared = tensors
        }
    }

    /// The shared tensor for `layer`'s parameter `suffix` when it has `shape`, else zeros.
    private func tensor(_ layer: String, _ suffix: String, shape: [Int]) -> Tensor {
        let name = layer.isEmpty ? suffix : "\(layer).\(suffix)"
        if let tensor = shared[name], tensor.shape == shape { return tensor }
        return .zeros(shape)
    }

    mutating func conv2D(name: String, inputChannels: Int, outputChannels: Int, kernel: Size2D, geometry: Convolution2DGeometry = .init(), bias: Bool = true) -> Conv2D {
        if var random = generator {
            defer { generator = random }
            return Conv2D(name: name, inputChannels: inputChannels, outputChannels: outputChannels, kernel: kernel, geometry: geometry, bias: bias, generator: &random)
        }
        let groups = max(geometry.groups, 1)
        return Conv2D(
            name: name, weight: tensor(name, "weight", shape: [outputChannels, inputChannels / groups, kernel.height, kernel.width]),
            bias: bias ? tensor(name, "bias", shape: [outputChannels]) : nil, geometry: geometry
        )
    }

    mutating func linear(name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true) -> Linear {
        if var random = generator {
            defer { generator = random }
            return Linear(name: name, inputFeatures: inputFeatures, outputFeatures: outputFeatures, bias: bias, generator: &random)
        }
        return Linear(
            name: name, weight: tensor(name, "weight", shape: [outputFeatures, inputFeatures]),
            bias: bias ? tensor(name, "bias", shape: [outputFeatures]) : nil
        )
    }
}
