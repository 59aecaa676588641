/// Errors raised while recording on, or running backward through, a ``Tape``.
public enum TapeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A variable does not belong to this tape.
    case unknownVariable(Variable)
    /// An operation rejected its inputs; `layer` is the name given when recording.
    case operationFailed(layer: String, TensorError)
    /// The backward seed does not have the shape of the value it seeds.
    case seedShapeMismatch(expected: [Int], actual: [Int])
    /// A backward rule failed at an activation.
    case ruleFailed(site: String, reason: String)
    /// A value became NaN or infinite; `layer` names the first layer that produced one, e.g.
    /// `'features.0' (conv2d)` (see ``Tape/checkFinite()``).
    case nonFinite(layer: String)
    /// A per-layer override of the ``BackwardRules`` whose selector matches none of the tape's
    /// activations (a typo, or names of another architecture): refused rather than silently
    /// running the default rule everywhere. `activations` are the names of the tape's sites.
    case selectorMatchesNothing(LayerSelector, activations: [String])
    /// The value was given back to the pool by ``Tape/dropValue(_:)`` on an inference-only tape.
    case valueDropped(Variable)
    /// A backward pass was asked of an inference-only tape, which keeps no values for one.
    case inferenceOnlyTape

    public var description: String {
        switch self {
        case .unknownVariable(let v): return "variable \(v) is not recorded on this tape"
        case .operationFailed(let layer, let error): return layer.isEmpty ? "\(error)" : "layer '\(layer)': \(error)"
        case .seedShapeMismatch(let expected, let actual): return "backward seed has shape \(actual), expected \(expected)"
        case .ruleFailed(let site, let reason): return "backward rule at \(site): \(reason)"
        case .nonFinite(let layer):
            return "the forward pass produced NaN or infinite values, first at layer \(layer); the input may be far outside the model's range, or the weights broken"
        case .valueDropped(let v): return "the value of \(v) was dropped: an inference-only tape gives each value back once the layers are done with it"
        case .inferenceOnlyTape: return "this tape records for inference only and keeps no values for a backward pass; record on Tape(workers:buffers:) instead"
        case .selectorMatchesNothing(let selector, let activations):
            let shown = activations.prefix(6).map { "'\($0)'" }.joined(separator: ", ")
            let more = activations.count > 6 ? ", … (\(activations.count) in all)" : ""
            let list = activations.isEmpty ? "the tape has no activations" : "its activations are \(shown)\(more)"
            return "the rule override for \(selector) matches no activation: \(list); Tape.activationSites and Network.activationSites() list them (`rectgrad models --layers MODEL` on the command line)"
        }
    }
}
