import RectGradImage
import RectGradZoo

extension Preprocessing {
    /// The image module's pixel scaling for this preprocessing (exactly `pixel / 127.5 − 1` for the
    /// symmetric case, `(pixel / 255 − mean) / std` otherwise).
    public func pixelScaling() throws -> PixelScaling {
        isSymmetric ? .minusOneToOne : try .standardized(mean: mean, standardDeviation: standardDeviation)
    }

    /// Resizes `image` to the input size (antialiased when shrinking) and converts it to `[1, 3, H, W]`.
    public func networkInput(from image: RGBImage) throws -> (resized: RGBImage, tensor: RectGradCore.Tensor) {
        let resized = (image.width == inputSize.width && image.height == inputSize.height)
            ? image : try image.resized(width: inputSize.width, height: inputSize.height)
        return (resized, resized.tensor(scaling: try pixelScaling()))
    }
}

import RectGradCore
