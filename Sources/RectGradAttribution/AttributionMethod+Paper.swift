import RectGradCore

/// The methods of the paper, with the spec's defaults.
extension AttributionMethod {
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
        AttributionMethod(name: "deconvnet", rule: DeconvNetRule())
    }

    /// Guided backpropagation: `dS/dx` with the guided rule.
    public static var guidedBackprop: AttributionMethod {
        AttributionMethod(name: "guided-backprop", rule: GuidedBackpropRule())
    }

    /// RectGrad: `x · dS/dx` with `RectGradCore/RectGradRule` and, by default, the padding rule.
    /// `importance: .absolute` gives the absolute-importance variant.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `percentile`.
    public static func rectGrad(
        percentile: Double = 98, importance: ImportanceScore = .signed,
        interpolation: PercentileInterpolation = .nearestFloat32, masksConvolutionBorder: Bool = true
    ) throws(AttributionError) -> AttributionMethod {
        let rule = try AttributionError.naming("percentile") { () throws(RuleError) in
            try RectGradRule(percentile: percentile, importance: importance, interpolation: interpolation)
        }
        return rectGradFamily("rectgrad", rule, masksConvolutionBorder: masksConvolutionBorder)
    }

    /// RectGrad with a constant threshold τ (default 0) and, by default, the padding rule.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `tau`.
    public static func rectGradConstant(tau: Float = 0, importance: ImportanceScore = .signed, masksConvolutionBorder: Bool = true) throws(AttributionError) -> AttributionMethod {
        let rule = try AttributionError.naming("tau") { () throws(RuleError) in try RectGradConstantRule(tau: tau, importance: importance) }
        return rectGradFamily("rectgrad-const", rule, masksConvolutionBorder: masksConvolutionBorder)
    }

    /// RectGrad with the proportional redistribution rule at max-pools.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `percentile`.
    public static func rectGradPRR(
        percentile: Double = 98, importance: ImportanceScore = .signed,
        interpolation: PercentileInterpolation = .nearestFloat32, masksConvolutionBorder: Bool = true
    ) throws(AttributionError) -> AttributionMethod {
        var method = try rectGrad(percentile: percentile, importance: importance, interpolation: interpolation, masksConvolutionBorder: masksConvolutionBorder)
        method.name = "rectgrad-prr"
        method.rules.maxPool = .proportional
        return method
    }

    /// A RectGrad-family method: `x · dS/dx` with `rule`.
    private static func rectGradFamily(_ name: String, _ rule: any ActivationRule, masksConvolutionBorder: Bool) -> AttributionMethod {
        AttributionMethod(
            name: name, rules: BackwardRules(activation: rule, masksConvolutionBorder: masksConvolutionBorder),
            estimator: .gradient(.input), isRectGradFamily: true
        )
    }

    /// ε-LRP: `x · dS/dx` with the epsilon rule.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `epsilon`.
    public static func epsilonLRP(epsilon: Float = 1e-4) throws(AttributionError) -> AttributionMethod {
        let rule = try AttributionError.naming("epsilon") { () throws(RuleError) in try EpsilonLRPRule(epsilon: epsilon) }
        return AttributionMethod(name: "epsilon-lrp", rule: rule, estimator: .gradient(.input))
    }

    /// DeepLIFT (rescale): `(x − b) · dS/dx` with the DeepLIFT rule against a forward pass of `b`.
    public static func deepLIFT(baseline: Baseline = .zero) -> AttributionMethod {
        AttributionMethod(name: "deeplift", rule: DeepLIFTRescaleRule(reference: baseline), estimator: .gradient(.differenceFromBaseline(baseline)))
    }

    /// Occlusion with a `[C, H, W]` window (default one element) slid by `stride` (default 1),
    /// the window replaced by `value`.
    public static func occlusion(window: [Int] = [1, 1, 1], stride: [Int]? = nil, value: Float = 0) -> AttributionMethod {
        occlusion(window: window, stride: stride, baseline: value == 0 ? .zero : .constant(value))
    }

    /// Occlusion with the window replaced by the baseline's values there (e.g. a blurred input).
    public static func occlusion(window: [Int] = [1, 1, 1], stride: [Int]? = nil, baseline: Baseline) -> AttributionMethod {
        AttributionMethod(name: "occlusion", estimator: .occlusion(window: window, stride: stride ?? Array(repeating: 1, count: window.count), baseline: baseline))
    }
}
