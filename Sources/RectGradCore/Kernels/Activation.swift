import CElementwise

/// How GELU is evaluated: with the error function (exact) or PyTorch's and ONNX's tanh form.
public enum GELUApproximation: String, Hashable, Sendable, CaseIterable {
    /// `z · Φ(z) = z/2 · (1 + erf(z/√2))`.
    case erf
    /// `z/2 · (1 + tanh(√(2/π) · (z + 0.044715 z³)))`.
    case tanh
}

/// The activation functions the tape records; each goes through a swappable backward rule.
///
/// ReLU, ReLU6 and a clip to `[0, c]` form the *ReLU family*, where the rules are the paper's
/// (``isReLUFamily``); at every other kind a rule uses the true derivative `f'(z)` as defined in
/// the specification's section "Other activations" (see the article <doc:ActivationsAndRules>).
public enum ActivationKind: Hashable, Sendable, CustomStringConvertible {
    /// `max(z, 0)`.
    case relu
    /// `min(max(z, 0), 6)`.
    case relu6
    /// `min(max(z, lower), upper)` (ONNX Clip, PyTorch hardtanh); a bound may be infinite.
    /// With `lower == 0` and `upper > 0` it belongs to the ReLU family.
    case clip(lower: Float, upper: Float)
    /// `z` for `z > 0`, else `slope · z` (PyTorch's default slope is 0.01, ONNX's 0.01).
    case leakyReLU(slope: Float)
    /// `z` for `z > 0`, else `alpha · (exp(z) − 1)` (default alpha 1).
    case elu(alpha: Float)
    /// `1 / (1 + exp(−z))`.
    case sigmoid
    /// `tanh(z)`.
    case tanh
    /// SiLU / Swish: `z · sigmoid(z)`, one activation site.
    case silu
    /// GELU in the exact (erf) or the tanh form.
    case gelu(GELUApproximation)
    /// `max(0, min(1, alpha · z + beta))`: ONNX HardSigmoid (defaults alpha 0.2, beta 0.5);
    /// PyTorch's `hardsigmoid` is alpha 1/6, beta 1/2.
    case hardSigmoid(alpha: Float, beta: Float)
    /// `z · min(max(z + 3, 0), 6) / 6` (PyTorch hardswish, ONNX HardSwish).
    case hardSwish
    /// `log(1 + exp(z))` (evaluated as `z` above 20, as PyTorch does).
    case softplus

    /// The kind's name without parameters (`leaky-relu`, `gelu-tanh`); the backward report counts
    /// sites under it.
    public var name: String {
        switch self {
        case .relu: return "relu"
        case .relu6: return "relu6"
        case .clip: return "clip"
        case .leakyReLU: return "leaky-relu"
        case .elu: return "elu"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .silu: return "silu"
        case .gelu(.erf): return "gelu"
        case .gelu(.tanh): return "gelu-tanh"
        case .hardSigmoid: return "hard-sigmoid"
        case .hardSwish: return "hard-swish"
        case .softplus: return "softplus"
        }
    }

    /// The name with the parameters, e.g. `leaky-relu(slope=0.2)`.
    public var description: String {
        switch self {
        case .clip(let lower, let upper): return "clip(\(lower), \(upper))"
        case .leakyReLU(let slope): return "leaky-relu(slope=\(slope))"
        case .elu(let alpha): return "elu(alpha=\(alpha))"
        case .hardSigmoid(let alpha, let beta): return "hard-sigmoid(alpha=\(alpha), beta=\(beta))"
        default: return name
        }
    }

    /// Whether the paper's ReLU rules apply unchanged: ReLU, ReLU6, and a clip to `[0, c]`
    /// with `c > 0`. Every other kind (leaky ReLU and ELU included: their negative part carries
    /// gradient) is handled with its true derivative.
    public var isReLUFamily: Bool {
        switch self {
        case .relu, .relu6: return true
        case .clip(let lower, let upper): return lower == 0 && upper > 0
        default: return false
        }
    }

    /// Whether the output determines where the derivative is nonzero — ReLU (`a > 0` exactly
    /// where `z > 0`) and ReLU6 (`0 < a < 6` exactly where `0 < z < 6`, NaN included): a rule that
    /// reads `z` only through that mask may read `a` instead, so a tape need not keep `z`.
    var outputDeterminesMask: Bool { self == .relu || self == .relu6 }

