import RectGradCore
import RectGradLayers

/// The feature-map occlusion protocol of the paper's notebook (`2. CIFAR-10 Feature Map
/// Occlusion.ipynb`): individual units — every (channel, position) — of the first convolution's
/// output that lie in the background are occluded in random order.
public struct PaperFeatureOcclusionConfiguration: Sendable {
    /// The top-level layer whose output is occluded: the first convolution's rectified output
    /// (`relu1` in cifar-cnn, the notebook's `conv1/Relu`).
    public var layer = "relu1"
    /// The number of occlusion fractions, evenly spaced from 0 to 1 inclusive (the notebook's
    /// `np.linspace(0, 100, 100)` percentiles).
    public var fractionCount = 100
    /// The random orders the logits are averaged over, per image.
    public var orderCount = 50
    /// Seeds the random orders.
    public var seed: UInt64 = 1
    /// Occluded maps run through the rest of the network at once.
    public var batchSize = 100

    /// The paper's protocol.
    public init() {}

    /// The occlusion fractions `k / (fractionCount − 1)`, `k = 0 … fractionCount − 1`.
    public var fractions: [Double] {
        fractionCount == 1 ? [0] : (0..<fractionCount).map { Double($0) / Double(fractionCount - 1) }
    }

    /// Checks the settings.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming the setting.
    public func validate() throws(ExperimentError) {
        guard (1...100_000).contains(fractionCount) else { throw .invalidOption(name: "fractions", reason: "must lie in 1...100000, got \(fractionCount)") }
        guard (1...100_000).contains(orderCount) else { throw .invalidOption(name: "orders", reason: "must lie in 1...100000, got \(orderCount)") }
        guard batchSize >= 1 else { throw .invalidOption(name: "batch-size", reason: "must be at least 1") }
    }
}

/// What the paper protocol measured: one curve over the occlusion fractions.
public struct PaperFeatureOcclusionResult: Sendable {
    /// The protocol.
    public var configuration: PaperFeatureOcclusionConfiguration
    /// The occluded layer's output shape per image `[C, H, W]`.
    public var mapShape: [Int]
    /// Images averaged.
    public var imageCount: Int
    /// Mean number of background units (channels × background positions) per image.
    public var meanBackgroundUnits: Double
    /// Per fraction: the mean over images of the gap `S_label − max other logit` of the logits
    /// averaged over the random orders; the share of images whose gap stays positive; the mean
    /// number of units occluded.
    public var points: [FeatureOcclusionPoint]
    /// Per fraction: the standard deviation (population, as `np.std`) of the gap over images.
    public var gapStandardDeviations: [Double]
}

/// Feature-map occlusion as the paper's notebook runs it.
///
/// Per image: run the network up to ``PaperFeatureOcclusionConfiguration/layer``; a unit
/// (channel c, position p) of that map is a background unit when position p's block of the input
/// holds no object pixel (``FeatureMapOcclusion/objectPositions(mask:imageHeight:imageWidth:mapHeight:mapWidth:)``).
/// For each of ``PaperFeatureOcclusionConfiguration/orderCount`` random orders of the background
/// units (``unitOrder(unitCount:seed:)``, seeded by the run's seed, the image's index and the
/// order's index) and each fraction f, set the first `round(f · U)` units (halves to even) to zero,
/// run the rest of the network, and average the logits over the orders; the gap of the averaged
/// logits is `S_label − max(other logits)`.
///
/// The notebook uses only test images the network classifies correctly, ten per class
/// (``correctlyClassifiedIndices(predictions:labels:perClass:classCount:)``).
public struct PaperFeatureOcclusion: Sendable {
    /// The classifier, split after the configured top-level layer.
    public var network: Network
    /// The protocol.
    public var configuration: PaperFeatureOcclusionConfiguration
    /// The threads its passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates a run.
    public init(network: Network, configuration: PaperFeatureOcclusionConfiguration = PaperFeatureOcclusionConfiguration(), workers: Workers = .default) {
        self.network = network
        self.workers = workers
        self.configuration = configuration
    }

    /// A seeded random order of `unitCount` units (a Fisher–Yates permutation).
    public static func unitOrder(unitCount: Int, seed: UInt64) -> [Int] {
        PixelRanking.randomOrder(pixelCount: unitCount, seed: seed)
    }

    /// The seed of random order `order` of image `index`.
    public static func orderSeed(_ seed: UInt64, image index: Int, order: Int) -> UInt64 {
        RemoveAndRetrain.rankingSeed(seed ^ 0x464D_4F43_434C, split: .test, index: index &* 100_003 &+ order)
    }

    /// The first `perClass` indices of each class, in index order, among the images whose
    /// prediction equals their label; classes with fewer correct images give what they have.
    public static func correctlyClassifiedIndices(predictions: [Int], labels: [Int], perClass: Int, classCount: Int) -> [Int] {
        var taken = [Int](repeating: 0, count: max(classCount, 0))
        var chosen: [Int] = []
        for (index, (predicted, label)) in zip(predictions, labels).enumerated()
        where predicted == label && (0..<classCount).contains(label) && taken[label] < perClass {
            taken[label] += 1
            chosen.append(index)
        }
        return chosen.sorted { (labels[$0], $0) < (labels[$1], $1) }
    }

