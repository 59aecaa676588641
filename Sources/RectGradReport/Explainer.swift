import Foundation
import RectGradAttribution
import RectGradCore
import RectGradImage
import RectGradLayers
import RectGradZoo

/// One method's map for one image.
public struct MethodMap: Sendable {
    /// The method's command-line name.
    public var method: MethodName
    /// The method as it ran (its properties decide how the map is displayed and evaluated).
    public var attributionMethod: AttributionMethod
    /// The attribution `[1, C, H, W]`.
    public var map: Tensor
    /// Wall-clock seconds this method took (the shared forward pass not included).
    public var seconds: Double
}

/// What explaining one image produced.
public struct ExplainedImage: Sendable {
    /// A display name (the file name).
    public var name: String
    /// The image at the network's input size.
    public var image: RGBImage
    /// The explained class (the predicted one unless a target was given).
    public var predictedClass: Int
    /// Its name.
    public var className: String
    /// Its softmax probability.
    public var confidence: Float
    /// The maps, in the order of the methods asked for.
    public var maps: [MethodMap]
    /// The object mask (`true` on the object), when known.
    public var mask: [Bool]?
    /// Seconds for the recorded forward pass shared by the rule-based methods.
    public var forwardSeconds: Double
}

/// Explains images with a network: one recorded forward pass per image, one backward per method.
public struct Explainer: Sendable {
    /// The model: network, preprocessing and class names.
    public var model: Model
    /// The methods, in display order.
    public var methods: [MethodName]
    /// Their parameters (percentile, τ, steps, …).
    public var parameters: MethodParameters
    /// What each map explains of its class (default: the logit).
    public var output: ExplainedOutput = .logit
    /// The threads its passes compute on (see ``Workers``).
    public var workers: Workers

    /// Creates an explainer whose passes run on `workers`.
    public init(model: Model, methods: [MethodName], parameters: MethodParameters = MethodParameters(), workers: Workers = .default) {
        self.model = model
        self.workers = workers
        self.methods = methods
        self.parameters = parameters
    }

    /// Explains one image (prepared by the model's preprocessing) for its predicted class, or
    /// for the class `target` when given.
    /// - Parameter progress: called before each method and after each chunk of a multi-pass method.
    public func explain(name: String, image: RGBImage, mask: [Bool]? = nil, target: Int? = nil, progress: ((ExplainerProgress) -> Void)? = nil) throws -> ExplainedImage {
        let prepared = try model.preprocessing.prepared(image)
        let input = prepared.tensor(scaling: model.preprocessing.scaling)
        let results = try explain(names: [name], displayImages: [prepared], input: input, masks: mask.map { [$0] }, targets: target.map { .all($0) } ?? .predicted, progress: progress)
        guard let first = results.first else { throw ReportError.invalidOption(name: "input", reason: "no example") }
        return first
    }

    /// Explains a prepared input `[1, C, H, W]` whose display image is `displayImage`.
    public func explain(name: String, displayImage: RGBImage, input: Tensor, mask: [Bool]? = nil) throws -> ExplainedImage {
        let results = try explain(names: [name], displayImages: [displayImage], input: input, masks: mask.map { [$0] })
        guard let first = results.first else { throw ReportError.invalidOption(name: "input", reason: "no example") }
        return first
    }

    /// Explains a batch `[N, C, H, W]` at once: one recorded forward pass for the batch, one backward
    /// per method (rules work per example, so the maps equal those of single-image runs). Times are
    /// per image (the batch's time divided by N).
    ///
    /// - Parameters:
    ///   - targets: the explained classes (default: the predicted ones).
    ///   - progress: called before each method and after each chunk of a multi-pass method.
    public func explain(
        names: [String], displayImages: [RGBImage], input: Tensor, masks: [[Bool]]? = nil,
        targets: TargetSelection = .predicted, progress: ((ExplainerProgress) -> Void)? = nil
    ) throws -> [ExplainedImage] {
        let count = input.shape.first ?? 0
        guard names.count == count, displayImages.count == count, masks.map({ $0.count == count }) ?? true else {
            throw ReportError.invalidOption(name: "input", reason: "\(count) examples but \(names.count) names, \(displayImages.count) images")
        }
        let clock = ContinuousClock()
        var created: AttributionSession?
        let forward = try clock.measure { created = try AttributionSession(network: model.network, input: input, targets: targets, workers: workers, output: output) }
        guard let session = created else { throw ReportError.invalidOption(name: "input", reason: "no session") }
        let probabilities = try SoftmaxCrossEntropy.softmax(session.logits)
        var mapsPerMethod: [(MethodName, AttributionMethod, Tensor, Double)] = []
        for (index, name) in methods.enumerated() {
            let method = try name.method(parameters)
            if let progress {
                progress(ExplainerProgress(methodIndex: index, methodCount: methods.count, method: name, rows: nil))
                session.onProgress = { progress(ExplainerProgress(methodIndex: index, methodCount: methods.count, method: name, rows: $0)) }
            }
            var result: AttributionResult?
            let elapsed = try clock.measure { result = try session.attribute(method) }
            if let result { mapsPerMethod.append((name, method, result.map, elapsed.seconds / Double(max(count, 1)))) }
        }
        let classes = session.logits.shape[1]
        return try (0..<count).map { index in
            let predicted = session.targets[index]
            return ExplainedImage(
                name: names[index], image: displayImages[index], predictedClass: predicted,
                className: model.className(predicted),
                confidence: probabilities[flat: index * classes + predicted],
                maps: try mapsPerMethod.map { MethodMap(method: $0.0, attributionMethod: $0.1, map: try $0.2.example(index).reshaped([1] + $0.2.shape.dropFirst()), seconds: $0.3) },
                mask: masks?[index], forwardSeconds: forward.seconds / Double(max(count, 1))
            )
        }
    }
}

/// Where an ``Explainer`` is: the method it runs and, for multi-pass methods, its rows.
public struct ExplainerProgress: Sendable, CustomStringConvertible {
    /// The method's position in ``Explainer/methods`` (from 0).
    public var methodIndex: Int
    /// The number of methods.
    public var methodCount: Int
    /// The method.
    public var method: MethodName
    /// The rows of a multi-pass method done so far (`nil` when the method starts).
    public var rows: AttributionProgress?

    /// `rectgrad (method 3/11)`, with `: 96/200 rows` during a multi-pass method.
    public var description: String {
        "\(method.rawValue) (method \(methodIndex + 1)/\(methodCount))" + (rows.map { ": \($0.completedRows)/\($0.totalRows) rows" } ?? "")
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
