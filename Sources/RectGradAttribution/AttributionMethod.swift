import RectGradCore

/// An attribution method: a `RectGradCore/BackwardRules` value × an ``Estimator``, plus what
/// display and evaluation need to know about it.
///
/// The methods of the paper are static members with the spec's defaults; their rule parameters
/// are checked when the method is made, with errors naming the parameter. The combinators
/// ``smoothed(samples:noiseLevel:seed:)`` and ``integrated(steps:baseline:)`` put SmoothGrad or
/// integrated gradients over any rule set, e.g. SmoothGrad of RectGrad:
///
/// ```swift
/// let method = try AttributionMethod.rectGrad(percentile: 95).smoothed(samples: 20)
/// let result = try network.attribute(images, method: method)
/// ```
///
/// Any `RectGradCore/ActivationRule` of your own is a method as it stands:
///
/// ```swift
/// let mine = AttributionMethod(name: "active-above", rule: ActiveAboveRule(level: 0.5), estimator: .gradient(.input))
/// ```
public struct AttributionMethod: Sendable, CustomStringConvertible {
    /// A short name for display and file names (e.g. `rectgrad`).
    public var name: String
    /// How activations, padded convolutions and max-pools propagate the gradient.
    public var rules: BackwardRules
    /// How gradients become an attribution.
    public var estimator: Estimator
    /// Whether the method belongs to the RectGrad family. The paper treats its maps apart: they are
    /// rectified (`max(A, 0)`) before evaluation and pixel ranking, and keep the figure's final
    /// threshold where the baselines get the baseline final threshold. Kept by the combinators, so
    /// `.rectGrad().smoothed()` is in the family.
    public var isRectGradFamily: Bool

    /// Creates a method from a rule set and an estimator.
    public init(name: String, rules: BackwardRules = .gradient, estimator: Estimator, isRectGradFamily: Bool = false) {
        self.name = name
        self.rules = rules
        self.estimator = estimator
        self.isRectGradFamily = isRectGradFamily
    }

    /// Creates a method that runs `rule` at every activation.
    public init(name: String, rule: any ActivationRule, estimator: Estimator = .gradient(.none)) {
        self.init(name: name, rules: BackwardRules(activation: rule), estimator: estimator)
    }

    /// Whether the attribution is a gradient multiplied by the input (or by its difference from a
    /// baseline), like Captum's `multiplies_by_inputs`: gradient × input, integrated gradients,
    /// DeepLIFT, ε-LRP and the RectGrad family.
    public var multipliesByInput: Bool { estimator.multipliesByInput }

    /// The final threshold `(q1, q2)` the paper displays this method with when it compares methods:
    /// `(0.5, 99.5)` for the RectGrad family, the baseline final threshold `(95, 99.5)` for the others.
    public var defaultFinalThreshold: (lower: Double, upper: Double) {
        isRectGradFamily ? Self.paperFinalThreshold : Self.baselineFinalThreshold
    }

    /// `(0.5, 99.5)`: the paper's final threshold for RectGrad and for its baselines "without final threshold".
    public static let paperFinalThreshold = (lower: 0.5, upper: 99.5)
    /// `(95, 99.5)`: the paper's "baseline final threshold".
    public static let baselineFinalThreshold = (lower: 95.0, upper: 99.5)

    /// Checks the estimator's parameters and that it fits the rules (rule parameters were checked
    /// when the rules were made).
    /// - Throws: ``AttributionError`` naming the invalid parameter or combination.
    public func validate() throws(AttributionError) {
        try estimator.validate()
        if !estimator.usesGradients {
            guard rules.activation is GradientRule, rules.overrides.isEmpty else {
                throw .unsupportedCombination("occlusion runs no backward pass, so it takes no backward rule (got \(rules))")
            }
        }
    }

    public var description: String { "\(name): \(rules) → \(estimator)" }

    // MARK: Combinators

    /// SmoothGrad of this method: the mean of the method's attribution at `samples` noisy copies of
    /// the input (`s = noiseLevel · (max x − min x)` per example).
    public func smoothed(samples: Int = 50, noiseLevel: Float = 0.1, seed: UInt64 = 0) -> AttributionMethod {
        var copy = self
        copy.name = "smoothgrad-\(name)"
        copy.estimator = .smoothGrad(samples: samples, noiseLevel: noiseLevel, seed: seed, of: estimator)
        return copy
    }

    /// A noise tunnel of this method with `statistic` (``NoiseStatistic/meanOfSquares``: SmoothGrad²,
    /// ``NoiseStatistic/variance``: VarGrad) over the same noisy samples ``smoothed(samples:noiseLevel:seed:)`` draws.
    public func noiseTunnel(_ statistic: NoiseStatistic, samples: Int = 50, noiseLevel: Float = 0.1, seed: UInt64 = 0) -> AttributionMethod {
        if statistic == .mean { return smoothed(samples: samples, noiseLevel: noiseLevel, seed: seed) }
        var copy = self
        copy.name = "\(statistic.rawValue)-\(name)"
        copy.estimator = .noiseTunnel(statistic, samples: samples, noiseLevel: noiseLevel, seed: seed, of: estimator)
        return copy
    }

    /// Integrated gradients with this method's backward rules and `points`-point Gauss–Legendre quadrature.
    public func integratedGaussLegendre(points: Int = 50, baseline: Baseline = .zero) -> AttributionMethod {
        var copy = self
        copy.name = "integrated-gl-\(name)"
        copy.estimator = .integratedGradientsGaussLegendre(points: points, baseline: baseline)
        return copy
    }

    /// Integrated gradients with this method's backward rules.
    public func integrated(steps: Int = 50, baseline: Baseline = .zero) -> AttributionMethod {
        var copy = self
        copy.name = "integrated-\(name)"
        copy.estimator = .integratedGradients(steps: steps, baseline: baseline)
        return copy
    }

    /// A copy with the RectGrad padding rule switched on or off.
    public func maskingConvolutionBorder(_ enabled: Bool) -> AttributionMethod {
        var copy = self
        copy.rules.masksConvolutionBorder = enabled
        return copy
    }
}
