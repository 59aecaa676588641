import RectGradAttribution
import RectGradCore
import RectGradLayers

/// Max-sensitivity and average-sensitivity of an explanation (Yeh et al., 2019, *On the
/// (In)fidelity and Sensitivity of Explanations*): how far the attribution moves when the input
/// moves by a small perturbation `δ` with `‖δ‖∞ ≤ r`, the explained class held fixed.
///
/// For perturbations `δ_1 … δ_N`, with `Φ` the attribution `[C, H, W]` and `‖·‖` the L2 norm over
/// all its values:
/// - max-sensitivity `= max_i ‖Φ(x + δ_i) − Φ(x)‖`, average-sensitivity `= mean_i ‖Φ(x + δ_i) − Φ(x)‖`;
/// - the relative versions divide by `‖Φ(x)‖`, so methods of different scale can be compared
///   (NaN when `Φ(x)` is all zero).
///
/// RectGrad's percentile threshold is a step function of the input: a unit whose importance crosses
/// the threshold switches its whole contribution on or off, so RectGrad can be sensitive where the
/// plain gradient is smooth. The noise is drawn in the network's input space (after preprocessing).
public enum Sensitivity {
    /// The four figures of one example (or their means over examples).
    public struct Figures: Sendable, Equatable {
        /// `max_i ‖Φ(x + δ_i) − Φ(x)‖`.
        public var maximum: Double
        /// `mean_i ‖Φ(x + δ_i) − Φ(x)‖`.
        public var average: Double
        /// `maximum / ‖Φ(x)‖`.
        public var relativeMaximum: Double
        /// `average / ‖Φ(x)‖`.
        public var relativeAverage: Double

        /// Creates the figures.
        public init(maximum: Double, average: Double, relativeMaximum: Double, relativeAverage: Double) {
            self.maximum = maximum
            self.average = average
            self.relativeMaximum = relativeMaximum
            self.relativeAverage = relativeAverage
        }
    }

    /// `count` perturbations of `shape`, each value uniform in `[−radius, radius)`, from a generator
    /// seeded by `seed`.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `radius` (negative or not
    ///   finite) or `sensitivity-samples` (below 1).
    public static func uniformPerturbations(shape: [Int], radius: Float, count: Int, seed: UInt64) throws(ExperimentError) -> [Tensor] {
        guard radius.isFinite, radius >= 0 else { throw .invalidOption(name: "radius", reason: "must be ≥ 0 and finite, got \(radius)") }
        guard count >= 1 else { throw .invalidOption(name: "sensitivity-samples", reason: "must be at least 1, got \(count)") }
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Tensor.randomUniform(shape, low: -radius, high: radius, generator: &random) }
    }

    /// The sensitivity of `method` at every example of `input` `[N, C, H, W]`, each perturbed by every
    /// one of `perturbations` (`[C, H, W]` each), explaining `targets[n]` at the example and at all
    /// its perturbed copies. The perturbed copies of an example run as one batch and draw the
    /// example's own noise (``RectGradAttribution/AttributionSession/useNoiseStreams(_:)``), so a
    /// noise-averaging method (SmoothGrad and its variants) sees the same noise at `x` and at every
    /// `x + δ`.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `perturbations` or `targets`
    ///   when they do not fit; attribution errors as they occur.
    public static func measure(
        network: Network, method: AttributionMethod, input: Tensor, targets: [Int], perturbations: [Tensor], chunkSize: Int? = nil, workers: Workers = .default
    ) throws -> [Figures] {
        guard input.rank == 4 else { throw ExperimentError.invalidOption(name: "input", reason: "expected [N, C, H, W], got \(input.shape)") }
        let exampleShape = Array(input.shape.dropFirst())
        guard !perturbations.isEmpty, perturbations.allSatisfy({ $0.shape == exampleShape }) else {
            throw ExperimentError.invalidOption(name: "perturbations", reason: "expected at least one perturbation of shape \(exampleShape)")
        }
        guard targets.count == input.shape[0] else {
            throw ExperimentError.invalidOption(name: "targets", reason: "\(targets.count) targets for \(input.shape[0]) examples")
        }
        let original = try AttributionSession(network: network, input: input, targets: .perExample(targets), chunkSize: chunkSize, workers: workers).attribute(method).map
        var figures: [Figures] = []
        for example in 0..<input.shape[0] {
            let x = input.example(example)
            let copies = try perturbations.map { try x.adding($0, workers: workers) }
            let batch = try Tensor.stack(copies)
            let session = try AttributionSession(network: network, input: batch, targets: .all(targets[example]), chunkSize: chunkSize, workers: workers)
            // Every perturbed copy draws the example's own SmoothGrad noise (its stream in the
            // unperturbed batch), so the distance measures the input's perturbation, not a new
            // noise draw.
            try session.useNoiseStreams(Array(repeating: example, count: perturbations.count))
            let maps = try session.attribute(method).map
            let reference = original.example(example)
            let norm = reference.l2Norm()
            var distances: [Double] = []
            for i in 0..<perturbations.count {
                distances.append(try maps.example(i).subtracting(reference, workers: workers).l2Norm())
            }
            let maximum = distances.max() ?? 0
            let average = distances.reduce(0, +) / Double(distances.count)
            figures.append(Figures(
                maximum: maximum, average: average,
                relativeMaximum: norm > 0 ? maximum / norm : .nan, relativeAverage: norm > 0 ? average / norm : .nan
            ))
        }
        return figures
    }
}
