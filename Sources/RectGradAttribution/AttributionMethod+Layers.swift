import RectGradCore

/// Methods that explain through a layer: Grad-CAM, Guided Grad-CAM and neuron gradients.
extension AttributionMethod {
    /// Grad-CAM (Selvaraju et al., *Grad-CAM: Visual Explanations from Deep Networks via
    /// Gradient-based Localization*, ICCV 2017) at `layer` (default: the network's
    /// `RectGradLayers/Network/lastConvolutionalBlock`), upsampled bilinearly to the input
    /// (align-corners false). The map is `[N, 1, H, W]`.
    public static func gradCAM(layer: String? = nil) -> AttributionMethod {
        AttributionMethod(name: "grad-cam", rules: .gradient, estimator: .gradCAM(layer: layer))
    }

    /// Guided Grad-CAM (Selvaraju et al., 2017): guided backprop times the upsampled Grad-CAM of
    /// `layer`, as Captum's `GuidedGradCam` with bilinear interpolation.
    public static func guidedGradCAM(layer: String? = nil) -> AttributionMethod {
        AttributionMethod(name: "guided-grad-cam", rules: BackwardRules(activation: GuidedBackpropRule()), estimator: .guidedGradCAM(layer: layer))
    }

    /// The input gradient of one unit or channel of `layer` (Captum's `NeuronGradient`; with
    /// `rules` such as guided backprop, Captum's `NeuronGuidedBackprop`).
    public static func neuronGradient(layer: String, neuron: NeuronSelector, rules: BackwardRules = .gradient) -> AttributionMethod {
        AttributionMethod(name: "neuron-gradient", rules: rules, estimator: .neuronGradient(layer: layer, neuron: neuron))
    }
}
