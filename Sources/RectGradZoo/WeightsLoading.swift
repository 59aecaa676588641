import Foundation
import RectGradCore
import RectGradFormats
import RectGradLayers

extension Network {
    /// A copy with the weights of a safetensors file, checked strictly against the architecture:
    /// a missing tensor, an unexpected tensor (unless `allowExtraNames`) or a wrong shape is an
    /// error naming the tensor. `num_batches_tracked` counters are ignored. The file is read on
    /// `workers` (``SafetensorsFile/read(contentsOf:workers:)``), which also check its values.
    /// - Throws: ``WeightsError`` naming the file and tensor.
    public func loadingWeights(from url: URL, allowExtraNames: Bool = false, workers: Workers = .serial) throws(WeightsError) -> Network {
        try loadingWeights(SafetensorsFile.read(contentsOf: url, workers: workers), source: url.path, allowExtraNames: allowExtraNames, workers: workers)
    }

    /// A copy with the tensors of `file`; `source` names the file in errors. `workers` check that
    /// every value is finite (a large tensor in parts).
    /// - Throws: ``WeightsError``.
    public func loadingWeights(_ file: SafetensorsFile, source: String, allowExtraNames: Bool = false, workers: Workers = .serial) throws(WeightsError) -> Network {
        var values: [String: Tensor] = [:]
        for tensor in file.tensors where !tensor.name.hasSuffix("num_batches_tracked") { values[tensor.name] = tensor.value }
        do {
            return try loadingParameters(values, allowExtraNames: allowExtraNames, workers: workers)
        } catch let error as LayerError {
            throw WeightsError(file: source, layerError: error)
        } catch {
            throw WeightsError(file: source, reason: .invalidHeader("\(error)"))
        }
    }

    /// The network's parameters as a safetensors file (F32), e.g. to save a trained model.
    public var safetensors: SafetensorsFile { SafetensorsFile(tensors: parameters) }
}

extension Zoo {
    /// The network called `name` with the weights of a safetensors file, read on `workers`.
    /// - Throws: ``ZooError`` for an unknown name, ``WeightsError`` for a bad or mismatched file.
    public static func network(named name: String, weights url: URL, allowExtraNames: Bool = false, workers: Workers = .serial) throws -> Network {
        let entry = try entry(named: name)
        return try entry.network(weights: SafetensorsFile.read(contentsOf: url, workers: workers), source: url.path, allowExtraNames: allowExtraNames, workers: workers)
    }
}

extension ZooEntry {
    /// The architecture with the tensors of `file`, checked strictly (a missing tensor, an
    /// unexpected one unless `allowExtraNames`, or a wrong shape is an error naming it); `source`
    /// names the file in errors. The network shares the file's tensors, so the weights are in
    /// memory once; `workers` check that its values are finite.
    /// - Throws: ``ZooError`` if the architecture cannot be built, ``WeightsError`` for a
    ///   mismatched file.
    public func network(weights file: SafetensorsFile, source: String, allowExtraNames: Bool = false, workers: Workers = .serial) throws -> Network {
        let skeleton = try network(initialization: .sharing(file.dictionary))
        return try skeleton.loadingWeights(file, source: source, allowExtraNames: allowExtraNames, workers: workers)
    }

    /// The model with the tensors of `file`, checked as ``network(weights:source:allowExtraNames:workers:)``.
    /// - Throws: ``ZooError`` or ``WeightsError`` as ``network(weights:source:allowExtraNames:workers:)``.
    public func model(weights file: SafetensorsFile, source: String, allowExtraNames: Bool = false, workers: Workers = .serial) throws -> Model {
        Model(name: name, network: try network(weights: file, source: source, allowExtraNames: allowExtraNames, workers: workers),
              preprocessing: preprocessing, classNames: classNames)
    }

    /// The model with the weights of the safetensors file at `url`, read on `workers`.
    /// - Throws: ``WeightsError`` for an unreadable, bad or mismatched file.
    public func model(weights url: URL, allowExtraNames: Bool = false, workers: Workers = .serial) throws -> Model {
        try model(weights: SafetensorsFile.read(contentsOf: url, workers: workers), source: url.path, allowExtraNames: allowExtraNames, workers: workers)
    }
}
