import RectGradCore

/// An attribution method: a backward rule set × an estimator.
///
/// The methods of the paper are static members with the spec's defaults; the combinators
/// ``smoothed(samples:noiseLevel:seed:)`` and ``integrated(steps:baseline:)`` put SmoothGrad or
/// integrated gradients over any rule set, e.g. SmoothGrad of RectGrad:
///
/// ```swift
/// let method = AttributionMethod.rectGrad(percentile: 95).smoothed(samples: 20)
/// let result = try network.attribute(images, method: method)
/// ```
///
/// Parameters are checked when the method runs (``validate()``), with errors naming the parameter.
public struct AttributionMethod: Sendable, CustomStringConvertible {
    /// A short name for display and file names (e.g. `rectgrad`).
    public var name: String
    /// How activations, padded convolutions and max-pools propagate the gradient.
    public var rules: AttributionRules
    /// How gradients become an attribution.
    public var estimator: Estimator

    /// Creates a method from a rule set and an estimator.
    public init(name: String, rules: AttributionRules = .gradient, estimator: Estimator) {
        self.name = name
        self.rules = rules
        self.estimator = estimator
    }

    /// Checks every parameter of the rules and the estimator.
    /// - Throws: ``AttributionError`` naming the invalid parameter or combination.
    public func validate() throws(AttributionError) {
        try rules.validate()
        try estimator.validate()
        if !estimator.usesGradients {
            guard rules.references.isEmpty, case .gradient = rules.activation, rules.overrides.isEmpty else {
                throw .unsupportedCombination("occlusion runs no backward pass, so it takes no backward rule (got \(rules))")
            }
        }
    }

    public var description: String { "\(name): \(rules) → \(estimator)" }

    // MARK: Combinators

    /// SmoothGrad of this method: the mean of the method's attribution at `samples` noisy copies of
    /// the input (`s = noiseLevel · (max x − min x)` per example).
    public func smoothed(samples: Int = 50, noiseLevel: Float = 0.1, seed: UInt64 = 0) -> AttributionMethod {
        AttributionMethod(
            name: "smoothgrad-\(name)", rules: rules,
            estimator: .smoothGrad(samples: samples, noiseLevel: noiseLevel, seed: seed, of: estimator)
        )
    }

    /// Integrated gradients with this method's backward rules.
    public func integrated(steps: Int = 50, baseline: Baseline = .zero) -> AttributionMethod {
        AttributionMethod(name: "integrated-\(name)", rules: rules, estimator: .integratedGradients(steps: steps, baseline: baseline))
    }

    /// A copy with the RectGrad padding rule switched on or off.
    public func maskingConvolutionBorder(_ enabled: Bool) -> AttributionMethod {
        var copy = self
        copy.rules.masksConvolutionBorder = enabled
        return copy
    }

    // MARK: The methods of the paper

    /// Saliency: the plain, signed gradient `dS/dx` (Simonyan et al., 2014).
    public static var saliency: AttributionMethod {
        AttributionMethod(name: "saliency", estimator: .gradient(.none))
    }

    /// Gradient × input: `x · dS/dx` (Shrikumar et al., 2016).
    public static var gradientTimesInput: AttributionMethod {
        AttributionMethod(name: "gradient-x-input", estimator: .gradient(.input))
    }

    /// Integrated gradients of the plain gradient (right Riemann sum, `m` steps).
    public static func integratedGradients(steps: Int = 50, baseline: Baseline = .zero) -> AttributionMethod {
        AttributionMethod(name: "integrated-gradients", estimator: .integratedGradients(steps: steps, baseline: baseline))
    }

    /// SmoothGrad of the plain gradient.
    public static func smoothGrad(samples: Int = 50, noiseLevel: Float = 0.1, seed: UInt64 = 0) -> AttributionMethod {
        AttributionMethod(name: "smoothgrad", estimator: .smoothGrad(samples: samples, noiseLevel: noiseLevel, seed: seed, of: .gradient(.none)))
    }

    /// DeconvNet: `dS/dx` with the deconvnet rule.
    public static var deconvNet: AttributionMethod {
        AttributionMethod(name: "deconvnet", rules: AttributionRules(activation: .deconvNet), estimator: .gradient(.none))
    }

    /// Guided backpropagation: `dS/dx` with the guided rule.
    public static var guidedBackprop: AttributionMethod {
        AttributionMethod(name: "guided-backprop", rules: AttributionRules(activation: .guidedBackprop), estimator: .gradient(.none))
    }

    /// RectGrad: `x · dS/dx` with the rectgrad(q) rule and, by default, the padding rule.
    /// `importance: .absolute` gives the absolute-importance variant.
    public static func rectGrad(
        percentile: Double = 98, importance: ImportanceScore = .signed,
        interpolation: PercentileInterpolation = .nearestFloat32, masksConvolutionBorder: Bool = true
    ) -> AttributionMethod {
        AttributionMethod(
            name: "rectgrad",
            rules: AttributionRules(activation: .rectGrad(percentile: percentile, importance: importance, interpolation: interpolation), masksConvolutionBorder: masksConvolutionBorder),
            estimator: .gradient(.input)
        )
    }

    /// RectGrad with a constant threshold τ (default 0) and, by default, the padding rule.
    public static func rectGradConstant(tau: Float = 0, importance: ImportanceScore = .signed, masksConvolutionBorder: Bool = true) -> AttributionMethod {
        AttributionMethod(
            name: "rectgrad-const",
            rules: AttributionRules(activation: .rectGradConstant(tau: tau, importance: importance), masksConvolutionBorder: masksConvolutionBorder),
            estimator: .gradient(.input)
        )
    }

    /// RectGrad with the proportional redistribution rule at max-pools.
    public static func rectGradPRR(
        percentile: Double = 98, importance: ImportanceScore = .signed,
        interpolation: PercentileInterpolation = .nearestFloat32, masksConvolutionBorder: Bool = true
    ) -> AttributionMethod {
        AttributionMethod(
            name: "rectgrad-prr",
            rules: AttributionRules(
                activation: .rectGrad(percentile: percentile, importance: importance, interpolation: interpolation),
                masksConvolutionBorder: masksConvolutionBorder, maxPool: .proportional
            ),
            estimator: .gradient(.input)
        )
    }

    /// ε-LRP: `x · dS/dx` with the epsilon rule.
    public static func epsilonLRP(epsilon: Float = 1e-4) -> AttributionMethod {
        AttributionMethod(name: "epsilon-lrp", rules: AttributionRules(activation: .epsilonLRP(epsilon: epsilon)), estimator: .gradient(.input))
    }

    /// DeepLIFT (rescale): `(x − b) · dS/dx` with the DeepLIFT rule against a forward pass of `b`.
    public static func deepLIFT(baseline: Baseline = .zero) -> AttributionMethod {
        AttributionMethod(
            name: "deeplift",
            rules: AttributionRules(activation: .deepLIFTRescale(reference: baseline)),
            estimator: .gradient(.differenceFromBaseline(baseline))
        )
    }

    /// Occlusion with a `[C, H, W]` window (default one element) slid by `stride` (default 1).
    public static func occlusion(window: [Int] = [1, 1, 1], stride: [Int]? = nil, value: Float = 0) -> AttributionMethod {
        AttributionMethod(name: "occlusion", estimator: .occlusion(window: window, stride: stride ?? Array(repeating: 1, count: window.count), value: value))
    }
}
