import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradImage
import RectGradZoo

/// What a dataset run writes for each image and method.
///
/// Files mirror the image's key inside the output folder, with the method's name appended to the
/// image's full file name (so `a.png` and `a.jpg` never collide):
///
/// | file | content |
/// | --- | --- |
/// | `<key>.<method>.npy` | the attribution, float32 `[1, C, H, W]` at the model's input size |
/// | `<key>.<method>.png` | the heatmap without the final threshold (display percentiles ``plainThreshold``, the paper's 0.5, 99.5) |
/// | `<key>.<method>.final-threshold.png` | the heatmap with the baseline final threshold (``finalThreshold``, the paper's 95, 99.5) |
/// | `<key>.input.png` | the input as the network sees it (resized), with the heatmaps |
public struct MapOutputs: Sendable, Hashable {
    /// Whether `.npy` arrays are written.
    public var arrays: Bool
    /// Whether heatmap PNGs (both thresholds) and the input PNG are written.
    public var heatmaps: Bool
    /// Which evidence the heatmaps show.
    public var sign: HeatmapSign
    /// How the heatmaps are drawn.
    public var view: HeatmapView
    /// The display percentiles of the heatmap without the final threshold.
    public var plainThreshold: DisplayPercentiles
    /// The display percentiles of the heatmap with the final threshold.
    public var finalThreshold: DisplayPercentiles

    /// Creates output choices; the thresholds default to the paper's.
    public init(
        arrays: Bool = true, heatmaps: Bool = true, sign: HeatmapSign = .all, view: HeatmapView = .heatmap,
        plainThreshold: DisplayPercentiles = DisplayPercentiles(AttributionMethod.paperFinalThreshold),
        finalThreshold: DisplayPercentiles = DisplayPercentiles(AttributionMethod.baselineFinalThreshold)
    ) {
        self.arrays = arrays
        self.heatmaps = heatmaps
        self.sign = sign
        self.view = view
        self.plainThreshold = plainThreshold
        self.finalThreshold = finalThreshold
    }

    /// The array file of `method` for the image `key`, relative to the output folder.
    public static func arrayFile(key: String, method: String) -> String { "\(key).\(method).npy" }
    /// The heatmap without the final threshold.
    public static func heatmapFile(key: String, method: String) -> String { "\(key).\(method).png" }
    /// The heatmap with the final threshold.
    public static func thresholdedHeatmapFile(key: String, method: String) -> String { "\(key).\(method).final-threshold.png" }
    /// The input as the network sees it.
    public static func inputFile(key: String) -> String { "\(key).input.png" }

    /// The files one method writes for `key`, in writing order.
    public func files(key: String, method: String) -> [String] {
        var files: [String] = []
        if arrays { files.append(Self.arrayFile(key: key, method: method)) }
        if heatmaps { files += [Self.heatmapFile(key: key, method: method), Self.thresholdedHeatmapFile(key: key, method: method)] }
        return files
    }
}

/// A pair of display percentiles `(lower, upper)` (see `DisplayPreprocessing`).
public struct DisplayPercentiles: Sendable, Hashable {
    /// The lower percentile.
    public var lower: Double
    /// The upper percentile.
    public var upper: Double

    /// Creates percentiles.
    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// From a `(lower, upper)` tuple such as `AttributionMethod.paperFinalThreshold`.
    public init(_ pair: (lower: Double, upper: Double)) { self.init(lower: pair.lower, upper: pair.upper) }

    var pair: (lower: Double, upper: Double) { (lower, upper) }
}

/// Everything a ``DatasetAttribution`` run does besides its inputs and output folder.
public struct DatasetRunConfiguration: Sendable {
    /// The model with its weights and preprocessing.
    public var model: Model
    /// The methods, run on each batch in this order (sharing one recorded forward pass).
    public var methods: [AttributionMethod]
    /// What is written per image and method.
    public var outputs: MapOutputs
    /// Images per forward pass (≥ 1).
    public var batchSize: Int
    /// The share of the inputs this process handles; its index file is named after it.
    public var shard: ShardSelection
    /// Recompute every image of the shard, even those the index files record as complete.
    public var overwrite: Bool
    /// Stop at the first image that cannot be read, decoded or attributed (else record it and go on).
    public var failFast: Bool
    /// The class explained for images without a manifest target (`nil`: the predicted class).
    public var defaultTarget: Int?
    /// How images are decoded.
    public var decoding: ImageDecoding.Options
    /// Rows per forward pass of the multi-pass methods (`nil`: the session's default).
    public var chunkSize: Int?
    /// The threads of the passes; with more than one, a further thread decodes the next batches
    /// while the network runs (with one, everything runs on the calling thread).
    public var workers: Workers
    /// Decoded images waiting for the network at most, in whole batches, at least one (default: two batches).
    public var decodeAhead: Int?

    /// Creates a configuration with one image per batch, the whole dataset, resuming, recording failures.
    public init(
        model: Model, methods: [AttributionMethod], outputs: MapOutputs = MapOutputs(), batchSize: Int = 8,
        shard: ShardSelection = .whole, overwrite: Bool = false, failFast: Bool = false, defaultTarget: Int? = nil,
        decoding: ImageDecoding.Options = ImageDecoding.Options(), chunkSize: Int? = nil, workers: Workers = .default, decodeAhead: Int? = nil
    ) {
        self.model = model
        self.methods = methods
        self.outputs = outputs
        self.batchSize = batchSize
        self.shard = shard
        self.overwrite = overwrite
        self.failFast = failFast
        self.defaultTarget = defaultTarget
        self.decoding = decoding
        self.chunkSize = chunkSize
        self.workers = workers
        self.decodeAhead = decodeAhead
    }

    /// The index file of this configuration's shard.
    public var indexFileName: String { DatasetIndex.fileName(shardIndex: shard.index, shardCount: shard.count) }
}
