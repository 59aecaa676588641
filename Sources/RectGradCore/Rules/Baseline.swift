/// A reference input: the baseline of integrated gradients and completeness checks, and the input
/// whose forward pass DeepLIFT compares against.
///
/// A description, not values: whoever runs the backward pass turns it into a tensor of the
/// input's shape and records its forward pass (see ``ReferenceBoundRule``).
public enum Baseline: Sendable, Equatable, CustomStringConvertible {
    /// All zeros (the spec's default for integrated gradients and DeepLIFT).
    case zero
    /// Every element equal to a constant.
    case constant(Float)
    /// An explicit tensor: one example (`[C, H, W]` or `[1, C, H, W]`, used for every example) or
    /// one baseline per example (`[N, C, H, W]`).
    case tensor(Tensor)

    public var description: String {
        switch self {
        case .zero: return "zero"
        case .constant(let value): return "constant \(value)"
        case .tensor(let tensor): return "tensor \(tensor.shape)"
        }
    }
}

/// A rule that reads the activations of a second, reference forward pass (DeepLIFT).
///
/// The rule names its reference input; whoever runs the backward pass records that input's
/// forward pass and hands its activations to ``binding(_:)`` before running backward —
/// ``BackwardRules/binding(_:)`` does it for every such rule of a rule set.
public protocol ReferenceBoundRule: ActivationRule {
    /// The input whose forward pass the rule compares against.
    var reference: Baseline { get }
    /// The rule reading `activations`, the activations of the forward pass of ``reference``.
    func binding(_ activations: ReferenceActivations) -> Self
}
