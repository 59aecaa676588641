import RectGradCore

/// The methods of the paper, and those it is compared with, by their command-line names; ``method(_:)`` makes the method.
public enum MethodName: String, Sendable, CaseIterable, CustomStringConvertible {
    /// ``AttributionMethod/saliency``.
    case saliency
    /// ``AttributionMethod/gradientTimesInput``.
    case gradientTimesInput = "gradient-x-input"
    /// ``AttributionMethod/integratedGradients(steps:baseline:)``.
    case integratedGradients = "integrated-gradients"
    /// ``AttributionMethod/smoothGrad(samples:noiseLevel:seed:)``.
    case smoothGrad = "smoothgrad"
    /// ``AttributionMethod/deconvNet``.
    case deconvNet = "deconvnet"
    /// ``AttributionMethod/guidedBackprop``.
    case guidedBackprop = "guided-backprop"
    /// ``AttributionMethod/rectGrad(percentile:importance:interpolation:masksConvolutionBorder:)``.
    case rectGrad = "rectgrad"
    /// ``AttributionMethod/rectGradConstant(tau:importance:masksConvolutionBorder:)``.
    case rectGradConstant = "rectgrad-const"
    /// ``AttributionMethod/rectGradPRR(percentile:importance:interpolation:masksConvolutionBorder:)``.
    case rectGradPRR = "rectgrad-prr"
    /// ``AttributionMethod/epsilonLRP(epsilon:)``.
    case epsilonLRP = "epsilon-lrp"
    /// ``AttributionMethod/deepLIFT(baseline:)``.
    case deepLIFT = "deeplift"
    /// ``AttributionMethod/occlusion(window:stride:baseline:)``.
    case occlusion
    /// ``AttributionMethod/gradCAM(layer:)``.
    case gradCAM = "grad-cam"
    /// ``AttributionMethod/guidedGradCAM(layer:)``.
    case guidedGradCAM = "guided-grad-cam"
    /// ``AttributionMethod/smoothGradSquared(samples:noiseLevel:seed:)``.
    case smoothGradSquared = "smoothgrad-sq"
    /// ``AttributionMethod/varGrad(samples:noiseLevel:seed:)``.
    case varGrad = "vargrad"
    /// LRP, zennit's EpsilonPlus: z⁺ at convolutions, ε at dense layers (``RectGradCore/LinearLayerRules/epsilonPlus(epsilon:stabilizer:)``).
    case lrpEpsilonPlus = "lrp-epsilon-plus"
    /// LRP EpsilonPlusFlat: EpsilonPlus with the flat rule at the first layer.
    case lrpEpsilonPlusFlat = "lrp-epsilon-plus-flat"
    /// LRP EpsilonGammaBox: γ = 0.25 at convolutions, ε at dense layers, z^B at the first convolution.
    case lrpEpsilonGammaBox = "lrp-epsilon-gamma-box"
    /// LRP EpsilonAlpha2Beta1: α = 2, β = 1 at convolutions, ε at dense layers.
    case lrpEpsilonAlpha2Beta1 = "lrp-epsilon-alpha2-beta1"
    /// LRP EpsilonAlpha2Beta1Flat: EpsilonAlpha2Beta1 with the flat rule at the first layer.
    case lrpEpsilonAlpha2Beta1Flat = "lrp-epsilon-alpha2-beta1-flat"
    /// ``AttributionMethod/gradientSHAP(samples:baselines:seed:)`` with the baseline parameter.
    case gradientSHAP = "gradient-shap"
    /// ``AttributionMethod/layerIntegratedGradients(layer:quadrature:baseline:)`` at the layer parameter.
    case layerIntegratedGradients = "layer-integrated-gradients"

