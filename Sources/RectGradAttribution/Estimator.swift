import Foundation
import RectGradCore

/// What a gradient is multiplied by, element-wise, to give the attribution.
public enum InputMultiplier: Sendable, Equatable, CustomStringConvertible {
    /// Nothing: the attribution is the (rule-modified) gradient `dS/dx`.
    case none
    /// The input: `x · dS/dx`.
    case input
    /// The difference from a baseline: `(x − b) · dS/dx` (DeepLIFT).
    case differenceFromBaseline(Baseline)

    public var description: String {
        switch self {
        case .none: return "gradient"
        case .input: return "× input"
        case .differenceFromBaseline(let baseline): return "× (input − \(baseline) baseline)"
        }
    }
}

/// How the gradients of a backward rule set are turned into an attribution: one of the estimators
/// of the spec. Any estimator but occlusion runs over any `RectGradCore/BackwardRules`.
public indirect enum Estimator: Sendable, Equatable, CustomStringConvertible {
    /// One backward pass at the input, times a multiplier.
    case gradient(InputMultiplier)
    /// Integrated gradients (Sundararajan et al., 2017), right Riemann sum:
    /// `(x − b) · (1/m) · Σ_{k=1…m} dS/dx at b + (k/m)(x − b)`, the target fixed at `x`'s.
    case integratedGradients(steps: Int, baseline: Baseline)
    /// Integrated gradients with `points`-point Gauss–Legendre quadrature of the path integral:
    /// `(x − b) · Σ_k w_k · dS/dx at b + α_k(x − b)` with the nodes `α_k` and weights `w_k` of
    /// Gauss–Legendre on [0, 1] (Captum's `method="gausslegendre"`); exact for gradients that are
    /// polynomials of degree < 2·points along the path.
    case integratedGradientsGaussLegendre(points: Int, baseline: Baseline)
    /// SmoothGrad (Smilkov et al., 2017): `(1/n) Σ_i E(x + e_i)`, `e_i ~ N(0, s²)`,
    /// `s = noiseLevel · (max x − min x)` per example, where `E` is the inner estimator evaluated at
    /// the noisy input (for the spec's SmoothGrad, the plain gradient). Seeded; the noise does not
    /// depend on the chunk size.
    case smoothGrad(samples: Int, noiseLevel: Float, seed: UInt64, of: Estimator)
    /// A noise tunnel with another statistic of the same noisy samples as ``smoothGrad(samples:noiseLevel:seed:of:)``
    /// (the same noise for the same seed): SmoothGrad² (Hooker et al., 2019) is the mean of the
    /// squared maps, VarGrad (Adebayo et al., 2018) their variance (mean of squares minus the square
    /// of the mean, as Captum's `NoiseTunnel`).
    case noiseTunnel(NoiseStatistic, samples: Int, noiseLevel: Float, seed: UInt64, of: Estimator)
    /// Occlusion (Zeiler & Fergus, 2014) in Captum's convention: windows of shape `window`
    /// (`[C, H, W]`) slid with `stride` and replaced by the baseline's values there (a constant, or
    /// a tensor: Captum's `baselines`); each element gets the mean, over the windows covering it,
    /// of `S(x) − S(x occluded)`. No backward pass.
    case occlusion(window: [Int], stride: [Int], baseline: Baseline)
    /// Grad-CAM (Selvaraju et al., 2017) at the recorded value `layer` (a layer's output `A`,
    /// `[N, K, h, w]`; `nil`: ``RectGradLayers/Network/lastConvolutionalBlock``):
    /// `ReLU(Σ_k α_k A_k)` with `α_k` the spatial mean of `dS/dA_k` under the method's rules,
    /// upsampled bilinearly to the input's `H × W` (half-pixel centres, PyTorch's
    /// `F.interpolate(mode: "bilinear", align_corners: False)`, as Captum's
    /// `LayerAttribution.interpolate`). The map has one channel: `[N, 1, H, W]`.
    case gradCAM(layer: String?)
    /// Guided Grad-CAM: the method's input gradient (guided backprop for ``AttributionMethod/guidedGradCAM(layer:)``)
    /// times the upsampled Grad-CAM of `layer` (computed with the plain gradient), broadcast over
    /// the input's channels, as Captum's `GuidedGradCam`.
    case guidedGradCAM(layer: String?)
    /// The gradient of one unit or channel of the recorded value `layer` with respect to the
    /// input, under the method's rules (Captum's `NeuronGradient`); the target class is not used.
    case neuronGradient(layer: String, neuron: NeuronSelector)
    /// GradientSHAP / expected gradients (Lundberg & Lee, 2017; Erion et al., 2021): the mean over
    /// `samples` draws of `(x − b) · dS/dx at b + α(x − b)`, the baseline `b` drawn uniformly from
    /// `baselines` and `α ~ U(0, 1)`, seeded per example (Captum's `GradientShap` with `stdevs = 0`).
    case gradientSHAP(samples: Int, baselines: [Baseline], seed: UInt64)
    /// Layer integrated gradients (Captum's `LayerIntegratedGradients`) at the recorded value
    /// `layer` (`nil`: ``RectGradLayers/Network/lastConvolutionalBlock``): the path runs in the
    /// layer's output, `A(b) + α(A(x) − A(b))`, the rest of the network sees the input; the
    /// attribution `(A(x) − A(b)) · ∫ dS/dA dα` is summed over channels and upsampled bilinearly
    /// to the input (`[N, 1, H, W]`). See ``AttributionMethod/layerIntegratedGradients(layer:quadrature:baseline:)``.
    case layerIntegratedGradients(layer: String?, quadrature: PathQuadrature, baseline: Baseline)

    /// Whether the estimator runs backward passes (everything but occlusion).
    public var usesGradients: Bool {
        switch self {
        case .occlusion: return false
        case .smoothGrad(_, _, _, let inner), .noiseTunnel(_, _, _, _, let inner): return inner.usesGradients
        case .gradient, .integratedGradients, .integratedGradientsGaussLegendre, .gradCAM, .guidedGradCAM, .neuronGradient, .gradientSHAP, .layerIntegratedGradients: return true
        }
    }

    /// Whether the attribution is a gradient times the input or its difference from a baseline
    /// (Captum's `multiplies_by_inputs`); SmoothGrad inherits it from the estimator it averages.
    public var multipliesByInput: Bool {
        switch self {
        case .gradient(.none), .occlusion, .gradCAM, .guidedGradCAM, .neuronGradient, .layerIntegratedGradients: return false
        case .gradient(.input), .gradient(.differenceFromBaseline), .integratedGradients, .integratedGradientsGaussLegendre, .gradientSHAP: return true
        case .smoothGrad(_, _, _, let inner): return inner.multipliesByInput
        case .noiseTunnel: return false
        }
    }

    /// The baseline against which completeness (`Σ attribution` vs `S(x) − S(b)`) is defined.
    public var completenessBaseline: Baseline? {
        switch self {
        case .gradient(.differenceFromBaseline(let baseline)): return baseline
        case .integratedGradients(_, let baseline), .integratedGradientsGaussLegendre(_, let baseline): return baseline
        default: return nil
        }
    }

    /// The forward or backward passes this estimator runs per example of shape `exampleShape`,
    /// saturating at `Int.max`: 1 for a gradient, the steps of integrated gradients, the samples
    /// times the inner estimator's passes for SmoothGrad, and one forward pass per occlusion window
    /// plus the unoccluded one. Callers use it to bound work before it starts.
    public func passesPerExample(exampleShape: [Int]) -> Int {
        switch self {
        case .gradient, .gradCAM, .neuronGradient: return 1
        case .guidedGradCAM: return 2
        case .integratedGradients(let steps, _), .integratedGradientsGaussLegendre(let steps, _): return Swift.max(steps, 1)
        case .gradientSHAP(let samples, _, _): return Swift.max(samples, 1)
        case .layerIntegratedGradients(_, let quadrature, _): return Swift.max(quadrature.count, 1)
        case .smoothGrad(let samples, _, _, let inner), .noiseTunnel(_, let samples, _, _, let inner):
            let (product, overflow) = Swift.max(samples, 1).multipliedReportingOverflow(by: inner.passesPerExample(exampleShape: exampleShape))
            return overflow ? Int.max : product
        case .occlusion(let window, let stride, _):
            var count = 1
            for (axis, extent) in exampleShape.enumerated() where axis < window.count && axis < stride.count {
                let (product, overflow) = count.multipliedReportingOverflow(
                    by: Self.windowCount(extent: extent, window: window[axis], stride: Swift.max(stride[axis], 1)))
                if overflow { return Int.max }
                count = product
            }
            return count == Int.max ? count : count + 1
        }
    }

    /// The number of positions of a window of extent `window` slid by `stride` over `extent`
    /// elements (Captum's: `ceil((extent − window) / stride) + 1`, the last one clipped).
    static func windowCount(extent: Int, window: Int, stride: Int) -> Int {
        (Swift.max(extent - window, 0) + stride - 1) / stride + 1
    }

    /// The largest number of integrated-gradients steps or SmoothGrad samples (each is a
    /// backward pass per example; a million passes of even a small network take hours).
    public static let maximumPassCount = 100_000

    /// The largest SmoothGrad noise level: a standard deviation of 100 times the input's range
    /// already drowns the input; beyond it the noisy inputs overflow float32 inside a network.
    public static let maximumNoiseLevel: Float = 100

    /// Checks the parameters against their ranges (``maximumPassCount``, ``maximumNoiseLevel``).
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming the parameter.
    public func validate() throws(AttributionError) {
        switch self {
        case .gradient:
            break
        case .integratedGradients(let steps, _), .integratedGradientsGaussLegendre(let steps, _):
            guard steps >= 1, steps <= Self.maximumPassCount else {
                throw .invalidParameter(name: "steps", reason: "must be in 1...\(Self.maximumPassCount), got \(steps)")
            }
        case .smoothGrad(let samples, let noiseLevel, _, let inner), .noiseTunnel(_, let samples, let noiseLevel, _, let inner):
            try inner.validate()
            guard samples >= 1, samples <= Self.maximumPassCount else {
                throw .invalidParameter(name: "samples", reason: "must be in 1...\(Self.maximumPassCount), got \(samples)")
            }
            guard noiseLevel.isFinite, noiseLevel >= 0, noiseLevel <= Self.maximumNoiseLevel else {
                throw .invalidParameter(name: "noise-level", reason: "must be in [0, \(Int(Self.maximumNoiseLevel))], got \(noiseLevel)")
            }
        case .occlusion(let window, let stride, let baseline):
            guard !window.isEmpty, window.allSatisfy({ $0 >= 1 }) else {
                throw .invalidParameter(name: "window", reason: "every extent must be ≥ 1, got \(window)")
            }
            guard stride.count == window.count, stride.allSatisfy({ $0 >= 1 }) else {
                throw .invalidParameter(name: "stride", reason: "needs \(window.count) extents ≥ 1 (one per window dimension), got \(stride)")
            }
            if case .constant(let value) = baseline, !value.isFinite { throw .invalidParameter(name: "baseline", reason: "must be finite, got \(value)") }
        case .gradientSHAP(let samples, let baselines, _):
            guard samples >= 1, samples <= Self.maximumPassCount else {
                throw .invalidParameter(name: "samples", reason: "must be in 1...\(Self.maximumPassCount), got \(samples)")
            }
            guard !baselines.isEmpty else { throw .invalidParameter(name: "baseline", reason: "GradientSHAP needs at least one baseline to draw from") }
        case .gradCAM(let layer), .guidedGradCAM(let layer):
            if let layer, layer.isEmpty { throw .invalidParameter(name: "layer", reason: "must name a layer (an empty name was given)") }
        case .neuronGradient(let layer, let neuron):
            guard !layer.isEmpty else { throw .invalidParameter(name: "layer", reason: "must name a layer (an empty name was given)") }
            try neuron.validate()
        case .layerIntegratedGradients(let layer, let quadrature, _):
            if let layer, layer.isEmpty { throw .invalidParameter(name: "layer", reason: "must name a layer (an empty name was given)") }
            try quadrature.validate()
        }
    }

    public var description: String {
        switch self {
        case .gradient(let multiplier): return multiplier.description
        case .integratedGradients(let steps, let baseline): return "integrated gradients (\(steps) steps, \(baseline) baseline)"
        case .integratedGradientsGaussLegendre(let points, let baseline): return "integrated gradients (\(points)-point Gauss–Legendre, \(baseline) baseline)"
        case .smoothGrad(let samples, let noiseLevel, let seed, let inner):
            return "SmoothGrad (\(samples) samples, noise \(noiseLevel), seed \(seed)) of \(inner)"
        case .noiseTunnel(let statistic, let samples, let noiseLevel, let seed, let inner):
            return "\(statistic) (\(samples) samples, noise \(noiseLevel), seed \(seed)) of \(inner)"
        case .occlusion(let window, let stride, let baseline):
            return "occlusion (window \(window), stride \(stride), \(baseline) baseline)"
        case .gradientSHAP(let samples, let baselines, let seed):
            return "GradientSHAP (\(samples) samples from \(baselines.count) baseline\(baselines.count == 1 ? "" : "s"), seed \(seed))"
        case .gradCAM(let layer): return "Grad-CAM at \(layer ?? "the last convolutional block")"
        case .guidedGradCAM(let layer): return "× Grad-CAM at \(layer ?? "the last convolutional block")"
        case .neuronGradient(let layer, let neuron): return "gradient of \(neuron) of \(layer)"
        case .layerIntegratedGradients(let layer, let quadrature, let baseline):
            return "layer integrated gradients at \(layer ?? "the last convolutional block") (\(quadrature), \(baseline) baseline)"
        }
    }
}