    /// The index of the configured layer among the network's top-level layers.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for `layer` when it is not a
    ///   top-level layer before the last one.
    public func splitIndex() throws(ExperimentError) -> Int {
        let layers = network.body.layers
        guard let split = layers.firstIndex(where: { $0.name == configuration.layer }), split < layers.count - 1 else {
            throw .invalidOption(name: "layer", reason: "'\(configuration.layer)' is not a top-level layer before the last one; layers: \(layers.dropLast().map(\.name).joined(separator: ", "))")
        }
        return split
    }

    /// Runs the protocol on `images` `[N, C, H, W]` with their object masks and labels.
    /// - Throws: ``ExperimentError`` for invalid settings or inputs; layer and tape errors.
    public func run(images: Tensor, masks: [[Bool]], labels: [Int], progress: (String) -> Void = { _ in }) throws -> PaperFeatureOcclusionResult {
        let c = configuration
        try c.validate()
        try network.validateInputShape(images.shape)
        let n = images.shape[0]
        guard n >= 1 else { throw ExperimentError.invalidOption(name: "images", reason: "at least one image is needed") }
        guard masks.count == n, labels.count == n else {
            throw ExperimentError.invalidOption(name: "images", reason: "\(n) images, \(masks.count) masks and \(labels.count) labels")
        }
        guard labels.allSatisfy({ (0..<network.classCount).contains($0) }) else {
            throw ExperimentError.invalidOption(name: "labels", reason: "a label is outside 0..<\(network.classCount)")
        }
        let layers = network.body.layers
        let split = try splitIndex()
        let head = Sequential(name: network.body.name, Array(layers[...split]))
        let tail = Sequential(name: network.body.name, Array(layers[(split + 1)...]))
        let fractions = c.fractions
        let perImage = images.count / max(n, 1)

        var gaps = [[Double]](repeating: [], count: fractions.count)
        var occludedSums = [Double](repeating: 0, count: fractions.count)
        var mapShape: [Int] = [], backgroundUnits = 0
        for index in 0..<n {
            let input = try Tensor(shape: [1] + Array(images.shape.dropFirst()), scalars: Array(images.scalars[(index * perImage)..<((index + 1) * perImage)]))
            let headTape = Tape(workers: workers)
            let activations = try headTape.value(head.forward(headTape.input(input), on: headTape))
            guard activations.rank == 4 else {
                throw ExperimentError.invalidOption(name: "layer", reason: "'\(c.layer)' outputs \(activations.shape), not a feature map [N, C, H, W]")
            }
            let (channels, height, width) = (activations.shape[1], activations.shape[2], activations.shape[3])
            let plane = height * width
            mapShape = [channels, height, width]
            let isObject = try FeatureMapOcclusion.objectPositions(mask: masks[index], imageHeight: images.shape[2], imageWidth: images.shape[3], mapHeight: height, mapWidth: width)
            // Background units as flat indices into the [C, H, W] map.
            var units: [Int] = []
            for ch in 0..<channels { for p in 0..<plane where !isObject[p] { units.append(ch * plane + p) } }
            backgroundUnits += units.count
            let counts = fractions.map { Int(($0 * Double(units.count)).rounded(.toNearestOrEven)) }
            let map = activations.scalars
            var logitSums: [Double] = []
            var classes = 0
            for order in 0..<c.orderCount {
                let sequence = Self.unitOrder(unitCount: units.count, seed: Self.orderSeed(c.seed, image: index, order: order)).map { units[$0] }
                var rows: [Float] = []
                rows.reserveCapacity(fractions.count * map.count)
                for k in counts {
                    var occluded = map
                    for unit in sequence.prefix(k) { occluded[unit] = 0 }
                    rows += occluded
                }
                var logits: [Float] = []
                for first in stride(from: 0, to: fractions.count, by: c.batchSize) {
                    let count = min(c.batchSize, fractions.count - first)
                    let batch = try Tensor(shape: [count, channels, height, width], scalars: Array(rows[(first * map.count)..<((first + count) * map.count)]))
                    let tailTape = Tape(workers: workers, inferenceOnly: true)
                    logits += try tailTape.value(tail.forward(tailTape.input(batch), on: tailTape)).scalars
                }
                classes = logits.count / fractions.count
                if logitSums.isEmpty { logitSums = [Double](repeating: 0, count: logits.count) }
                for (i, value) in logits.enumerated() { logitSums[i] += Double(value) }
            }
            let label = labels[index]
            for f in fractions.indices {
                let row = logitSums[(f * classes)..<((f + 1) * classes)].map { $0 / Double(c.orderCount) }
                let target = row[label]
                let best = row.enumerated().filter { $0.offset != label }.map(\.element).max() ?? -Double.infinity
                gaps[f].append(target - best)
                occludedSums[f] += Double(counts[f])
            }
            progress("image \(index + 1)/\(n)")
        }
        let total = Double(max(n, 1))
        let points = fractions.indices.map { f in
            FeatureOcclusionPoint(
                fraction: fractions[f], meanLogitGap: gaps[f].reduce(0, +) / total,
                accuracy: Double(gaps[f].filter { $0 > 0 }.count) / total, meanOccludedPositions: occludedSums[f] / total
            )
        }
        let deviations = fractions.indices.map { f -> Double in
            let mean = gaps[f].reduce(0, +) / total
            return (gaps[f].map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / total).squareRoot()
        }
        return PaperFeatureOcclusionResult(configuration: c, mapShape: mapShape, imageCount: n, meanBackgroundUnits: Double(backgroundUnits) / total, points: points, gapStandardDeviations: deviations)
    }
}
