import RectGradCore
import RectGradLayers

/// The deletion, insertion and LeRF curves of one ranking, averaged over images.
///
/// - deletion = MoRF pixel flipping: the most relevant pixels are deleted first; a faithful map makes
///   the probability fall fast (low area under the curve);
/// - insertion: the most relevant pixels are inserted first into the fill; a faithful map makes the
///   probability rise fast (high area);
/// - LeRF: the least relevant pixels are deleted first; the probability should stay high (high area).
///   `LeRF − MoRF` (the area between the two pixel-flipping curves) summarises both. With the same
///   fill, deleting the `k` least relevant pixels gives the same image as inserting the `n − k` most
///   relevant ones, so the LeRF curve is the insertion curve read backwards
///   (``PerturbationCurve/readBackwards()``) and its area equals the insertion area; it is not
///   measured a second time.
public struct PerturbationSummary: Sendable, Equatable {
    /// The ranking: a method's name or `random`.
    public var ranking: String
    /// The mean deletion (MoRF) curve.
    public var deletion: PerturbationCurve
    /// The mean insertion curve.
    public var insertion: PerturbationCurve
    /// The mean LeRF deletion curve.
    public var leastRelevantFirst: PerturbationCurve
    /// The mean area under each image's deletion curve (equal to the area of the mean curve).
    public var deletionArea: Double { deletion.areaUnderCurve }
    /// The mean area under the insertion curves.
    public var insertionArea: Double { insertion.areaUnderCurve }
    /// The mean area under the LeRF curves.
    public var leastRelevantFirstArea: Double { leastRelevantFirst.areaUnderCurve }
    /// Images averaged.
    public var imageCount: Int

    /// The settings shared by every ranking.
    public struct Settings: Sendable, Hashable {
        /// Points after the start (the curve has `steps + 1`), equal shares of the pixels.
        public var steps = 50
        /// The fill; `nil` means ``PerturbationFill/defaultBlur(width:)``.
        public var fill: PerturbationFill?
        /// Rank by the channel sum of `|A|` instead of the signed channel sum.
        public var absolute = false
        /// Seeds the tie-breaking keys and the random ranking.
        public var seed: UInt64 = 0
        /// Rows per forward pass.
        public var chunkSize = 32

        /// The defaults.
        public init() {}

        /// Checks the ranges.
        /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `deletion-steps`, `blur-sigma`.
        public func validate() throws(ExperimentError) {
            guard steps >= 1 else { throw .invalidOption(name: "deletion-steps", reason: "must be at least 1, got \(steps)") }
            if case .blurred(let sigma) = fill, !(sigma.isFinite && sigma > 0) {
                throw .invalidOption(name: "blur-sigma", reason: "must be a positive number, got \(sigma)")
            }
            guard chunkSize >= 1 else { throw .invalidOption(name: "chunk-size", reason: "must be at least 1, got \(chunkSize)") }
        }
    }

    /// The mean curves of one ranking over the examples of `input` `[N, C, H, W]`.
    ///
    /// - Parameters:
    ///   - attribution: the method's attribution of the batch, `[N, K, H, W]` with any channel count
    ///     `K` (the pixels are ranked by the channel sum); `nil` ranks the pixels
    ///     in a seeded random order (every relevance equal, so the tie-breaking keys decide).
    ///   - targets: the class whose probability is followed, per example.
    /// - Throws: ``ExperimentError`` for bad settings or shapes; the network's errors.
    public static func measure(
        ranking: String, network: Network, input: Tensor, attribution: Tensor?, targets: [Int], settings: Settings
    ) throws -> PerturbationSummary {
        try settings.validate()
        guard input.rank == 4, input.shape[0] >= 1 else {
            throw ExperimentError.invalidOption(name: "input", reason: "expected a batch [N, C, H, W], got \(input.shape)")
        }
        let count = input.shape[0], plane = input.shape[2] * input.shape[3]
        guard targets.count == count else {
            throw ExperimentError.invalidOption(name: "targets", reason: "\(targets.count) targets for \(count) examples")
        }
        // Any channel count: the ranking uses the channel sum (Grad-CAM's map has one channel).
        if let attribution, attribution.rank != 4 || attribution.shape[0] != count || attribution.shape[2...] != input.shape[2...] {
            throw ExperimentError.invalidOption(name: "attribution", reason: "shape \(attribution.shape) does not fit the input's \(input.shape) (expected [\(count), C, \(input.shape[2]), \(input.shape[3])])")
        }
        let fill = settings.fill ?? PerturbationFill.defaultBlur(width: input.shape[3])
        var sums: [PerturbationKind: [Double]] = [:]
        var fractions: [Double] = []
        for example in 0..<count {
            let image = input.example(example)
            let reference = try fill.reference(for: image)
            let relevance = try attribution.map { try RelevanceOrder.relevance(of: $0.example(example), absolute: settings.absolute) }
                ?? [Float](repeating: 0, count: plane)
            let seed = settings.seed &+ UInt64(example)
            let morf = try RelevanceOrder.pixels(relevance, direction: .mostRelevantFirst, seed: seed)
            for kind in PerturbationKind.allCases {
                let curve = try PerturbationCurve.measure(
                    network: network, image: image, reference: reference, order: morf, kind: kind, target: targets[example],
                    steps: settings.steps, chunkSize: settings.chunkSize)
                sums[kind, default: [Double](repeating: 0, count: settings.steps + 1)] = zip(sums[kind] ?? [Double](repeating: 0, count: settings.steps + 1), curve.probabilities).map(+)
                fractions = curve.fractions
            }
        }
        func mean(_ values: [Double]) -> PerturbationCurve {
            PerturbationCurve(fractions: fractions, probabilities: values.map { $0 / Double(count) })
        }
        let insertion = mean(sums[.insertion] ?? [])
        return PerturbationSummary(
            ranking: ranking, deletion: mean(sums[.deletion] ?? []), insertion: insertion,
            leastRelevantFirst: insertion.readBackwards(), imageCount: count
        )
    }
}
