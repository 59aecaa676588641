import Foundation
import RectGradCore

/// Every activation and its derivative written a second time, from the textbook formulas, in
/// Double (the library evaluates in Float with its own numerically safe forms).
enum NaiveActivation {
    static func value(_ kind: ActivationKind, _ z: Float) -> Double {
        let x = Double(z)
        switch kind {
        case .relu: return max(x, 0)
        case .relu6: return min(max(x, 0), 6)
        case .clip(let lower, let upper): return min(max(x, Double(lower)), Double(upper))
        case .leakyReLU(let slope): return x > 0 ? x : Double(slope) * x
        case .elu(let alpha): return x > 0 ? x : Double(alpha) * (exp(x) - 1)
        case .sigmoid: return 1 / (1 + exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .silu: return x / (1 + exp(-x))
        case .gelu(.erf): return x * 0.5 * (1 + erf(x / 2.0.squareRoot()))
        case .gelu(.tanh): return 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .hardSigmoid(let alpha, let beta): return min(max(Double(alpha) * x + Double(beta), 0), 1)
        case .hardSwish: return x * min(max(x + 3, 0), 6) / 6
        case .softplus: return log(1 + exp(x))
        }
    }

    /// `f'(z)`; at the ReLU family the indicator the paper's rules use.
    static func derivative(_ kind: ActivationKind, _ z: Float) -> Double {
        let x = Double(z)
        switch kind {
        case .relu: return x > 0 ? 1 : 0
        case .relu6: return x > 0 && x < 6 ? 1 : 0
        case .clip(let lower, let upper): return x > Double(lower) && x < Double(upper) ? 1 : 0
        case .leakyReLU(let slope): return x > 0 ? 1 : Double(slope)
        case .elu(let alpha): return x > 0 ? 1 : Double(alpha) * exp(x)
        case .sigmoid:
            let s = 1 / (1 + exp(-x))
            return s * (1 - s)
        case .tanh:
            let t = Foundation.tanh(x)
            return 1 - t * t
        case .silu:
            let s = 1 / (1 + exp(-x))
            return s + x * s * (1 - s)
        case .gelu(.erf):
            return 0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-x * x / 2) / (2 * Double.pi).squareRoot()
        case .gelu(.tanh):
            let c = (2 / Double.pi).squareRoot()
            let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
        case .hardSigmoid(let alpha, let beta):
            let v = Double(alpha) * x + Double(beta)
            return v > 0 && v < 1 ? Double(alpha) : 0
        case .hardSwish: return x < -3 ? 0 : (x > 3 ? 1 : (2 * x + 3) / 6)
        case .softplus: return 1 / (1 + exp(-x))
        }
    }

    /// Whether the paper's ReLU rules apply (ReLU, ReLU6, clip to [0, c]).
    static func isReLUFamily(_ kind: ActivationKind) -> Bool {
        switch kind {
        case .relu, .relu6: return true
        case .clip(let lower, let upper): return lower == 0 && upper > 0
        default: return false
        }
    }

    /// The places where `f` or `f'` has a kink (finite-difference inputs keep away from them).
    static func kinks(_ kind: ActivationKind) -> [Float] {
        switch kind {
        case .relu, .leakyReLU, .elu: return [0]
        case .relu6: return [0, 6]
        case .clip(let lower, let upper): return [lower, upper]
        case .hardSigmoid(let alpha, let beta): return [-beta / alpha, (1 - beta) / alpha]
        case .hardSwish: return [-3, 3]
        default: return []
        }
    }

    /// The kinds the tests run over: the ReLU family (with a clip to [0, c]) and one of every other kind.
    static let kinds: [ActivationKind] = [
        .relu, .relu6, .clip(lower: 0, upper: 4), .clip(lower: -1, upper: 1.5),
        .leakyReLU(slope: 0.1), .elu(alpha: 1.3), .sigmoid, .tanh, .silu, .gelu(.erf), .gelu(.tanh),
        .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSigmoid(alpha: 1.0 / 6, beta: 0.5), .hardSwish, .softplus,
    ]
}
