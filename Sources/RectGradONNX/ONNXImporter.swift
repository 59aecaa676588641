import Foundation
import RectGradCore
import RectGradImage
import RectGradLayers
import RectGradZoo
import SwiftProtobuf

/// How an ONNX file becomes a ``RectGradZoo/Model``: preprocessing, class names and limits.
public struct ONNXImportOptions: Sendable {
    /// How photos become the input; `nil`: torchvision's ImageNet evaluation transform (centre
    /// crop, ImageNet mean and standard deviation) at the graph's input size.
    public var preprocessing: Preprocessing?
    /// The class names in logit order; `nil`: the ImageNet-1k names for 1000 classes, none otherwise.
    public var classNames: [String]?
    /// The input size to use when the graph's height and width are symbolic.
    public var inputSize: Size2D?
    /// Fold each batch normalization into the convolution it directly follows (the default).
    public var foldsBatchNorm: Bool
    /// Bounds on sizes read from the file.
    public var limits: ONNXLimits
    /// The threads the import's forward pass (shape inference and constant folding) computes on,
    /// which also copy large float initializers from the file, in parts.
    public var workers: Workers

    /// Creates options.
    public init(preprocessing: Preprocessing? = nil, classNames: [String]? = nil, inputSize: Size2D? = nil, foldsBatchNorm: Bool = true, limits: ONNXLimits = ONNXLimits(), workers: Workers = .default) {
        self.workers = workers
        self.preprocessing = preprocessing
        self.classNames = classNames
        self.inputSize = inputSize
        self.foldsBatchNorm = foldsBatchNorm
        self.limits = limits
    }
}

/// An imported ONNX model: the zoo ``RectGradZoo/Model`` that prediction, attribution and the
/// explanation report take, and what the import found.
public struct ONNXImportedModel: Sendable {
    /// The model (network, preprocessing, class names).
    public var model: Model
    /// The graph as tape operations (the network's only layer).
    public var graph: ONNXGraphLayer
    /// The opset of the default domain.
    public var opset: Int
    /// The exporter, e.g. `pytorch 2.5.1`.
    public var producer: String
    /// Facts a user should know, e.g. that a final Softmax was dropped so that its input (the
    /// logits) is explained.
    public var notes: [String]
}

/// Imports ONNX classifiers (opsets 11–21) onto the tape.
///
/// ```swift
/// let imported = try ONNXImporter.importModel(contentsOf: URL(fileURLWithPath: "net.onnx"))
/// let logits = try imported.model.network.logits(for: input)
/// ```
///
/// The graph must have one image input `[N, C, H, W]` and end in `[N, classes]` logits (a final
/// Softmax is dropped: the explained score stays the pre-softmax logit). Each ONNX node becomes a
/// tape operation named after the node, so activation sites carry the ONNX node names and
/// per-layer backward rules select them by name. Shape computations (`Shape`, `Gather`,
/// `Concat`, … on values known at import) are folded.
public enum ONNXImporter {
    /// The opsets of the default domain that are read.
    public static let supportedOpsets: ClosedRange<Int> = 11...21

