import RectGradAttribution
import RectGradCore
import RectGradImage
import RectGradLayers

/// How attribution maps change under an adversarial attack — the paper's adversarial experiment
/// with the measures of how much a map changes.
///
/// For every image (values in [0, 1], `[N, 3, H, W]`) the experiment
/// 1. predicts its class (the *old* class),
/// 2. attacks it with ``attack`` (untargeted: away from the prediction; targeted: towards a class),
/// 3. leaves the image out when the attack did not change the decision (counted, as the paper does),
/// 4. and otherwise computes, for every method, three maps:
///    - **O**: the original image, explaining the old class;
///    - **A**: the adversarial image, explaining its new predicted class;
///    - **A′**: the adversarial image, explaining the old class.
///
/// Scores, per method and image (``AdversarialMapScores``), on the *magnitude map*
/// `|Σ_c map_c|` (``magnitude(of:)``, `[H, W]`):
/// - **change**: Spearman rank correlation and SSIM of O and A (``MapSimilarity``): 1 = the
///   perturbation, invisible to a person, left the map as it was;
/// - **class dependence**: Spearman and SSIM of A and A′. The adversarial map *follows the new
///   class* to the degree that it differs from the map of the same image explained for the old
///   class: a score of 1 means the map is the same whichever class is explained, so it cannot show
///   why the decision changed; lower scores mean the map depends on the explained class.
///
/// As a control, the experiment also explains the original image under *random* sign noise of the
/// same size (every pixel moved by ±ε with a seeded random sign, clipped to [0, 1]) for the old
/// class (map N) and scores O against N: how much of the change of O → A any perturbation of
/// that size causes, rather than the adversarial direction (``includesNoiseControl``).
///
/// A score is `nil` when it is undefined: a constant magnitude map (for example an all-zero map)
/// has no ranks to correlate, and maps smaller than 11 × 11 have no SSIM.
///
/// The model input is the [0, 1] image under the network's ``PixelScaling`` (the affine map of
/// ``AdversarialAttack/affine(of:)``), for the attack and for the maps alike.
public struct AdversarialExperiment: Sendable {
    /// The attack (default ``AdversarialAttack/default``: untargeted PGD, ε = 4/255, step ε/4, 10 steps).
    public var attack: AdversarialAttack
    /// The compared methods, in display order; their names must differ.
    public var methods: [AttributionMethod]
    /// Images attacked and explained at once (bounds the memory).
    public var batchSize: Int
    /// The threads of the passes (they change the speed, not the results).
    public var workers: Workers
    /// Whether to explain the original image under random ±ε sign noise too (the control N).
    public var includesNoiseControl: Bool
    /// Seeds the control's noise.
    public var noiseSeed: UInt64

    /// Creates an experiment.
    public init(
        attack: AdversarialAttack = .default, methods: [AttributionMethod], batchSize: Int = 8, workers: Workers = .default,
        includesNoiseControl: Bool = true, noiseSeed: UInt64 = 0
    ) {
        self.attack = attack
        self.methods = methods
        self.batchSize = batchSize
        self.workers = workers
        self.includesNoiseControl = includesNoiseControl
        self.noiseSeed = noiseSeed
    }

    /// Checks the settings against a network with `classCount` classes.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `epsilon` (outside [0, 1]),
    ///   `step-size`, `steps`, `target-class`, `methods` (none, repeated names, or an invalid method)
    ///   or `batch-size`.
    public func validate(classCount: Int) throws(ExperimentError) {
        try attack.validate(classCount: classCount)
        guard attack.epsilon <= 1 else {
            throw .invalidOption(name: "epsilon", reason: "must be at most 1 (the pixel range is [0, 1]), got \(attack.epsilon)")
        }
        guard !methods.isEmpty else { throw .invalidOption(name: "methods", reason: "give at least one method") }
        var seen = Set<String>()
        for method in methods {
            guard seen.insert(method.name).inserted else {
                throw .invalidOption(name: "methods", reason: "'\(method.name)' is named twice")
            }
            do { try method.validate() } catch { throw .invalidOption(name: "methods", reason: "\(method.name): \(error)") }
        }
        guard batchSize >= 1 else { throw .invalidOption(name: "batch-size", reason: "must be at least 1, got \(batchSize)") }
    }

