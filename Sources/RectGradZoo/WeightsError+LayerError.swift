import RectGradFormats
import RectGradLayers

extension WeightsError {
    /// The same error for an architecture mismatch reported by ``Network/loadingParameters(_:allowExtraNames:workers:)``.
    init(file: String, layerError: LayerError) {
        let reason: Reason
        switch layerError {
        case .missingParameter(let name): reason = .missingTensor(name)
        case .unexpectedParameters(let names): reason = .unexpectedTensors(names)
        case .parameterShapeMismatch(let name, let expected, let actual): reason = .shapeMismatch(tensor: name, expected: expected, actual: actual)
        case .nonFiniteParameter(let name): reason = .nonFiniteTensor(name)
        case .inputShapeMismatch: reason = .invalidHeader("\(layerError)")
        }
        self.init(file: file, reason: reason)
    }
}
