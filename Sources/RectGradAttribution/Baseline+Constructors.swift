import Foundation
import RectGradCore

/// Baselines built from the input or drawn at random, for integrated gradients, DeepLIFT,
/// GradientSHAP and occlusion (as `.tensor` values; a black image in pixel space, preprocessed,
/// is RectGradZoo's `Model.blackImage()`, a user's file is `.tensor` of the file's array).
extension Baseline {
    /// The input blurred channel by channel with a Gaussian of standard deviation `sigma` pixels
    /// (kernel radius ⌈3σ⌉, normalised; edges replicate the border pixel), one baseline per example.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `sigma` unless it is
    ///   finite and in (0, 1000], ``AttributionError/inputShapeMismatch(_:)`` unless `input` is `[N, C, H, W]`.
    public static func blurred(_ input: Tensor, sigma: Double) throws(AttributionError) -> Baseline {
        guard sigma.isFinite, sigma > 0, sigma <= 1000 else { throw .invalidParameter(name: "sigma", reason: "must be in (0, 1000], got \(sigma)") }
        guard input.rank == 4 else { throw .inputShapeMismatch("a blurred baseline needs an [N, C, H, W] input, got \(input.shape)") }
        let radius = Int((3 * sigma).rounded(.up))
        var kernel = (-radius...radius).map { Foundation.exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        let (planes, h, w) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
        var horizontal = [Double](repeating: 0, count: input.count)
        var result = [Float](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { x in
            for plane in 0..<planes {
                let base = plane * h * w
                for y in 0..<h {
                    for column in 0..<w {
                        var sum = 0.0
                        for (k, weight) in kernel.enumerated() {
                            let source = min(max(column + k - radius, 0), w - 1)
                            sum += weight * Double(x[base + y * w + source])
                        }
                        horizontal[base + y * w + column] = sum
                    }
                }
                for y in 0..<h {
                    for column in 0..<w {
                        var sum = 0.0
                        for (k, weight) in kernel.enumerated() {
                            let source = min(max(y + k - radius, 0), h - 1)
                            sum += weight * horizontal[base + source * w + column]
                        }
                        result[base + y * w + column] = Float(sum)
                    }
                }
            }
        }
        do { return .tensor(try Tensor(shape: input.shape, scalars: result)) } catch { throw .inputShapeMismatch(error.description) }
    }

    /// Uniform noise in `[low, high)` of shape `shape` (one example `[C, H, W]` or a batch), seeded.
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` naming `low` for bounds that are
    ///   not finite or not increasing.
    public static func uniformNoise(shape: [Int], low: Float, high: Float, seed: UInt64) throws(AttributionError) -> Baseline {
        guard low.isFinite, high.isFinite, low < high else { throw .invalidParameter(name: "low", reason: "needs finite low < high, got \(low), \(high)") }
        guard !shape.isEmpty, shape.allSatisfy({ $0 >= 1 }) else { throw .invalidParameter(name: "shape", reason: "needs positive extents, got \(shape)") }
        return .tensor(Tensor.randomUniform(shape, low: low, high: high, seed: seed))
    }
}
