import Foundation
import RectGradCore
import RectGradImage
import RectGradLayers

/// A network together with what it takes to use it on photographs: how images become its input
/// and what its outputs mean.
///
/// The zoo makes models (``ZooEntry/model(seed:)``, ``ZooEntry/model(weights:source:allowExtraNames:workers:)``),
/// and prediction, attribution, the explanation report and the experiments consume them, so the
/// photo → tensor step lives in one place: ``preprocessing``.
///
/// ```swift
/// let model = try Zoo.entry(named: "resnet50").model(weights: url)
/// let input = try model.input(from: [photo])                 // [1, 3, 224, 224]
/// let top = try model.topClasses(model.network.logits(for: input), k: 3)
/// ```
public struct Model: Sendable {
    /// The model's name, e.g. `resnet50`.
    public var name: String
    /// The network.
    public var network: Network
    /// How images become inputs.
    public var preprocessing: Preprocessing
    /// The class names in logit order (ImageNet-1k or CIFAR-10 for the zoo).
    public var classNames: [String]

    /// Creates a model; `classNames` may be empty when the classes have no names.
    public init(name: String, network: Network, preprocessing: Preprocessing, classNames: [String]) {
        self.name = name
        self.network = network
        self.preprocessing = preprocessing
        self.classNames = classNames
    }

    /// The number of classes (logits).
    public var classCount: Int { network.classCount }

    /// The name of class `index`, or `class <index>` when it has none.
    public func className(_ index: Int) -> String {
        classNames.indices.contains(index) ? classNames[index] : "class \(index)"
    }

    /// The class index called `name` (exact match, then case-insensitive), if any.
    public func classIndex(named name: String) -> Int? {
        if let index = classNames.firstIndex(of: name) { return index }
        let lowered = name.lowercased()
        return classNames.firstIndex { $0.lowercased() == lowered }
    }

    /// The input `[N, 3, H, W]` for `images`, each prepared by ``preprocessing``.
    /// - Throws: ``ImageError`` for an empty list or an image that cannot be prepared.
    public func input(from images: [RGBImage]) throws(ImageError) -> Tensor {
        try preprocessing.input(from: images)
    }

    /// The `k` most probable classes of every row of `[N, classes]` logits, most probable first
    /// (ties to the lower index), with their softmax probabilities.
    /// - Throws: ``TensorError`` unless `logits` is `[N, classCount]`.
    public func topClasses(_ logits: Tensor, k: Int) throws(TensorError) -> [[ClassScore]] {
        guard logits.rank == 2, logits.shape[1] == classCount else {
            throw .shapeMismatch(operation: "Model.topClasses", expected: [-1, classCount], actual: logits.shape)
        }
        return try ClassScore.top(logits, k: k).map { row in
            row.map { var score = $0; score.name = className($0.index); return score }
        }
    }
}

/// One class of a prediction: its index, name, logit and softmax probability.
public struct ClassScore: Sendable, Hashable {
    /// The class index.
    public var index: Int
    /// The class name (empty when unknown).
    public var name: String
    /// The logit.
    public var logit: Float
    /// The softmax probability of the class in its row (``SoftmaxCrossEntropy/softmax(_:)``).
    public var probability: Double

    /// Creates a score.
    public init(index: Int, name: String = "", logit: Float, probability: Double) {
        self.index = index
        self.name = name
        self.logit = logit
        self.probability = probability
    }

    /// The `k` largest classes of each row of `[N, K]` logits with their softmax probabilities.
    /// - Throws: ``TensorError`` for another rank, `k < 1` or a non-finite logit.
    public static func top(_ logits: Tensor, k: Int) throws(TensorError) -> [[ClassScore]] {
        guard logits.rank == 2 else {
            throw .shapeMismatch(operation: "ClassScore.top", expected: [-1, -1], actual: logits.shape)
        }
        guard k >= 1 else { throw .invalidArgument(operation: "ClassScore.top", reason: "k must be at least 1, got \(k)") }
        guard logits.isFinite else {
            throw .invalidArgument(operation: "ClassScore.top", reason: "the logits hold NaN or infinity")
        }
        let classes = logits.shape[1]
        let probabilities = try SoftmaxCrossEntropy.softmax(logits)
        return (0..<logits.shape[0]).map { row in
            let values = (0..<classes).map { logits[row, $0] }
            let order = (0..<classes).sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
            return order.prefix(k).map { ClassScore(index: $0, logit: values[$0], probability: Double(probabilities[row, $0])) }
        }
    }
}

extension Model {
    /// A black image (every pixel 0 in pixel space) through the model's preprocessing: the
    /// baseline "black image" for integrated gradients, DeepLIFT, GradientSHAP and occlusion,
    /// `[1, 3, H, W]` (wrap it as `Baseline.tensor`).
    /// - Throws: ``RectGradImage/ImageError`` when the image cannot be prepared.
    public func blackImage() throws(ImageError) -> Tensor {
        let size = preprocessing.inputSize
        let black = try RGBImage(width: size.width, height: size.height, pixels: [UInt8](repeating: 0, count: size.width * size.height * 3))
        return try input(from: [black])
    }
}