/// The statistic a noise tunnel takes over the maps of its noisy samples.
public enum NoiseStatistic: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// The mean (SmoothGrad).
    case mean
    /// The mean of the squares (SmoothGrad²).
    case meanOfSquares = "smoothgrad-squared"
    /// The variance, `mean(A²) − mean(A)²` (VarGrad).
    case variance = "vargrad"

    public var description: String {
        switch self {
        case .mean: return "SmoothGrad"
        case .meanOfSquares: return "SmoothGrad²"
        case .variance: return "VarGrad"
        }
    }
}

/// Gauss–Legendre quadrature on [0, 1].
public enum GaussLegendre {
    /// The `count` nodes in (0, 1), increasing, and their weights (summing to 1), from Newton's
    /// iteration on the Legendre polynomial `P_count` in Double.
    public static func nodes(_ count: Int) -> [(node: Double, weight: Double)] {
        guard count >= 1 else { return [] }
        var result: [(node: Double, weight: Double)] = []
        for i in 1...count {
            var t = cos(Double.pi * (Double(i) - 0.25) / (Double(count) + 0.5))
            var derivative = 1.0
            for _ in 0..<100 {
                var (p0, p1) = (1.0, t)
                if count == 1 { p1 = t; p0 = 1 } else {
                    for k in 2...count {
                        let p2 = ((2 * Double(k) - 1) * t * p1 - (Double(k) - 1) * p0) / Double(k)
                        (p0, p1) = (p1, p2)
                    }
                }
                derivative = Double(count) * (t * p1 - p0) / (t * t - 1)
                let step = p1 / derivative
                t -= step
                if Swift.abs(step) < 1e-15 { break }
            }
            let weight = 2 / ((1 - t * t) * derivative * derivative)
            result.append(((t + 1) / 2, weight / 2))
        }
        return result.sorted { $0.node < $1.node }
    }
}
