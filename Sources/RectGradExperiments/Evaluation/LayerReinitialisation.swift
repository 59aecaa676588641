import RectGradCore
import RectGradLayers

/// Re-initialising the parameterised layers of a network, for the model-randomisation test of
/// Adebayo et al. (2018), *Sanity Checks for Saliency Maps*.
///
/// A layer is re-initialised with its own initialiser, as the library builds fresh layers:
/// convolution and dense weights He-normal (`std = √(2 / fan_in)`, `fan_in` = the product of the
/// weight's extents after the first), biases zero, batch norms the identity (γ = 1, β = 0, mean 0,
/// variance 1). Layer `i` of ``layers(of:)`` draws from a generator seeded by `seed` mixed with `i`,
/// so a layer gets the same random weights in the cascading and in the independent test.
public enum LayerReinitialisation {
    /// The parameterised layers of `network`, from the output to the input (the cascade's order),
    /// e.g. `dense6, dense5, conv4, conv3, conv2, conv1` for `cifar-cnn`.
    public static func layers(of network: Network) -> [String] {
        network.parameterizedLayers.map(\.layer).reversed()
    }

    /// Which layers a cascade step or an independent step re-initialises.
    ///
    /// - cascading, step `layer`: every layer from the top down to `layer`, inclusive;
    /// - independent, step `layer`: `layer` alone.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `layers` for a name that is
    ///   not a parameterised layer of the network (listing the valid ones).
    public static func reinitialisedLayers(at layer: String, mode: RandomisationMode, of network: Network) throws(ExperimentError) -> [String] {
        let all = layers(of: network)
        guard let index = all.firstIndex(of: layer) else {
            throw .invalidOption(name: "layers", reason: "'\(layer)' is not a parameterised layer of \(network.name)\(Spelling.didYouMean(layer, in: all)); its layers (top first): \(all.joined(separator: ", "))")
        }
        return mode == .cascading ? Array(all[...index]) : [layer]
    }

    /// A copy of `network` whose `layers` are re-initialised (the other parameters untouched).
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `layers` for an unknown layer
    ///   or a parameter the initialiser does not know; the network's loading errors.
    public static func reinitialising(_ layers: [String], of network: Network, seed: UInt64) throws -> Network {
        let all = Self.layers(of: network)
        var values: [String: Tensor] = [:]
        for parameter in network.parameters { values[parameter.name] = parameter.value }
        for layer in layers {
            guard let index = all.firstIndex(of: layer),
                  let entry = network.parameterizedLayers.first(where: { $0.layer == layer }) else {
                throw ExperimentError.invalidOption(name: "layers", reason: "'\(layer)' is not a parameterised layer of \(network.name)\(Spelling.didYouMean(layer, in: all))")
            }
            var random = SeededGenerator(seed: mixed(seed, index))
            let isBatchNorm = entry.parameters.contains { $0.name == "running_var" }
            for (suffix, shape) in entry.parameters {
                let name = layer.isEmpty ? suffix : "\(layer).\(suffix)"
                switch suffix {
                case "weight" where isBatchNorm, "running_var": values[name] = Tensor(repeating: 1, shape: shape)
                case "bias", "running_mean": values[name] = .zeros(shape)
                case "weight" where shape.count >= 2:
                    let fanIn = shape.dropFirst().reduce(1, *)
                    values[name] = Tensor.randomNormal(shape, standardDeviation: Float((2.0 / Double(max(fanIn, 1))).squareRoot()), generator: &random)
                default:
                    throw ExperimentError.invalidOption(name: "layers", reason: "no initialiser for parameter '\(name)' of shape \(shape)")
                }
            }
        }
        return try network.loadingParameters(values)
    }

    /// SplitMix64's finaliser of `seed ^ index`: independent streams per layer.
    static func mixed(_ seed: UInt64, _ index: Int) -> UInt64 {
        var z = (seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15)) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The two model-randomisation tests of Adebayo et al. (2018).
public enum RandomisationMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Re-initialise from the top layer down, one more layer per step.
    case cascading
    /// Re-initialise one layer at a time, the others trained.
    case independent

    public var description: String { rawValue }
}
