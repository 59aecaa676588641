import RectGradCore

/// Layer-wise relevance propagation with zennit's composites.
extension AttributionMethod {
    /// LRP with `composite` at the linear layers and the relevance passed through activations.
    /// The attribution is the relevance of the input (the output relevance is the one-hot target,
    /// as zennit's `Gradient` attributor with a one-hot `attr_output`); batch norms are merged
    /// into their convolutions first when the composite says so.
    public static func layerwiseRelevance(name: String, _ composite: LinearLayerRules) -> AttributionMethod {
        AttributionMethod(name: name, rules: .layerwiseRelevance(composite), estimator: .gradient(.none))
    }

    /// The LRP composites by name, with ε (dense layers) and the stabiliser (every other rule).
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` for a negative or non-finite ε.
    static func composite(_ name: MethodName, epsilon: Float, bounds: (low: Tensor, high: Tensor)?) throws(AttributionError) -> AttributionMethod {
        let composite: LinearLayerRules
        do {
            switch name {
            case .lrpEpsilonPlus: composite = try .epsilonPlus(epsilon: epsilon)
            case .lrpEpsilonPlusFlat: composite = try .epsilonPlusFlat(epsilon: epsilon)
            case .lrpEpsilonGammaBox: composite = try .epsilonGammaBox(low: bounds?.low, high: bounds?.high, epsilon: epsilon)
            case .lrpEpsilonAlpha2Beta1: composite = try .epsilonAlpha2Beta1(epsilon: epsilon)
            case .lrpEpsilonAlpha2Beta1Flat: composite = try .epsilonAlpha2Beta1Flat(epsilon: epsilon)
            default: throw AttributionError.invalidParameter(name: "method", reason: "'\(name)' is not an LRP composite")
            }
        } catch let error as AttributionError {
            throw error
        } catch {
            throw .invalidParameter(name: "epsilon", reason: "\(error)")
        }
        return layerwiseRelevance(name: name.rawValue, composite)
    }
}
