import RectGradCore
import RectGradLayers

/// In which order the positions of a layer's feature map are occluded.
public enum FeatureOcclusionOrder: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Background positions in a seeded random order.
    case backgroundRandom = "background-random"
    /// Background positions from the highest gradient importance to the lowest.
    case backgroundMostImportant = "background-most-important"
    /// Object positions in a seeded random order (the control).
    case objectRandom = "object-random"
    /// Object positions from the highest gradient importance to the lowest (the control).
    case objectMostImportant = "object-most-important"

    /// Whether the order occludes background (rather than object) positions.
    public var occludesBackground: Bool { self == .backgroundRandom || self == .backgroundMostImportant }

    public var description: String { rawValue }
}

/// The protocol of a feature-map occlusion run.
public struct FeatureOcclusionConfiguration: Sendable {
    /// The top-level layer of the network whose output is occluded (cifar-cnn: `relu1` … `relu4`,
    /// `pool1`, `pool2`).
    public var layer = "relu4"
    /// The fractions of the background (or object) positions occluded.
    public var fractions: [Double] = (0...10).map { Double($0) / 10 }
    /// The orders compared.
    public var orders: [FeatureOcclusionOrder] = FeatureOcclusionOrder.allCases
    /// Seeds the random orders.
    public var seed: UInt64 = 1
    /// Images processed at once.
    public var batchSize = 50

    /// The defaults.
    public init() {}

    /// Checks the settings.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming the setting.
    public func validate() throws(ExperimentError) {
        guard !fractions.isEmpty, fractions.allSatisfy({ $0.isFinite && (0...1).contains($0) }) else {
            throw .invalidOption(name: "fractions", reason: "give at least one fraction, each in [0, 1]")
        }
        guard !orders.isEmpty else { throw .invalidOption(name: "orders", reason: "at least one order is needed") }
        guard batchSize >= 1 else { throw .invalidOption(name: "batch-size", reason: "must be at least 1") }
    }
}

/// One point of an occlusion curve: means over the images.
public struct FeatureOcclusionPoint: Sendable, Hashable {
    /// The fraction of the order's positions occluded.
    public var fraction: Double
    /// Mean of `logit[true class] − max(logit[other classes])`.
    public var meanLogitGap: Double
    /// Share of images whose gap stays positive (still classified correctly).
    public var accuracy: Double
    /// Mean number of positions occluded.
    public var meanOccludedPositions: Double
}

/// The curve of one order.
public struct FeatureOcclusionCurve: Sendable, Hashable {
    /// The order.
    public var order: FeatureOcclusionOrder
    /// One point per fraction, in the configured order.
    public var points: [FeatureOcclusionPoint]
}

/// What a feature-map occlusion run measured.
public struct FeatureOcclusionResult: Sendable {
    /// The protocol.
    public var configuration: FeatureOcclusionConfiguration
    /// The occluded layer's output shape per image `[C, H, W]`.
    public var mapShape: [Int]
    /// Images averaged.
    public var imageCount: Int
    /// Mean number of background positions per image.
    public var meanBackgroundPositions: Double
    /// Mean number of object positions per image.
    public var meanObjectPositions: Double
    /// One curve per order.
    public var curves: [FeatureOcclusionCurve]
}

/// Feature-map occlusion: how much of a classifier's evidence lies in the background activations
/// of one layer (the paper's argument that irrelevant features leak through ReLUs into saliency
/// maps, tested on a dataset with exact object masks).
///
/// Protocol, per image: run the network up to `layer`; a spatial position of that layer's map is
/// an *object* position when its block of the input (the input divided evenly into the map's
/// H × W blocks) contains an object pixel, a *background* position otherwise. Occlude (set to 0 in
/// every channel) a growing fraction `f` of the background (or, as a control, object) positions —
/// `round(f · count)` positions, halves to even — in a seeded random order or in the order of the
/// positions' gradient importance `Σ_c a · ∂S/∂a` (S the true class logit, highest first, ties in
/// row-major order), run the rest of the network, and record `gap = S − max(other logits)`.
///
/// ```swift
/// let occlusion = FeatureMapOcclusion(network: network)
/// let result = try occlusion.run(images: test.images, masks: masks, labels: test.labels)
/// ```
public struct FeatureMapOcclusion: Sendable {
    /// The classifier; its body's top-level layers are split at ``FeatureOcclusionConfiguration/layer``.
    public var network: Network
    /// The protocol.
    public var configuration: FeatureOcclusionConfiguration
    /// The threads its passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates a run.
    public init(network: Network, configuration: FeatureOcclusionConfiguration = FeatureOcclusionConfiguration(), workers: Workers = .default) {
        self.network = network
        self.workers = workers
        self.configuration = configuration
    }

