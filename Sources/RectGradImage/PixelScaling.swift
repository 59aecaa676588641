/// How 8-bit pixel values become model inputs:
/// `value = (pixel / divisor + offset − mean[c]) / standardDeviation[c]`, evaluated in `Float` in
/// exactly that order (so `pixel / 127.5 − 1` and torchvision's `ToTensor` + `Normalize` are
/// reproduced bit for bit).
///
/// `mean` and `standardDeviation` are indexed by the tensor's channel (red, green, blue).
public struct PixelScaling: Sendable, Hashable, CustomStringConvertible {
    /// The divisor applied to the raw 0…255 value.
    public let divisor: Float
    /// Added after the division.
    public let offset: Float
    /// Per-channel mean subtracted after the offset.
    public let mean: [Float]
    /// Per-channel standard deviation divided by last.
    public let standardDeviation: [Float]

    private init(divisor: Float, offset: Float, mean: [Float] = [0, 0, 0], standardDeviation: [Float] = [1, 1, 1]) {
        self.divisor = divisor
        self.offset = offset
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// `pixel / 127.5 − 1`, range [−1, 1] (the CIFAR network and EfficientNet-Lite0 of the zoo).
    public static let minusOneToOne = PixelScaling(divisor: 127.5, offset: -1)

    /// `pixel / 255`, range [0, 1].
    public static let zeroToOne = PixelScaling(divisor: 255, offset: 0)

    /// `(pixel / 255 − mean[c]) / std[c]` with ImageNet's RGB statistics
    /// mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225) (torchvision's VGG and ResNet).
    public static let imageNet = PixelScaling(
        divisor: 255, offset: 0, mean: [0.485, 0.456, 0.406], standardDeviation: [0.229, 0.224, 0.225])

    /// `(pixel / 255 − mean[c]) / standardDeviation[c]`.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` unless both arrays hold
    ///   three finite values and every standard deviation is positive.
    public static func standardized(mean: [Float], standardDeviation: [Float]) throws(ImageError) -> PixelScaling {
        guard mean.count == 3, standardDeviation.count == 3 else {
            throw ImageError(.invalidArgument(
                operation: "PixelScaling.standardized",
                reason: "need 3 means and 3 standard deviations, got \(mean.count) and \(standardDeviation.count)"))
        }
        guard mean.allSatisfy(\.isFinite), standardDeviation.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw ImageError(.invalidArgument(
                operation: "PixelScaling.standardized",
                reason: "means must be finite and standard deviations finite and positive"))
        }
        return PixelScaling(divisor: 255, offset: 0, mean: mean, standardDeviation: standardDeviation)
    }

    /// The model value of `pixel` in tensor channel `channel` (0…2).
    @inline(__always)
    public func value(of pixel: UInt8, channel: Int) -> Float {
        (Float(pixel) / divisor + offset - mean[channel]) / standardDeviation[channel]
    }

    /// The inverse of ``value(of:channel:)``, rounded to nearest and clamped to 0…255
    /// (NaN becomes 0).
    @inline(__always)
    public func pixel(from value: Float, channel: Int) -> UInt8 {
        let raw = ((value * standardDeviation[channel] + mean[channel]) - offset) * divisor
        return RGBImage.clampedByte(raw)
    }

    /// The formula with its numbers, e.g. `pixel / 127.5 − 1` or
    /// `(pixel / 255 − mean) / std, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)`.
    public var description: String {
        let plain = mean == [0, 0, 0] && standardDeviation == [1, 1, 1]
        let base = offset == 0 ? "pixel / \(Self.number(divisor))" : "pixel / \(Self.number(divisor)) \(offset < 0 ? "−" : "+") \(Self.number(abs(offset)))"
        if plain { return base }
        let m = mean.map(Self.number).joined(separator: ", "), s = standardDeviation.map(Self.number).joined(separator: ", ")
        return "(\(base) − mean) / std, mean (\(m)), std (\(s))"
    }

    private static func number(_ value: Float) -> String {
        value == value.rounded() && abs(value) < 1e6 ? String(Int(value)) : "\(value)"
    }
}
