import Foundation

/// One line of a run's index (`index.jsonl`, or `index-<i>-of-<n>.jsonl` for shard i of n): the
/// outcome for one input image, written after the image's files are in place.
///
/// ```json
/// {"height":32,"methods":[{"files":["a/x.png.rectgrad.npy"],"gap":null,"method":"rectgrad","seconds":0.004}],
///  "model":"cifar-cnn","path":"a/x.png","predicted":{"confidence":0.98,"index":3,"name":"cat"},
///  "status":"ok","target":{"index":3,"name":"cat","source":"predicted"},"width":32}
/// ```
///
/// A failed image has `status` `failed`, its `error`, and none of the other fields. Keys are
/// written sorted, one row per line.
public struct DatasetIndexRow: Codable, Sendable, Equatable {
    /// Whether the image's maps were written.
    public enum Status: String, Codable, Sendable {
        /// Every requested method's files were written.
        case ok
        /// The image could not be read, decoded or attributed; see ``DatasetIndexRow/error``.
        case failed
    }

    /// A class with the network's confidence (softmax probability) in it.
    public struct PredictedClass: Codable, Sendable, Equatable {
        /// The class index.
        public var index: Int
        /// The class name (empty when the model has none).
        public var name: String
        /// The softmax probability of the class.
        public var confidence: Double
    }

    /// The explained class and where it came from.
    public struct TargetClass: Codable, Sendable, Equatable {
        /// Where an explained class came from.
        public enum Source: String, Codable, Sendable {
            /// The manifest's target column.
            case manifest
            /// The run's `--target` option.
            case option
            /// The predicted class.
            case predicted
        }
        /// The class index.
        public var index: Int
        /// The class name (empty when the model has none).
        public var name: String
        /// Where it came from.
        public var source: Source
    }

    /// One method's outcome for the image.
    public struct MethodRecord: Codable, Sendable, Equatable {
        /// The method's name (`rectgrad`).
        public var method: String
        /// `Σ attribution − (S(x) − S(baseline))` for methods with a baseline (integrated
        /// gradients, DeepLIFT), else `nil` (written as `null`).
        public var gap: Double?
        /// The method's wall time for the image's batch divided by the batch's image count.
        public var seconds: Double
        /// The files written, relative to the output folder.
        public var files: [String]

        /// Creates a record.
        public init(method: String, gap: Double?, seconds: Double, files: [String]) {
            self.method = method
            self.gap = gap
            self.seconds = seconds
            self.files = files
        }

        enum CodingKeys: String, CodingKey { case method, gap, seconds, files }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(method, forKey: .method)
            try container.encode(gap, forKey: .gap)
            try container.encode(seconds, forKey: .seconds)
            try container.encode(files, forKey: .files)
        }
    }

    /// The image's key (its path relative to the dataset root).
    public var path: String
    /// The outcome.
    public var status: Status
    /// Why the image failed.
    public var error: String?
    /// The image's width in pixels as stored (before preprocessing).
    public var width: Int?
    /// The image's height in pixels as stored.
    public var height: Int?
    /// The zoo model's name.
    public var model: String?
    /// The predicted class.
    public var predicted: PredictedClass?
    /// The explained class.
    public var target: TargetClass?
    /// The prepared input image as the network sees it (PNG, relative to the output folder), when heatmaps are written.
    public var input: String?
    /// Per method, in the run's order.
    public var methods: [MethodRecord]?

    /// A failed image's row.
    public static func failure(path: String, error: String) -> DatasetIndexRow {
        DatasetIndexRow(path: path, status: .failed, error: error)
    }

    /// Creates a row.
    public init(path: String, status: Status, error: String? = nil, width: Int? = nil, height: Int? = nil, model: String? = nil,
                predicted: PredictedClass? = nil, target: TargetClass? = nil, input: String? = nil, methods: [MethodRecord]? = nil) {
        self.path = path
        self.status = status
        self.error = error
        self.width = width
        self.height = height
        self.model = model
        self.predicted = predicted
        self.target = target
        self.input = input
        self.methods = methods
    }

    /// The row as one line of JSON (sorted keys, no trailing newline).
    public func jsonLine() throws(DatasetError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return try encoder.encode(self) } catch {
            throw .invalidConfiguration("an index row for \(path) cannot be encoded: \(error)")
        }
    }

    /// Parses one line of an index.
    public init(jsonLine: Data) throws {
        self = try JSONDecoder().decode(DatasetIndexRow.self, from: jsonLine)
    }

    /// The largest `|gap|` over the methods that have one.
    public var largestGap: Double? {
        methods?.compactMap { $0.gap.map(abs) }.max()
    }
}
