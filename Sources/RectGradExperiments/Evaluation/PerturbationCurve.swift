import Foundation
import RectGradCore
import RectGradLayers

/// What replaces a deleted pixel (deletion, pixel flipping) or forms the canvas the pixels are
/// inserted into (insertion), after Petsiuk et al. (2018), *RISE*.
public enum PerturbationFill: Sendable, Hashable, CustomStringConvertible {
    /// The image blurred by a Gaussian of standard deviation `sigma` pixels (separable, truncated at
    /// `⌈3σ⌉`, borders clamped), channel by channel.
    case blurred(sigma: Double)
    /// The mean of each channel of the image itself.
    case channelMean

    /// The default blur for an image of `width` pixels: RISE's σ = 5 at 224 pixels scaled to the
    /// width, at least 1 pixel (1 at 32 × 32).
    public static func defaultBlur(width: Int) -> PerturbationFill {
        .blurred(sigma: max(1, 5 * Double(width) / 224))
    }

    public var description: String {
        switch self {
        case .blurred(let sigma): return "blurred (σ = \(String(format: "%.3g", sigma)) px)"
        case .channelMean: return "channel mean"
        }
    }

    /// The fill image of one example `[C, H, W]` (same shape).
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `fill` for σ ≤ 0 or not
    ///   finite, `image` for another rank.
    public func reference(for image: Tensor) throws(ExperimentError) -> Tensor {
        guard image.rank == 3, image.count > 0 else {
            throw .invalidOption(name: "image", reason: "expected one image [C, H, W], got \(image.shape)")
        }
        let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
        let plane = height * width
        var result = image
        switch self {
        case .channelMean:
            result.withUnsafeMutableBufferPointer { values in
                for c in 0..<channels {
                    var sum = 0.0
                    for p in 0..<plane { sum += Double(values[c * plane + p]) }
                    let mean = Float(sum / Double(plane))
                    for p in 0..<plane { values[c * plane + p] = mean }
                }
            }
        case .blurred(let sigma):
            guard sigma.isFinite, sigma > 0 else { throw .invalidOption(name: "blur-sigma", reason: "must be a positive number, got \(sigma)") }
            let radius = Int((3 * sigma).rounded(.up))
            var weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
            let total = weights.reduce(0, +)
            weights = weights.map { $0 / total }
            var scratch = [Double](repeating: 0, count: plane)
            result.withUnsafeMutableBufferPointer { values in
                for c in 0..<channels {
                    let base = c * plane
                    for y in 0..<height {                      // horizontal pass
                        for x in 0..<width {
                            var sum = 0.0
                            for (k, weight) in weights.enumerated() {
                                let xx = min(max(x + k - radius, 0), width - 1)
                                sum += weight * Double(values[base + y * width + xx])
                            }
                            scratch[y * width + x] = sum
                        }
                    }
                    for y in 0..<height {                      // vertical pass
                        for x in 0..<width {
                            var sum = 0.0
                            for (k, weight) in weights.enumerated() {
                                let yy = min(max(y + k - radius, 0), height - 1)
                                sum += weight * scratch[yy * width + x]
                            }
                            values[base + y * width + x] = Float(sum)
                        }
                    }
                }
            }
        }
        return result
    }
}

/// Deletion or insertion (Petsiuk et al., 2018).
public enum PerturbationKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Start from the image and replace its pixels, in order, by the fill.
    case deletion
    /// Start from the fill and put the image's pixels back, in order.
    case insertion

    public var description: String { rawValue }
}

/// The probability of the explained class as pixels are deleted or inserted in a given order.
public struct PerturbationCurve: Sendable, Equatable {
    /// The share of the pixels changed at each point, from 0 to 1.
    public var fractions: [Double]
    /// The softmax probability of the target class at each point.
    public var probabilities: [Double]

    /// Creates a curve.
    public init(fractions: [Double], probabilities: [Double]) {
        self.fractions = fractions
        self.probabilities = probabilities
    }

    /// The area under the curve over the fraction axis [0, 1] by the trapezoid rule.
    public var areaUnderCurve: Double {
        var area = 0.0
        for i in 1..<max(fractions.count, 1) {
            area += (fractions[i] - fractions[i - 1]) * (probabilities[i] + probabilities[i - 1]) / 2
        }
        return area
    }

