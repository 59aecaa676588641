import CElementwise
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

    /// Applies the function to every element (vectorised, split across `workers` for large
    /// tensors; the same values as ``apply(_:)``).
    public func forward(_ input: Tensor, workers: Workers = .default) -> Tensor {
        switch self {
        case .relu: return Elementwise.unary(input, ReLULanes(), workers: workers)
        case .relu6: return Elementwise.unary(input, ReLU6Lanes(), workers: workers)
        }
    }

    public var description: String { rawValue }
}

/// ReLU on vectors: `z ≤ 0` is false for NaN, which passes through; −0 becomes +0, as in
/// ``ActivationKind/apply(_:)``.
struct ReLULanes: LaneFunction1 {
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector) -> Elementwise.Vector { z.replacing(with: 0, where: z .<= 0) }
    static var plainLoop: (@convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)? { rg_relu }
}

/// ReLU6 on vectors, as ``ActivationKind/apply(_:)``.
struct ReLU6Lanes: LaneFunction1 {
    @inline(__always)
    func callAsFunction(_ z: Elementwise.Vector) -> Elementwise.Vector {
        let positive = z.replacing(with: 0, where: z .<= 0)
        return positive.replacing(with: 6, where: positive .> 6)
    }
    static var plainLoop: (@convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void)? { rg_relu6 }
}
