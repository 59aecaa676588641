import RectGradAttribution

extension EvaluationSettings {
    /// The methods `rectgrad evaluate` compares unless told otherwise: the paper's methods
    /// (saliency, gradient × input, integrated gradients, SmoothGrad, DeconvNet, guided backprop,
    /// RectGrad, RectGrad-const, RectGrad-PRR, ε-LRP, DeepLIFT), then the LRP composites
    /// (EpsilonPlus, EpsilonPlusFlat, EpsilonGammaBox, EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat),
    /// Grad-CAM and Guided Grad-CAM.
    ///
    /// Left out, and added by naming them or by `all`: occlusion (one forward pass per window
    /// position) and the sampled variants SmoothGrad², VarGrad and GradientSHAP (one pass per
    /// sample each, for every randomised network and every perturbed input).
    public static let defaultMethods: [MethodName] = [
        .saliency, .gradientTimesInput, .integratedGradients, .smoothGrad, .deconvNet, .guidedBackprop,
        .rectGrad, .rectGradConstant, .rectGradPRR, .epsilonLRP, .deepLIFT,
        .lrpEpsilonPlus, .lrpEpsilonPlusFlat, .lrpEpsilonGammaBox, .lrpEpsilonAlpha2Beta1, .lrpEpsilonAlpha2Beta1Flat,
        .gradCAM, .guidedGradCAM,
    ]
}
