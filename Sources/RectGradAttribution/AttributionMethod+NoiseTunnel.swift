import RectGradCore

/// The noise-tunnel variants of SmoothGrad over the plain gradient.
extension AttributionMethod {
    /// SmoothGrad² (Hooker et al., *A Benchmark for Interpretability Methods in Deep Neural
    /// Networks*, NeurIPS 2019): the mean of the squared gradients at `samples` noisy copies
    /// (`s = noiseLevel · (max x − min x)` per example, the same noise as ``smoothGrad(samples:noiseLevel:seed:)``).
    /// For another rule, use ``noiseTunnel(_:samples:noiseLevel:seed:)``.
    public static func smoothGradSquared(samples: Int = 50, noiseLevel: Float = 0.1, seed: UInt64 = 0) -> AttributionMethod {
        var method = AttributionMethod.saliency.noiseTunnel(.meanOfSquares, samples: samples, noiseLevel: noiseLevel, seed: seed)
        method.name = "smoothgrad-sq"
        return method
    }

    /// VarGrad (Adebayo et al., *Local Explanation Methods for Deep Neural Networks Lack
    /// Sensitivity to Parameter Values*, ICLR workshop 2018): the variance of the gradients at the
    /// noisy copies SmoothGrad draws.
    public static func varGrad(samples: Int = 50, noiseLevel: Float = 0.1, seed: UInt64 = 0) -> AttributionMethod {
        var method = AttributionMethod.saliency.noiseTunnel(.variance, samples: samples, noiseLevel: noiseLevel, seed: seed)
        method.name = "vargrad"
        return method
    }

    /// GradientSHAP (Lundberg & Lee, *A Unified Approach to Interpreting Model Predictions*, NeurIPS
    /// 2017), also called expected gradients: `samples` draws of a baseline from `baselines` and of
    /// `α ~ U(0, 1)`, averaging `(x − b) · dS/dx at b + α(x − b)`; seeded, per example.
    public static func gradientSHAP(samples: Int = 50, baselines: [Baseline] = [.zero], seed: UInt64 = 0) -> AttributionMethod {
        AttributionMethod(name: "gradient-shap", estimator: .gradientSHAP(samples: samples, baselines: baselines, seed: seed))
    }
}