    /// Which positions of an `mapHeight × mapWidth` map are object positions, given an
    /// `imageHeight × imageWidth` object mask (row-major): a position is an object position when
    /// any mask pixel of its block is `true`.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` when the sizes do not divide evenly.
    public static func objectPositions(mask: [Bool], imageHeight: Int, imageWidth: Int, mapHeight: Int, mapWidth: Int) throws(ExperimentError) -> [Bool] {
        guard imageHeight >= 1, imageWidth >= 1, mask.count == imageHeight * imageWidth else {
            throw .invalidOption(name: "mask", reason: "\(mask.count) flags for a \(imageHeight)×\(imageWidth) image")
        }
        guard mapHeight >= 1, mapWidth >= 1, imageHeight % mapHeight == 0, imageWidth % mapWidth == 0 else {
            throw .invalidOption(name: "layer", reason: "its \(mapHeight)×\(mapWidth) map does not divide the \(imageHeight)×\(imageWidth) image evenly")
        }
        let (blockHeight, blockWidth) = (imageHeight / mapHeight, imageWidth / mapWidth)
        var object = [Bool](repeating: false, count: mapHeight * mapWidth)
        for row in 0..<imageHeight {
            for column in 0..<imageWidth where mask[row * imageWidth + column] {
                object[(row / blockHeight) * mapWidth + column / blockWidth] = true
            }
        }
        return object
    }

