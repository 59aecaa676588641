import RectGradCore
import RectGradLayers

/// How a zoo builder fills the weights of a new network.
public enum WeightInitialization: Sendable, Equatable {
    /// He-normal weights (`std = √(2 / fan_in)`) drawn from `seed`, zero biases, identity batch norms.
    case heNormal(seed: UInt64)
    /// All-zero weights and biases, identity batch norms: a cheap skeleton to load weights into.
    case zeros
}

/// Creates the parametrised layers of the builders, He-normal from a generator or all zeros.
struct LayerFactory {
    /// The generator, or `nil` for zero weights.
    var generator: SeededGenerator?

    init(generator: SeededGenerator?) { self.generator = generator }

    init(_ initialization: WeightInitialization) {
        switch initialization {
        case .heNormal(let seed): generator = SeededGenerator(seed: seed)
        case .zeros: generator = nil
        }
    }

    mutating func conv2D(name: String, inputChannels: Int, outputChannels: Int, kernel: Size2D, geometry: Convolution2DGeometry = .init(), bias: Bool = true) -> Conv2D {
        if var random = generator {
            defer { generator = random }
            return Conv2D(name: name, inputChannels: inputChannels, outputChannels: outputChannels, kernel: kernel, geometry: geometry, bias: bias, generator: &random)
        }
        let groups = max(geometry.groups, 1)
        return Conv2D(
            name: name, weight: .zeros([outputChannels, inputChannels / groups, kernel.height, kernel.width]),
            bias: bias ? .zeros([outputChannels]) : nil, geometry: geometry
        )
    }

    mutating func linear(name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true) -> Linear {
        if var random = generator {
            defer { generator = random }
            return Linear(name: name, inputFeatures: inputFeatures, outputFeatures: outputFeatures, bias: bias, generator: &random)
        }
        return Linear(name: name, weight: .zeros([outputFeatures, inputFeatures]), bias: bias ? .zeros([outputFeatures]) : nil)
    }
}