    /// Checks the parameters: finite slopes and scales, clip bounds that are not NaN with
    /// `lower ≤ upper` (a bound may be ±∞).
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` naming the kind.
    public func validate() throws(TensorError) {
        switch self {
        case .clip(let lower, let upper):
            guard !lower.isNaN, !upper.isNaN else { throw .invalidArgument(operation: "clip", reason: "bounds must not be NaN, got [\(lower), \(upper)]") }
            guard lower <= upper else { throw .invalidArgument(operation: "clip", reason: "min \(lower) is greater than max \(upper)") }
            guard lower < .infinity, upper > -.infinity else { throw .invalidArgument(operation: "clip", reason: "bounds [\(lower), \(upper)] leave no finite value") }
        case .leakyReLU(let slope):
            guard slope.isFinite else { throw .invalidArgument(operation: "leaky-relu", reason: "slope must be finite, got \(slope)") }
        case .elu(let alpha):
            guard alpha.isFinite else { throw .invalidArgument(operation: "elu", reason: "alpha must be finite, got \(alpha)") }
        case .hardSigmoid(let alpha, let beta):
            guard alpha.isFinite, beta.isFinite else { throw .invalidArgument(operation: "hard-sigmoid", reason: "alpha and beta must be finite, got alpha \(alpha), beta \(beta)") }
        default: break
        }
    }

    /// Applies the function to one value (NaN propagates).
    public func apply(_ z: Float) -> Float {
        switch self {
        case .relu: return z.isNaN ? z : (z > 0 ? z : 0)
        case .relu6: return z.isNaN ? z : Swift.min(z > 0 ? z : 0, 6)
        case .clip(let lower, let upper): return ActivationMath.clip(z, lower, upper)
        case .leakyReLU(let slope): return z > 0 ? z : z * slope
        case .elu(let alpha): return ActivationMath.elu(z, alpha)
        case .sigmoid: return ActivationMath.sigmoid(z)
        case .tanh: return ActivationMath.tanh(z)
        case .silu: return z * ActivationMath.sigmoid(z)
        case .gelu(.erf): return ActivationMath.geluErf(z)
        case .gelu(.tanh): return ActivationMath.geluTanh(z)
        case .hardSigmoid(let alpha, let beta): return ActivationMath.hardSigmoid(z, alpha, beta)
        case .hardSwish: return ActivationMath.hardSwish(z)
        case .softplus: return ActivationMath.softplus(z)
        }
    }

    /// The derivative `f'(z)` the rules use: `1[z > 0]` at ReLU, `1[0 < z < 6]` at ReLU6,
    /// `1[lower < z < upper]` at a clip, the true derivative elsewhere (at a kink the value of
    /// the side PyTorch takes).
    public func derivative(_ z: Float) -> Float {
        switch self {
        case .relu: return z > 0 ? 1 : 0
        case .relu6: return (z > 0 && z < 6) ? 1 : 0
        case .clip(let lower, let upper): return (z > lower && z < upper) ? 1 : 0
        case .leakyReLU(let slope): return z > 0 ? 1 : slope
        case .elu(let alpha): return z > 0 ? 1 : alpha * ActivationMath.exp(z)
        case .sigmoid: return ActivationMath.sigmoidDerivative(z)
        case .tanh: return ActivationMath.tanhDerivative(z)
        case .silu: return ActivationMath.siluDerivative(z)
        case .gelu(.erf): return ActivationMath.geluErfDerivative(z)
        case .gelu(.tanh): return ActivationMath.geluTanhDerivative(z)
        case .hardSigmoid(let alpha, let beta):
            let v = alpha * z + beta
            return (v > 0 && v < 1) ? alpha : 0
        case .hardSwish: return z < -3 ? 0 : (z <= 3 ? z / 3 + 0.5 : 1)
        case .softplus: return z > 20 ? 1 : ActivationMath.sigmoid(z)
        }
    }

    /// Applies the function to every element (split across `workers` for large tensors; the
    /// same values as ``apply(_:)``).
    public func forward(_ input: Tensor, workers: Workers = .default) -> Tensor {
        switch self {
        case .relu: return Elementwise.unary(input, ReLULanes(), workers: workers)
        case .relu6: return Elementwise.unary(input, ReLU6Lanes(), workers: workers)
        default: return ActivationMath.map(input, workers: workers, apply)
        }
    }

    /// ReLU or ReLU6 written over `tensor` (copied first if its storage is shared): the same bits
    /// as ``forward(_:workers:)``. Returns false, leaving `tensor` alone, for any other kind.
    func forwardInPlace(_ tensor: inout Tensor, workers: Workers) -> Bool {
        let loop: @convention(c) (UnsafeMutablePointer<Float>?, Int) -> Void
        switch self {
        case .relu: loop = rg_relu_in_place
        case .relu6: loop = rg_relu6_in_place
        default: return false
        }
        tensor.withUnsafeMutableBufferPointer { buffer in
            guard let z = buffer.baseAddress else { return }
            workers.forRanges(count: buffer.count, minimumPerRange: 1 << 14) { range in
                loop(z + range.lowerBound, range.count)
            }
        }
        return true
    }

    /// ``derivative(_:)`` of every element of `preActivation`.
    public func derivative(_ preActivation: Tensor, workers: Workers = .default) -> Tensor {
        ActivationMath.map(preActivation, workers: workers, derivative)
    }
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
