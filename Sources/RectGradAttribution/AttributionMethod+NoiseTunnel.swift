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
}