    /// Imports the model in `url`; external data files are read from the model's folder.
    /// - Throws: ``ONNXError`` naming the file, tensor or node that cannot be imported.
    public static func importModel(contentsOf url: URL, options: ONNXImportOptions = ONNXImportOptions()) throws(ONNXError) -> ONNXImportedModel {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadableFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .unreadableFile(path: path, reason: "it is a folder") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > options.limits.maximumFileBytes {
            throw .unreadableFile(path: path, reason: "\(size) bytes exceed the limit of \(options.limits.maximumFileBytes)")
        }
        let data: Data
        // Mapped read-only: the file's pages come from the page cache instead of being copied
        // into fresh memory first.
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw .unreadableFile(path: path, reason: "\(error.localizedDescription)")
        }
        let name = url.deletingPathExtension().lastPathComponent
        return try importModel(serializedBytes: data, name: name, source: path, directory: url.deletingLastPathComponent(), options: options)
    }

    /// Imports a model from its serialized bytes. `directory` is where external data files are
    /// looked for (`nil` refuses external data); `source` names the bytes in errors.
    public static func importModel(serializedBytes data: Data, name: String, source: String = "<bytes>", directory: URL? = nil, options: ONNXImportOptions = ONNXImportOptions()) throws(ONNXError) -> ONNXImportedModel {
        try importModel(serializedBytes: data, name: name, source: source, directory: directory, options: options, readingRawDataInPlace: true)
    }

    /// As ``importModel(serializedBytes:name:source:directory:options:)``; with
    /// `readingRawDataInPlace` false the whole model is decoded, initializers' bytes included (for
    /// tests that compare the two ways).
    package static func importModel(serializedBytes data: Data, name: String, source: String = "<bytes>", directory: URL? = nil, options: ONNXImportOptions = ONNXImportOptions(), readingRawDataInPlace: Bool) throws(ONNXError) -> ONNXImportedModel {
        guard data.count <= options.limits.maximumFileBytes else {
            throw .unreadableFile(path: source, reason: "\(data.count) bytes exceed the limit of \(options.limits.maximumFileBytes)")
        }
        var decoding = BinaryDecodingOptions()
        decoding.messageDepthLimit = 64
        func decode(_ bytes: Data) throws(ONNXError) -> Onnx_ModelProto {
            do { return try Onnx_ModelProto(serializedBytes: bytes, options: decoding) } catch {
                throw .malformed(path: source, reason: "\(error)")
            }
        }
        // The initializers' elements are read from `data` itself, not from the decoder's copies.
        if readingRawDataInPlace, let index = data.withUnsafeBytes({ ONNXRawDataIndex.scan($0) }) {
            var proto = try decode(index.strippedModel)
            if proto.graph.initializer.count == index.initializerRawData.count {
                let rawData = index.initializerRawData.map { range in
                    range.map { data[(data.startIndex + $0.lowerBound)..<(data.startIndex + $0.upperBound)] }
                }
                return try importModel(&proto, name: name, directory: directory, options: options, initializerRawData: rawData)
            }
        }
        var proto = try decode(data)
        return try importModel(&proto, name: name, directory: directory, options: options)
    }

    /// Imports a decoded `ModelProto`; its graph is moved out of `proto` (so that the builder,
    /// holding the only reference, can drop each initializer's bytes once decoded).
    /// `initializerRawData` holds, for each initializer in order, its `raw_data` when the decoded
    /// proto was stripped of it (``ONNXRawDataIndex``); empty when the proto holds its own.
    static func importModel(_ proto: inout Onnx_ModelProto, name: String, directory: URL?, options: ONNXImportOptions, initializerRawData: [Data?] = []) throws(ONNXError) -> ONNXImportedModel {
        guard proto.hasGraph else { throw .invalidModel(reason: "the file has no graph") }
        var opset: Int?
        for entry in proto.opsetImport where entry.domain.isEmpty || entry.domain == "ai.onnx" {
            guard let version = Int(exactly: entry.version), supportedOpsets.contains(version) else {
                throw .unsupportedOpset(domain: entry.domain, version: Int(clamping: entry.version), supported: supportedOpsets)
            }
            opset = version
        }
        guard let opset else { throw .invalidModel(reason: "the model imports no opset of the default domain (ai.onnx)") }
        let producer = [proto.producerName, proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        var builder = try ONNXGraphBuilder(graph: proto.graph, opset: opset, directory: directory, options: options, initializerRawData: initializerRawData)
        proto.clearGraph()
        let graph = try builder.build()

        let inputSize = Size2D(builder.inputShape[2], builder.inputShape[3])
        let classCount = builder.outputShape[1]
        let network = Network(
            name: name, inputChannels: builder.inputShape[1], inputSize: inputSize,
            requiresFixedInputSize: true, classCount: classCount, body: Sequential(name: "", [graph]))
        let classNames = options.classNames ?? (classCount == ImageNetClasses.names.count ? ImageNetClasses.names : [])
        if !classNames.isEmpty && classNames.count != classCount {
            throw .invalidModel(reason: "\(classNames.count) class names given for \(classCount) classes")
        }
        let preprocessing = options.preprocessing ?? .imageNetEvaluation(inputSize: inputSize)
        let model = Model(name: name, network: network, preprocessing: preprocessing, classNames: classNames)
        return ONNXImportedModel(model: model, graph: graph, opset: opset, producer: producer, notes: builder.notes)
    }
}
