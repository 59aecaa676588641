/// The activation functions the tape records; each goes through a swappable backward rule.
public enum ActivationKind: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// `max(z, 0)`.
    case relu
    /// `min(max(z, 0), 6)`.
    case relu6

    /// Applies the function to one value (NaN propagates).
    @inlinable
    public func apply(_ z: Float) -> Float {
        switch self {
        case .relu: return z.isNaN ? z : (z > 0 ? z : 0)
        case .relu6: return z.isNaN ? z : Swift.min(z > 0 ? z : 0, 6)
        }
    }

    /// The derivative used by the plain gradient: `1[z > 0]` (ReLU6: `1[0 < z < 6]`).
    @inlinable
    public func derivative(_ z: Float) -> Float {
        switch self {
        case .relu: return z > 0 ? 1 : 0
        case .relu6: return (z > 0 && z < 6) ? 1 : 0
        }
    }

    /// Applies the function to every element.
    public func forward(_ input: Tensor) -> Tensor { input.map(apply) }

    public var description: String { rawValue }
}
