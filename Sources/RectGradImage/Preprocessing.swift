import RectGradCore

/// How a photograph becomes a network input: a geometry step that brings it to the input size,
/// then a per-channel ``PixelScaling``, in NCHW layout.
///
/// This is the one place where the package turns pixels into tensors for a model. The zoo gives
/// every model its preprocessing (``ResizePolicy/centerCrop(shorterSide:)`` with the ImageNet
/// statistics for the ImageNet models, as torchvision's evaluation transform does; a plain resize
/// for the 32×32 `cifar-cnn`).
///
/// ```swift
/// let photo = try ImageDecoding.decode(contentsOf: url)
/// let input = try model.preprocessing.input(from: photo)        // [1, 3, 224, 224]
/// ```
public struct Preprocessing: Sendable, Hashable, CustomStringConvertible {
    /// How an image of any size is brought to ``inputSize``.
    public enum ResizePolicy: Sendable, Hashable, CustomStringConvertible {
        /// Resize straight to the input size; the aspect ratio is not kept.
        case stretch
        /// torchvision's evaluation transform: resize so that the shorter side has `shorterSide`
        /// pixels (the longer side `⌊shorterSide · long / short⌋`, antialiased bilinear as
        /// Pillow's), then crop the centred input-size rectangle (`CenterCrop`, halves rounded to even).
        case centerCrop(shorterSide: Int)

        public var description: String {
            switch self {
            case .stretch: return "resized to the input size (aspect ratio not kept)"
            case .centerCrop(let side): return "shorter side resized to \(side) (antialiased bilinear), centre crop"
            }
        }
    }

    /// The height and width of the network input.
    public var inputSize: Size2D
    /// How images reach ``inputSize``.
    public var resize: ResizePolicy
    /// How 8-bit values become input values.
    public var scaling: PixelScaling

    /// Creates a preprocessing description.
    public init(inputSize: Size2D, resize: ResizePolicy, scaling: PixelScaling) {
        self.inputSize = inputSize
        self.resize = resize
        self.scaling = scaling
    }

    /// `pixel / 127.5 − 1` after a plain resize to `inputSize`.
    public static func symmetric(inputSize: Size2D) -> Preprocessing {
        Preprocessing(inputSize: inputSize, resize: .stretch, scaling: .minusOneToOne)
    }

    /// torchvision's ImageNet evaluation transform: `Resize(256)`, `CenterCrop(224)`, `ToTensor`,
    /// `Normalize` with the ImageNet statistics. For other input sizes the shorter side is
    /// `⌊size / 0.875⌋` (timm's default crop fraction; 256 for 224, 341 for 299).
    public static func imageNetEvaluation(inputSize: Size2D, scaling: PixelScaling = .imageNet) -> Preprocessing {
        let side = max(inputSize.height, inputSize.width) * 256 / 224
        return Preprocessing(inputSize: inputSize, resize: .centerCrop(shorterSide: side), scaling: scaling)
    }

    /// A copy with another resize policy.
    public func resizing(_ policy: ResizePolicy) -> Preprocessing {
        var copy = self
        copy.resize = policy
        return copy
    }

    /// The image at the input size, as the network sees it (before scaling).
    /// - Throws: ``ImageError`` when the input size or the policy's side is not positive.
    public func prepared(_ image: RGBImage) throws(ImageError) -> RGBImage {
        let (height, width) = (inputSize.height, inputSize.width)
        switch resize {
        case .stretch:
            return try image.resized(width: width, height: height)
        case .centerCrop(let side):
            guard side >= max(height, width) else {
                throw ImageError(.invalidArgument(
                    operation: "Preprocessing", reason: "shorter side \(side) is smaller than the \(width)×\(height) crop"))
            }
            let scaled = try image.resized(shorterSide: side)
            return try scaled.centerCropped(width: width, height: height)
        }
    }

    /// The model input `[1, 3, H, W]` for one image.
    /// - Throws: ``ImageError`` as ``prepared(_:)``.
    public func input(from image: RGBImage) throws(ImageError) -> Tensor {
        try prepared(image).tensor(scaling: scaling)
    }

    /// The model input `[N, 3, H, W]` for several images (each prepared as ``prepared(_:)``).
    /// - Throws: ``ImageError`` for an empty list, or as ``prepared(_:)``.
    public func input(from images: [RGBImage]) throws(ImageError) -> Tensor {
        guard !images.isEmpty else {
            throw ImageError(.invalidArgument(operation: "Preprocessing", reason: "no images"))
        }
        let plane = 3 * inputSize.height * inputSize.width
        var batch = Tensor.zeros([images.count, 3, inputSize.height, inputSize.width])
        for (index, image) in images.enumerated() {
            let single = try input(from: image)
            batch.withUnsafeMutableBufferPointer { target in
                single.withUnsafeBufferPointer { source in
                    for i in 0..<plane { target[index * plane + i] = source[i] }
                }
            }
        }
        return batch
    }

    /// A one-line summary, e.g. `224×224 RGB; shorter side resized to 256 …; (pixel / 255 − mean) / std, …`.
    public var description: String {
        "\(inputSize.height)×\(inputSize.width) RGB; \(resize); \(scaling)"
    }
}