    /// Parses a name. - Throws: ``AttributionError/invalidParameter(name:reason:)`` for `method`,
    /// listing the valid names.
    public init(parsing text: String) throws(AttributionError) {
        guard let name = MethodName(rawValue: text.lowercased()) else {
            throw .invalidParameter(name: "method", reason: "unknown method '\(text)'\(Spelling.didYouMean(text, in: MethodName.allCases.map(\.rawValue))); valid methods: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")) (or 'all')")
        }
        self = name
    }

    /// The method with `parameters` (each parameter is used by the methods it applies to): the
    /// one table from names to methods.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming a rule parameter
    ///   (`percentile`, `tau`, `epsilon`) outside its range.
    public func method(_ parameters: MethodParameters = MethodParameters()) throws(AttributionError) -> AttributionMethod {
        let method: AttributionMethod
        switch self {
        case .saliency: method = .saliency
        case .gradientTimesInput: method = .gradientTimesInput
        case .integratedGradients:
            switch parameters.integration {
            case .riemann: method = .integratedGradients(steps: parameters.steps, baseline: parameters.baseline)
            case .gaussLegendre:
                method = AttributionMethod(name: "integrated-gradients", estimator: .integratedGradientsGaussLegendre(points: parameters.steps, baseline: parameters.baseline))
            }
        case .smoothGrad: method = .smoothGrad(samples: parameters.samples, noiseLevel: parameters.noiseLevel, seed: parameters.seed)
        case .deconvNet: method = .deconvNet
        case .guidedBackprop: method = .guidedBackprop
        case .rectGrad:
            method = try .rectGrad(percentile: parameters.percentile, importance: parameters.importance, interpolation: parameters.interpolation)
        case .rectGradConstant: method = try .rectGradConstant(tau: parameters.tau, importance: parameters.importance)
        case .rectGradPRR:
            method = try .rectGradPRR(percentile: parameters.percentile, importance: parameters.importance, interpolation: parameters.interpolation)
        case .epsilonLRP: method = try .epsilonLRP(epsilon: parameters.epsilon)
        case .deepLIFT: method = .deepLIFT(baseline: parameters.baseline)
        case .occlusion: return .occlusion(window: parameters.window, stride: parameters.stride, baseline: parameters.baseline)
        case .gradCAM: method = .gradCAM(layer: parameters.layer)
        case .guidedGradCAM: method = .guidedGradCAM(layer: parameters.layer)
        case .smoothGradSquared: method = .smoothGradSquared(samples: parameters.samples, noiseLevel: parameters.noiseLevel, seed: parameters.seed)
        case .varGrad: method = .varGrad(samples: parameters.samples, noiseLevel: parameters.noiseLevel, seed: parameters.seed)
        case .lrpEpsilonPlus, .lrpEpsilonPlusFlat, .lrpEpsilonGammaBox, .lrpEpsilonAlpha2Beta1, .lrpEpsilonAlpha2Beta1Flat:
            method = try AttributionMethod.composite(self, epsilon: parameters.lrpEpsilon, bounds: parameters.inputBounds)
        case .gradientSHAP: method = .gradientSHAP(samples: parameters.samples, baselines: [parameters.baseline], seed: parameters.seed)
        case .layerIntegratedGradients:
            method = .layerIntegratedGradients(layer: parameters.layer, quadrature: parameters.integration.quadrature(parameters.steps), baseline: parameters.baseline)
        }
        guard let border = parameters.masksConvolutionBorder else { return method }
        return method.maskingConvolutionBorder(border)
    }

    public var description: String { rawValue }
}

/// Every parameter of the spec with its default, for building methods by name.
public struct MethodParameters: Sendable {
    /// RectGrad's percentile q (default 98).
    public var percentile: Double = 98
    /// RectGrad-const's threshold τ (default 0).
    public var tau: Float = 0
    /// RectGrad's importance score (default signed).
    public var importance: ImportanceScore = .signed
    /// How RectGrad reads the percentile (default: the published float32 nearest rule).
    public var interpolation: PercentileInterpolation = .nearestFloat32
    /// The padding rule; `nil` means the method's default (on for the RectGrad family, off otherwise).
    public var masksConvolutionBorder: Bool?
    /// Integrated gradients' step count m (default 50), also layer integrated gradients'.
    public var steps = 50
    /// How (layer) integrated gradients approximate the path integral with `steps` points
    /// (default: the right Riemann sum of the spec).
    public var integration: IntegrationRule = .riemann
    /// SmoothGrad's sample count n (default 50).
    public var samples = 50
    /// SmoothGrad's noise level (default 0.1 of the input's range).
    public var noiseLevel: Float = 0.1
    /// SmoothGrad's seed (default 0).
    public var seed: UInt64 = 0
    /// ε-LRP's ε (default 1e-4).
    public var epsilon: Float = 1e-4
    /// The baseline of (layer) integrated gradients, DeepLIFT, GradientSHAP and occlusion (what an
    /// occluded window becomes; default zero).
    public var baseline: Baseline = .zero
    /// Occlusion's `[C, H, W]` window (default one element).
    public var window: [Int] = [1, 1, 1]
    /// Occlusion's stride (default `nil`: 1 in every dimension).
    public var stride: [Int]?
    /// The layer of the layer methods (Grad-CAM, Guided Grad-CAM, layer integrated gradients); `nil` (the default): the
    /// network's last convolutional block.
    public var layer: String?
    /// The ε of the dense layers in the LRP composites (default 1e-6, zennit's).
    public var lrpEpsilon: Float = 1e-6
    /// The input range of the z^B rule of `lrp-epsilon-gamma-box` (scalars, one per channel or one
    /// example); `nil` (the default): each example's per-channel minimum and maximum.
    public var inputBounds: (low: Tensor, high: Tensor)?

    /// The defaults of the spec.
    public init() {}
}

extension AttributionMethod {
    /// The method of the paper called `name` (e.g. `rectgrad`, any case) with `parameters`.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `method` for an unknown
    ///   name (listing the valid ones), or the rule parameter that is out of range.
    public init(named name: String, parameters: MethodParameters = MethodParameters()) throws(AttributionError) {
        self = try MethodName(parsing: name).method(parameters)
    }
}

/// How integrated gradients approximate the path integral, by name (the command line's `--integration`).
public enum IntegrationRule: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The right Riemann sum (the spec's default).
    case riemann
    /// Gauss–Legendre quadrature.
    case gaussLegendre = "gauss-legendre"

    /// The quadrature with `count` points.
    public func quadrature(_ count: Int) -> PathQuadrature {
        switch self {
        case .riemann: return .riemannRight(steps: count)
        case .gaussLegendre: return .gaussLegendre(points: count)
        }
    }

    public var description: String { rawValue }
}