    /// Runs the experiment on `images` (`[N, 3, H, W]`, values in [0, 1]) with `network`, whose
    /// inputs are the images under `scaling`.
    ///
    /// - Parameters:
    ///   - onImage: called once per image, in order, with its outcome and (for images whose decision
    ///     changed) the maps; the maps are not kept in the result.
    ///   - progress: called with a short status before each batch.
    /// - Returns: every image's outcome and scores, without maps.
    /// - Throws: ``ExperimentError`` for invalid settings or images; the attack's and the attribution's errors.
    public func run(
        images: Tensor, network: Network, scaling: PixelScaling,
        onImage: ((AdversarialImageOutcome, [AdversarialMaps]) throws -> Void)? = nil,
        progress: ((String) -> Void)? = nil
    ) throws -> AdversarialResult {
        try validate(classCount: network.classCount)
        try AdversarialAttack.validate(images: images, network: network)
        let affine = try AdversarialAttack.affine(of: scaling)
        let clock = ContinuousClock()
        let start = clock.now
        let count = images.shape[0]
        var outcomes: [AdversarialImageOutcome] = []
        var batchStart = 0
        while batchStart < count {
            let indices = Array(batchStart..<min(batchStart + batchSize, count))
            progress?("images \(batchStart + 1)–\(indices.last.map { $0 + 1 } ?? batchStart)/\(count): attack")
            let batch = try images.gathering(examples: indices)
            let attacked = try attack.run(on: batch, network: network, scaling: scaling, workers: workers)
            let cleanInput = try Self.modelInput(batch, affine: affine)
            let adversarialInput = try Self.modelInput(attacked.adversarialImages, affine: affine)
            let changed = indices.indices.filter { attacked.adversarialPredictions[$0] != attacked.originalPredictions[$0] }
            let noisy = includesNoiseControl ? try Self.signNoise(batch, epsilon: attack.epsilon, seed: noiseSeed, firstIndex: batchStart) : nil
            let noisyPredictions = try noisy.map { AdversarialAttack.argmax(try AdversarialAttack.logits($0, network: network, affine: affine, workers: workers)) }

            var mapsOfChanged: [[AdversarialMaps]] = Array(repeating: [], count: indices.count)
            if !changed.isEmpty {
                progress?("images \(batchStart + 1)–\(indices.last.map { $0 + 1 } ?? batchStart)/\(count): \(changed.count) changed decisions, maps")
                let oldClasses = changed.map { attacked.originalPredictions[$0] }
                let newClasses = changed.map { attacked.adversarialPredictions[$0] }
                let cleanChanged = try cleanInput.gathering(examples: changed)
                let adversarialChanged = try adversarialInput.gathering(examples: changed)
                let original = try AttributionSession(network: network, input: cleanChanged, targets: .perExample(oldClasses), workers: workers)
                let adversarial = try AttributionSession(network: network, input: adversarialChanged, targets: .perExample(newClasses), workers: workers)
                let adversarialOld = try AttributionSession(network: network, input: adversarialChanged, targets: .perExample(oldClasses), workers: workers)
                let noisySession = try noisy.map { noisy in
                    try AttributionSession(
                        network: network, input: try Self.modelInput(noisy.gathering(examples: changed), affine: affine),
                        targets: .perExample(oldClasses), workers: workers)
                }
                for method in methods {
                    let o = try original.attribute(method).map
                    let a = try adversarial.attribute(method).map
                    let aOld = try adversarialOld.attribute(method).map
                    let n = try noisySession?.attribute(method).map
                    let exampleShape = [1] + Array(o.shape.dropFirst())
                    for (row, position) in changed.enumerated() {
                        mapsOfChanged[position].append(AdversarialMaps(
                            method: method.name,
                            original: try o.example(row).reshaped(exampleShape),
                            adversarial: try a.example(row).reshaped(exampleShape),
                            adversarialForOldClass: try aOld.example(row).reshaped(exampleShape),
                            noisyOriginal: try n.map { try $0.example(row).reshaped(exampleShape) }))
                    }
                }
            }
            let cleanLogits = try AdversarialAttack.logits(batch, network: network, affine: affine, workers: workers)
            let adversarialLogits = try AdversarialAttack.logits(attacked.adversarialImages, network: network, affine: affine, workers: workers)
            let cleanProbabilities = try SoftmaxCrossEntropy.softmax(cleanLogits)
            let adversarialProbabilities = try SoftmaxCrossEntropy.softmax(adversarialLogits)
            let classes = network.classCount
            for (position, index) in indices.enumerated() {
                let old = attacked.originalPredictions[position], new = attacked.adversarialPredictions[position]
                let perturbation = zip(batch.example(position).scalars, attacked.adversarialImages.example(position).scalars)
                    .reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
                let maps = mapsOfChanged[position]
                let outcome = AdversarialImageOutcome(
                    index: index, originalClass: old, adversarialClass: new,
                    originalConfidence: cleanProbabilities[flat: position * classes + old],
                    adversarialConfidence: adversarialProbabilities[flat: position * classes + new],
                    oldClassConfidenceAfterAttack: adversarialProbabilities[flat: position * classes + old],
                    attackSucceeded: attacked.succeeded[position],
                    noiseChangedDecision: noisyPredictions.map { $0[position] != old },
                    largestPerturbation: perturbation,
                    adversarialImage: attacked.adversarialImages.example(position),
                    scores: try maps.map { try Self.scores($0) })
                try onImage?(outcome, maps)
                var kept = outcome
                kept.adversarialImage = Tensor.zeros([0])
                outcomes.append(kept)
            }
            batchStart += indices.count
        }
        return AdversarialResult(
            attack: attack, methodNames: methods.map(\.name), outcomes: outcomes,
            seconds: (clock.now - start).seconds)
    }

