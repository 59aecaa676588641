import RectGradAttribution
import RectGradCore
import RectGradLayers

/// The model-randomisation sanity check of Adebayo et al. (2018): a method whose maps barely change
/// when the network's weights are re-initialised does not explain the network.
///
/// For every evaluated layer (top first) and mode, the network is re-initialised
/// (``LayerReinitialisation``; cascading: every layer from the top down to this one; independent:
/// this layer alone), every method explains the same images for the same classes (the original
/// network's predictions) and each map is compared with the original network's map
/// (``MapComparison``), averaged over the images.
///
/// ```swift
/// let check = ModelRandomisation(network: network, methods: [.saliency, .guidedBackprop, try .rectGrad()])
/// let result = try check.run(input: images)
/// ```
public struct ModelRandomisation: Sendable {
    /// The trained network.
    public var network: Network
    /// The methods compared.
    public var methods: [AttributionMethod]
    /// The layers at which the maps are evaluated, in cascade order (top first); `nil` means every
    /// parameterised layer. A cascade step still re-initialises every layer above its layer.
    public var layers: [String]?
    /// The tests run.
    public var modes: [RandomisationMode]
    /// Seeds the random weights.
    public var seed: UInt64
    /// Rows per forward pass of the multi-pass methods (`nil`: the session's default).
    public var chunkSize: Int?
    /// The threads its passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates the check.
    public init(network: Network, methods: [AttributionMethod], layers: [String]? = nil, modes: [RandomisationMode] = RandomisationMode.allCases, seed: UInt64 = 0, chunkSize: Int? = nil, workers: Workers = .default) {
        self.network = network
        self.workers = workers
        self.methods = methods
        self.layers = layers
        self.modes = modes
        self.seed = seed
        self.chunkSize = chunkSize
    }

    /// The evaluated layers in cascade order (top first).
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `layers` for an unknown or
    ///   repeated name, or an empty list.
    public func evaluatedLayers() throws(ExperimentError) -> [String] {
        let all = LayerReinitialisation.layers(of: network)
        guard let chosen = layers else { return all }
        guard !chosen.isEmpty else { throw .invalidOption(name: "layers", reason: "needs at least one layer name") }
        for name in chosen { _ = try LayerReinitialisation.reinitialisedLayers(at: name, mode: .independent, of: network) }
        guard Set(chosen).count == chosen.count else { throw .invalidOption(name: "layers", reason: "a layer is named twice") }
        return all.filter(chosen.contains)
    }

    /// Runs the check on `input` `[N, C, H, W]`; `progress` receives a line per step.
    /// - Throws: ``ExperimentError`` for bad settings; attribution errors as they occur.
    public func run(input: Tensor, progress: (String) -> Void = { _ in }) throws -> ModelRandomisationResult {
        guard !methods.isEmpty else { throw ExperimentError.invalidOption(name: "method", reason: "needs at least one method") }
        let evaluated = try evaluatedLayers()
        let originalSession = try AttributionSession(network: network, input: input, chunkSize: chunkSize, workers: workers)
        let targets = originalSession.targets
        let originals = try originalSession.attribute(methods).map(\.map)
        var points: [RandomisationPoint] = []
        for mode in modes {
            for layer in evaluated {
                let reinitialised = try LayerReinitialisation.reinitialisedLayers(at: layer, mode: mode, of: network)
                let randomised = try LayerReinitialisation.reinitialising(reinitialised, of: network, seed: seed)
                let comparisons = try Self.compare(originals, network: randomised, methods: methods, input: input, targets: targets, chunkSize: chunkSize, workers: workers)
                for (method, comparison) in zip(methods, comparisons) {
                    points.append(RandomisationPoint(mode: mode, layer: layer, reinitialisedLayers: reinitialised, method: method.name, similarity: comparison))
                }
                progress("\(mode) \(layer): \(reinitialised.count) layer(s) re-initialised")
            }
        }
        return ModelRandomisationResult(layers: evaluated, methods: methods.map(\.name), targets: targets, points: points)
    }

    /// The mean similarity, per method, of `originals` (one attribution batch per method) to the maps
    /// of `network` for the same `targets`.
    public static func compare(_ originals: [Tensor], network: Network, methods: [AttributionMethod], input: Tensor, targets: [Int], chunkSize: Int? = nil, workers: Workers = .default) throws -> [MapComparison] {
        let session = try AttributionSession(network: network, input: input, targets: .perExample(targets), chunkSize: chunkSize, workers: workers)
        return try zip(methods, originals).map { method, original in
            let map = try session.attribute(method).map
            return MapComparison.mean(try (0..<input.shape[0]).map { try MapComparison.compare(original.example($0), map.example($0)) })
        }
    }
}

/// One point of a randomisation curve.
public struct RandomisationPoint: Sendable, Equatable {
    /// Cascading or independent.
    public var mode: RandomisationMode
    /// The step's layer.
    public var layer: String
    /// The layers re-initialised at this step.
    public var reinitialisedLayers: [String]
    /// The method's name.
    public var method: String
    /// The mean similarity to the original map.
    public var similarity: MapComparison
}

/// The curves of a model-randomisation run.
public struct ModelRandomisationResult: Sendable {
    /// The evaluated layers, top first.
    public var layers: [String]
    /// The methods, in order.
    public var methods: [String]
    /// The explained classes (the original network's predictions).
    public var targets: [Int]
    /// Every (mode, layer, method) point.
    public var points: [RandomisationPoint]

    /// The point of `method` at `layer` in `mode`, if it was run.
    public func point(_ mode: RandomisationMode, layer: String, method: String) -> RandomisationPoint? {
        points.first { $0.mode == mode && $0.layer == layer && $0.method == method }
    }
}