    /// The curve read from the other end: fraction `f` becomes `1 − f`. Turns an insertion curve into
    /// the deletion curve of the reversed order with the same fill (the same images), exactly when
    /// the pixel counts of the steps are symmetric (no count of ``pixelCount(step:of:pixelCount:)``
    /// rounds a half).
    public func readBackwards() -> PerturbationCurve {
        PerturbationCurve(fractions: fractions.reversed().map { 1 - $0 }, probabilities: probabilities.reversed())
    }

    /// The number of pixels changed at point `step` of `steps` for an image of `pixelCount` pixels:
    /// `step · pixelCount / steps` rounded to the nearest integer, halves to even.
    public static func pixelCount(step: Int, of steps: Int, pixelCount: Int) -> Int {
        Int((Double(step) * Double(pixelCount) / Double(steps)).rounded(.toNearestOrEven))
    }

    /// The curve of one example: `steps + 1` images, the `k`-th with the first
    /// ``pixelCount(step:of:pixelCount:)`` pixels of `order` deleted (replaced, in every channel, by
    /// `reference`) or inserted (taken from `image` into `reference`), put through `network` in
    /// chunks of `chunkSize` rows.
    ///
    /// - Parameters:
    ///   - image: one example `[1, C, H, W]` or `[C, H, W]`.
    ///   - reference: the fill (``PerturbationFill/reference(for:)``), same size as the image.
    ///   - order: a permutation of the `H·W` pixels (``RelevanceOrder/pixels(_:direction:seed:)``).
    ///   - target: the class whose probability is recorded.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `steps`, `order`, `target` or
    ///   `image`; the network's errors.
    public static func measure(
        network: Network, image: Tensor, reference: Tensor, order: [Int], kind: PerturbationKind, target: Int,
        steps: Int, chunkSize: Int = 32, workers: Workers = .default
    ) throws -> PerturbationCurve {
        let shape = image.rank == 4 ? Array(image.shape.dropFirst()) : image.shape
        guard shape.count == 3, image.rank == 3 || image.shape[0] == 1 else {
            throw ExperimentError.invalidOption(name: "image", reason: "expected one image [1, C, H, W], got \(image.shape)")
        }
        guard reference.count == image.count else {
            throw ExperimentError.invalidOption(name: "fill", reason: "the fill has \(reference.count) values, the image \(image.count)")
        }
        guard steps >= 1 else { throw ExperimentError.invalidOption(name: "deletion-steps", reason: "must be at least 1, got \(steps)") }
        guard (0..<network.classCount).contains(target) else {
            throw ExperimentError.invalidOption(name: "target", reason: "class \(target) is outside 0..<\(network.classCount)")
        }
        let (channels, plane) = (shape[0], shape[1] * shape[2])
        guard order.count == plane, Set(order).count == plane, order.allSatisfy({ (0..<plane).contains($0) }) else {
            throw ExperimentError.invalidOption(name: "order", reason: "not a permutation of the \(plane) pixels")
        }
        let source = kind == .deletion ? reference.scalars : image.scalars
        var current = kind == .deletion ? image.scalars : reference.scalars
        var rows: [Float] = []
        rows.reserveCapacity((steps + 1) * current.count)
        var changed = 0
        for step in 0...steps {
            let upTo = pixelCount(step: step, of: steps, pixelCount: plane)
            while changed < upTo {
                let pixel = order[changed]
                for c in 0..<channels { current[c * plane + pixel] = source[c * plane + pixel] }
                changed += 1
            }
            rows += current
        }
        let batch = try Tensor(shape: [steps + 1] + shape, scalars: rows)
        var probabilities: [Double] = []
        var start = 0
        while start <= steps {
            let end = min(start + max(chunkSize, 1), steps + 1)
            let logits = try network.logits(for: batch.gathering(examples: Array(start..<end)), workers: workers)
            let softmax = try SoftmaxCrossEntropy.softmax(logits)
            for row in 0..<(end - start) { probabilities.append(Double(softmax[row, target])) }
            start = end
        }
        let fractions = (0...steps).map { Double(pixelCount(step: $0, of: steps, pixelCount: plane)) / Double(plane) }
        return PerturbationCurve(fractions: fractions, probabilities: probabilities)
    }
}