    // MARK: Scores

    /// The magnitude map `|Σ_c A_c|` (`[H, W]`) of one example's attribution `[1, C, H, W]` or
    /// `[C, H, W]`: the channel sum the paper displays, without its sign.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for another shape.
    public static func magnitude(of map: Tensor) throws(ExperimentError) -> Tensor {
        let summed = try PixelRanking.scores(of: map, positivePartOnly: false)
        let shape = map.shape
        do {
            return try Tensor(shape: [shape[shape.count - 2], shape[shape.count - 1]], scalars: summed.map { abs($0) })
        } catch {
            throw .invalidOption(name: "attribution", reason: "\(error)")
        }
    }

    /// The scores of one method's maps of one image.
    public static func scores(_ maps: AdversarialMaps) throws(ExperimentError) -> AdversarialMapScores {
        let original = try magnitude(of: maps.original)
        let adversarial = try magnitude(of: maps.adversarial)
        let adversarialOld = try magnitude(of: maps.adversarialForOldClass)
        let noisy = try maps.noisyOriginal.map { map throws(ExperimentError) in try magnitude(of: map) }
        return AdversarialMapScores(
            method: maps.method,
            changeSpearman: try spearman(original, adversarial),
            changeSSIM: try ssim(original, adversarial),
            classSpearman: try spearman(adversarial, adversarialOld),
            classSSIM: try ssim(adversarial, adversarialOld),
            noiseSpearman: try noisy.flatMap { noisy throws(ExperimentError) in try spearman(original, noisy) },
            noiseSSIM: try noisy.flatMap { noisy throws(ExperimentError) in try ssim(original, noisy) })
    }

    /// `images` with every pixel moved by `+ε` or `−ε` (a fair coin per pixel) and clipped to
    /// [0, 1]; the coins of image `firstIndex + n` come from a generator seeded by `seed` and that
    /// index, so a batch size does not change them.
    static func signNoise(_ images: Tensor, epsilon: Float, seed: UInt64, firstIndex: Int) throws -> Tensor {
        let perImage = images.count / max(images.shape[0], 1)
        var scalars = images.scalars
        for n in 0..<images.shape[0] {
            var generator = SeededGenerator(seed: seed &+ UInt64(firstIndex + n) &* 0x9E37_79B9_7F4A_7C15)
            for i in (n * perImage)..<((n + 1) * perImage) {
                let sign: Float = generator.next() >> 63 == 0 ? -1 : 1
                scalars[i] = min(max(scalars[i] + sign * epsilon, 0), 1)
            }
        }
        return try Tensor(shape: images.shape, scalars: scalars)
    }

    /// Spearman's ρ of two magnitude maps; `nil` when either is constant (no ranks to correlate).
    static func spearman(_ a: Tensor, _ b: Tensor) throws(ExperimentError) -> Double? {
        guard !isConstant(a), !isConstant(b) else { return nil }
        return try MapSimilarity.spearman(a.scalars, b.scalars)
    }

    /// SSIM of two magnitude maps; `nil` for maps smaller than SSIM's 11 × 11 window.
    static func ssim(_ a: Tensor, _ b: Tensor) throws(ExperimentError) -> Double? {
        guard a.shape.allSatisfy({ $0 >= ssimWindow }) else { return nil }
        return try MapSimilarity.ssim(a, b)
    }

    /// The side of ``MapSimilarity/ssim(_:_:)``'s window: smaller maps have no SSIM.
    static let ssimWindow = 11

    static func isConstant(_ map: Tensor) -> Bool {
        guard let first = map.scalars.first else { return true }
        return map.scalars.allSatisfy { $0 == first }
    }

    /// The model input of [0, 1] images under the affine map `value = pixel · scale[c] + shift[c]`.
    static func modelInput(_ images: Tensor, affine: (scale: Tensor, shift: Tensor)) throws -> Tensor {
        let shape = images.shape
        let plane = shape[2] * shape[3]
        var scalars = images.scalars
        for n in 0..<shape[0] {
            for c in 0..<3 {
                let base = (n * 3 + c) * plane
                let scale = affine.scale[c], shift = affine.shift[c]
                for i in base..<(base + plane) { scalars[i] = scalars[i] * scale + shift }
            }
        }
        return try Tensor(shape: shape, scalars: scalars)
    }
}