    /// Runs the protocol on `images` `[N, C, H, W]` with their object masks (`H·W` flags each) and labels.
    /// - Throws: ``ExperimentError`` for invalid settings or inputs; layer and tape errors.
    public func run(images: Tensor, masks: [[Bool]], labels: [Int]) throws -> FeatureOcclusionResult {
        let c = configuration
        try c.validate()
        try network.validateInputShape(images.shape)
        let n = images.shape[0]
        guard masks.count == n, labels.count == n else {
            throw ExperimentError.invalidOption(name: "images", reason: "\(n) images, \(masks.count) masks and \(labels.count) labels")
        }
        guard labels.allSatisfy({ (0..<network.classCount).contains($0) }) else {
            throw ExperimentError.invalidOption(name: "labels", reason: "a label is outside 0..<\(network.classCount)")
        }
        let layers = network.body.layers
        guard let split = layers.firstIndex(where: { $0.name == c.layer }), split < layers.count - 1 else {
            throw ExperimentError.invalidOption(name: "layer", reason: "'\(c.layer)' is not a top-level layer before the last one; layers: \(layers.dropLast().map(\.name).joined(separator: ", "))")
        }
        let head = Sequential(name: network.body.name, Array(layers[...split]))
        let tail = Sequential(name: network.body.name, Array(layers[(split + 1)...]))

        var sums = [[(gap: Double, correct: Int, occluded: Int)]](repeating: Array(repeating: (0, 0, 0), count: c.fractions.count), count: c.orders.count)
        var mapShape: [Int] = []
        var background = 0, object = 0
        let perImage = images.count / n
        for first in stride(from: 0, to: n, by: c.batchSize) {
            let count = min(c.batchSize, n - first)
            let batchLabels = Array(labels[first..<(first + count)])
            let input = try Tensor(shape: [count] + Array(images.shape.dropFirst()), scalars: Array(images.scalars[(first * perImage)..<((first + count) * perImage)]))
            // The layer's output and the gradient of the true logit with respect to it.
            let tape = Tape(workers: workers)
            let hidden = try head.forward(tape.input(input), on: tape)
            let logits = try tail.forward(hidden, on: tape)
            let classes = try tape.shape(logits)[1]
            var seed = Tensor.zeros([count, classes])
            seed.withUnsafeMutableBufferPointer { s in for (row, label) in batchLabels.enumerated() { s[row * classes + label] = 1 } }
            guard let gradient = try tape.backward(from: logits, seed: seed, withRespectTo: [hidden])[hidden] else {
                throw ExperimentError.invalidOption(name: "layer", reason: "the logits do not depend on '\(c.layer)'")
            }
            let activations = try tape.value(hidden)
            guard activations.rank == 4 else {
                throw ExperimentError.invalidOption(name: "layer", reason: "'\(c.layer)' outputs \(activations.shape), not a feature map [N, C, H, W]")
            }
            let (channels, height, width) = (activations.shape[1], activations.shape[2], activations.shape[3])
            let plane = height * width
            mapShape = [channels, height, width]

            var occludedMaps: [[Float]] = Array(repeating: [], count: c.orders.count)
            var occludedCounts: [[Int]] = Array(repeating: [], count: c.orders.count)
            for example in 0..<count {
                let index = first + example
                let isObject = try Self.objectPositions(mask: masks[index], imageHeight: images.shape[2], imageWidth: images.shape[3], mapHeight: height, mapWidth: width)
                let map = Array(activations.scalars[(example * channels * plane)..<((example + 1) * channels * plane)])
                let grad = Array(gradient.scalars[(example * channels * plane)..<((example + 1) * channels * plane)])
                var importance = [Float](repeating: 0, count: plane)
                for ch in 0..<channels { for p in 0..<plane { importance[p] += map[ch * plane + p] * grad[ch * plane + p] } }
                let objectSet = (0..<plane).filter { isObject[$0] }
                let backgroundSet = (0..<plane).filter { !isObject[$0] }
                background += backgroundSet.count
                object += objectSet.count
                for (orderIndex, order) in c.orders.enumerated() {
                    let set = order.occludesBackground ? backgroundSet : objectSet
                    let sequence: [Int]
                    switch order {
                    case .backgroundRandom, .objectRandom:
                        let seed = RemoveAndRetrain.rankingSeed(c.seed &+ UInt64(orderIndex), split: .test, index: index)
                        sequence = PixelRanking.randomOrder(pixelCount: set.count, seed: seed).map { set[$0] }
                    case .backgroundMostImportant, .objectMostImportant:
                        sequence = try PixelRanking.order(set.map { importance[$0] }).map { set[$0] }
                    }
                    for fraction in c.fractions {
                        let k = Int((fraction * Double(set.count)).rounded(.toNearestOrEven))
                        var occluded = map
                        for p in sequence.prefix(k) { for ch in 0..<channels { occluded[ch * plane + p] = 0 } }
                        occludedMaps[orderIndex] += occluded
                        occludedCounts[orderIndex].append(k)
                    }
                }
            }
            for orderIndex in c.orders.indices {
                let rows = count * c.fractions.count
                let batch = try Tensor(shape: [rows, channels, height, width], scalars: occludedMaps[orderIndex])
                let tailTape = Tape(workers: workers, inferenceOnly: true)
                let output = try tailTape.value(tail.forward(tailTape.input(batch), on: tailTape))
                for example in 0..<count {
                    let label = batchLabels[example]
                    for f in c.fractions.indices {
                        let row = example * c.fractions.count + f
                        let target = output[flat: row * classes + label]
                        var best = -Float.infinity
                        for k in 0..<classes where k != label { best = max(best, output[flat: row * classes + k]) }
                        let gap = Double(target) - Double(best)
                        sums[orderIndex][f].gap += gap
                        sums[orderIndex][f].correct += gap > 0 ? 1 : 0
                        sums[orderIndex][f].occluded += occludedCounts[orderIndex][row]
                    }
                }
            }
        }
        let total = Double(n)
        let curves = c.orders.enumerated().map { orderIndex, order in
            FeatureOcclusionCurve(order: order, points: c.fractions.enumerated().map { f, fraction in
                let s = sums[orderIndex][f]
                return FeatureOcclusionPoint(fraction: fraction, meanLogitGap: s.gap / total, accuracy: Double(s.correct) / total, meanOccludedPositions: Double(s.occluded) / total)
            })
        }
        return FeatureOcclusionResult(
            configuration: c, mapShape: mapShape, imageCount: n,
            meanBackgroundPositions: Double(background) / total, meanObjectPositions: Double(object) / total, curves: curves
        )
    }
}
