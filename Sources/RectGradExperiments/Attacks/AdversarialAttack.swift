import RectGradCore
import RectGradImage
import RectGradLayers
import RectGradZoo

/// An L∞ adversarial attack in a model's pixel space: FGSM or projected gradient descent (PGD).
///
/// The attack perturbs an image batch `[N, 3, H, W]` with values in [0, 1]. The model's
/// ``PixelScaling`` is recorded on the tape as a per-channel affine map, so the gradient reaches the
/// [0, 1] image. Each step moves every pixel by `stepSize · sign(g)`, where `g` is the gradient of the
/// softmax cross-entropy of the attacked class (untargeted: ascend the loss of the true or predicted
/// class; targeted: descend the loss of the target class). After each step the image is projected
/// onto the L∞ ball of radius ``epsilon`` around the original and clipped to [0, 1].
public struct AdversarialAttack: Sendable, Hashable, CustomStringConvertible {
    /// How the perturbation is found.
    public enum Method: Sendable, Hashable {
        /// One signed-gradient step of size ε (fast gradient sign method).
        case fgsm
        /// `steps` signed-gradient steps of `stepSize` (ε/4 when `nil`), each followed by the
        /// projection; with `randomStart`, the start is drawn uniformly from the ε-ball (seeded by `seed`).
        case pgd(stepSize: Float?, steps: Int, randomStart: Bool, seed: UInt64)
    }

    /// Which class the attack aims at.
    public enum Goal: Sendable, Hashable {
        /// Any class but the true one (the label, or the clean prediction without labels).
        case untargeted
        /// The class `index`.
        case targeted(class: Int)
    }

    /// The L∞ radius in [0, 1] pixel units.
    public var epsilon: Float
    /// FGSM or PGD.
    public var method: Method
    /// Untargeted or targeted.
    public var goal: Goal

    /// Creates an attack; see ``fgsm(epsilon:goal:)`` and ``pgd(epsilon:stepSize:steps:randomStart:seed:goal:)``.
    public init(epsilon: Float, method: Method, goal: Goal = .untargeted) {
        self.epsilon = epsilon
        self.method = method
        self.goal = goal
    }

    /// The default attack: untargeted PGD with ε = 4/255, step ε/4, 10 steps, no random start.
    public static let `default` = pgd()

    /// One signed-gradient step of size `epsilon`.
    public static func fgsm(epsilon: Float = 4 / 255, goal: Goal = .untargeted) -> AdversarialAttack {
        AdversarialAttack(epsilon: epsilon, method: .fgsm, goal: goal)
    }

    /// Projected gradient descent; `stepSize` defaults to `epsilon / 4`.
    public static func pgd(
        epsilon: Float = 4 / 255, stepSize: Float? = nil, steps: Int = 10, randomStart: Bool = false, seed: UInt64 = 0,
        goal: Goal = .untargeted
    ) -> AdversarialAttack {
        AdversarialAttack(epsilon: epsilon, method: .pgd(stepSize: stepSize, steps: steps, randomStart: randomStart, seed: seed), goal: goal)
    }

    /// The size of each step: ε for FGSM, the PGD step size (default ε/4).
    public var resolvedStepSize: Float {
        switch method {
        case .fgsm: return epsilon
        case .pgd(let stepSize, _, _, _): return stepSize ?? epsilon / 4
        }
    }

    /// The number of steps: 1 for FGSM.
    public var stepCount: Int {
        switch method {
        case .fgsm: return 1
        case .pgd(_, let steps, _, _): return steps
        }
    }

    public var description: String {
        let goalText: String
        switch goal {
        case .untargeted: goalText = "untargeted"
        case .targeted(let index): goalText = "targeted at class \(index)"
        }
        switch method {
        case .fgsm: return "FGSM, ε = \(epsilon), \(goalText)"
        case .pgd(_, let steps, let randomStart, let seed):
            return "PGD, ε = \(epsilon), step \(resolvedStepSize), \(steps) steps\(randomStart ? ", random start (seed \(seed))" : ""), \(goalText)"
        }
    }

    /// Checks the settings against a model with `classCount` classes.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `epsilon`, `step-size`,
    ///   `steps` or `target-class`.
    public func validate(classCount: Int) throws(ExperimentError) {
        guard epsilon.isFinite, epsilon >= 0 else {
            throw .invalidOption(name: "epsilon", reason: "must be finite and at least 0, got \(epsilon)")
        }
        if case .pgd(let stepSize, let steps, _, _) = method {
            guard steps >= 1 else { throw .invalidOption(name: "steps", reason: "must be at least 1, got \(steps)") }
            if let stepSize, !(stepSize.isFinite && stepSize > 0) {
                throw .invalidOption(name: "step-size", reason: "must be finite and greater than 0, got \(stepSize)")
            }
        }
        if case .targeted(let index) = goal, !(0..<classCount).contains(index) {
            throw .invalidOption(name: "target-class", reason: "\(index) is outside 0..<\(classCount)")
        }
    }

    /// Attacks `images` on a zoo model, using its network and pixel scaling.
    /// See ``run(on:network:scaling:labels:workers:)``.
    public func run(on images: Tensor, model: Model, labels: [Int]? = nil, workers: Workers = .default) throws -> AttackResult {
        try run(on: images, network: model.network, scaling: model.preprocessing.scaling, labels: labels, workers: workers)
    }

    /// Attacks `images` (`[N, 3, H, W]`, values in [0, 1]) on `network`, whose inputs are the images
    /// under `scaling`.
    ///
    /// - Parameter labels: the true classes for an untargeted attack (one per image); without them
    ///   the clean predictions are attacked. Ignored by a targeted attack.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for a bad setting (see
    ///   ``validate(classCount:)``), for `images` of the wrong shape or outside [0, 1], and for
    ///   `labels` of the wrong count or out of range; the tape's errors from the forward and backward passes.
    public func run(on images: Tensor, network: Network, scaling: PixelScaling, labels: [Int]? = nil, workers: Workers = .default) throws -> AttackResult {
        try validate(classCount: network.classCount)
        try Self.validate(images: images, network: network)
        let affine = try Self.affine(of: scaling)
        let batch = images.shape[0]
        let clean = try Self.logits(images, network: network, affine: affine, workers: workers)
        let cleanPredictions = Self.argmax(clean)
        if let labels {
            guard labels.count == batch else {
                throw ExperimentError.invalidOption(name: "labels", reason: "\(labels.count) labels for \(batch) images")
            }
            if let bad = labels.first(where: { !(0..<network.classCount).contains($0) }) {
                throw ExperimentError.invalidOption(name: "labels", reason: "label \(bad) is outside 0..<\(network.classCount)")
            }
        }
        let attacked: [Int]
        let ascend: Bool
        switch goal {
        case .untargeted: attacked = labels ?? cleanPredictions; ascend = true
        case .targeted(let index): attacked = [Int](repeating: index, count: batch); ascend = false
        }

        let original = images.scalars
        let lower = original.map { max($0 - epsilon, 0) }
        let upper = original.map { min($0 + epsilon, 1) }
        var current = original
        if case .pgd(_, _, true, let seed) = method {
            var generator = SeededGenerator(seed: seed)
            for i in current.indices {
                let offset = (generator.nextUnitFloat() * 2 - 1) * epsilon
                current[i] = min(max(current[i] + offset, lower[i]), upper[i])
            }
        }
        let step = resolvedStepSize
        for _ in 0..<stepCount {
            let gradient = try Self.lossGradient(
                try Tensor(shape: images.shape, scalars: current), network: network, affine: affine, classes: attacked, workers: workers)
            for i in current.indices {
                let g = gradient[i]
                let direction: Float = g > 0 ? 1 : (g < 0 ? -1 : 0)
                current[i] = min(max(current[i] + (ascend ? step : -step) * direction, lower[i]), upper[i])
            }
        }
        let adversarial = try Tensor(shape: images.shape, scalars: current)
        let adversarialPredictions = Self.argmax(try Self.logits(adversarial, network: network, affine: affine, workers: workers))
        let succeeded: [Bool] = (0..<batch).map { n in
            switch goal {
            case .untargeted: return adversarialPredictions[n] != attacked[n]
            case .targeted(let index): return adversarialPredictions[n] == index
            }
        }
        return AttackResult(
            adversarialImages: adversarial, attackedClasses: attacked, originalPredictions: cleanPredictions,
            adversarialPredictions: adversarialPredictions, succeeded: succeeded)
    }

    // MARK: Helpers

    static func validate(images: Tensor, network: Network) throws(ExperimentError) {
        guard images.rank == 4, images.shape[1] == 3, network.inputChannels == 3 else {
            throw .invalidOption(name: "images", reason: "expected [N, 3, H, W] for a 3-channel network, got \(images.shape)")
        }
        do { try network.validateInputShape(images.shape) } catch {
            throw .invalidOption(name: "images", reason: "\(error)")
        }
        if let bad = images.scalars.first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw .invalidOption(name: "images", reason: "values must lie in [0, 1], found \(bad)")
        }
    }

    /// The per-channel affine map from a [0, 1] pixel `p` to the model value
    /// `p · scale[c] + shift[c]`, equal to `scaling.value(of: p · 255, channel: c)`:
    /// `scale[c] = 255 / divisor / std[c]`, `shift[c] = (offset − mean[c]) / std[c]`.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `scaling` when it does not
    ///   hold three means and three standard deviations.
    public static func affine(of scaling: PixelScaling) throws(ExperimentError) -> (scale: Tensor, shift: Tensor) {
        guard scaling.mean.count == 3, scaling.standardDeviation.count == 3 else {
            throw .invalidOption(name: "scaling", reason: "needs three means and three standard deviations")
        }
        let scale = (0..<3).map { c in 255 / scaling.divisor / scaling.standardDeviation[c] }
        let shift = (0..<3).map { c in (scaling.offset - scaling.mean[c]) / scaling.standardDeviation[c] }
        var scaleTensor = Tensor(repeating: 0, shape: [3]), shiftTensor = Tensor(repeating: 0, shape: [3])
        for c in 0..<3 { scaleTensor[c] = scale[c]; shiftTensor[c] = shift[c] }
        return (scaleTensor, shiftTensor)
    }

    static func logits(_ images: Tensor, network: Network, affine: (scale: Tensor, shift: Tensor), workers: Workers) throws -> Tensor {
        let tape = Tape(workers: workers)
        let input = try tape.channelAffine(tape.input(images), scale: affine.scale, shift: affine.shift, name: "preprocessing")
        return try tape.value(network.logits(input, on: tape))
    }

    /// The gradient of each image's (unaveraged) cross-entropy of `classes[n]` with respect to the
    /// [0, 1] image, seeded with `softmax − onehot` at the logits.
    static func lossGradient(_ images: Tensor, network: Network, affine: (scale: Tensor, shift: Tensor), classes: [Int], workers: Workers) throws -> [Float] {
        let tape = Tape(workers: workers)
        let pixels = tape.input(images)
        let input = try tape.channelAffine(pixels, scale: affine.scale, shift: affine.shift, name: "preprocessing")
        let logits = try network.logits(input, on: tape)
        var seed = try SoftmaxCrossEntropy.softmax(tape.value(logits))
        let k = seed.shape[1]
        seed.withUnsafeMutableBufferPointer { p in
            for (row, index) in classes.enumerated() { p[row * k + index] -= 1 }
        }
        let result = try tape.backward(from: logits, seed: seed, withRespectTo: [pixels], rules: .gradient)
        guard let gradient = result[pixels] else {
            throw ExperimentError.invalidOption(name: "images", reason: "the network's logits do not depend on the input")
        }
        return gradient.scalars
    }

    static func argmax(_ logits: Tensor) -> [Int] {
        let k = logits.shape.count == 2 ? logits.shape[1] : 1
        return (0..<(logits.shape.first ?? 0)).map { row in
            var best = 0
            for j in 1..<max(k, 1) where logits.scalars[row * k + j] > logits.scalars[row * k + best] { best = j }
            return best
        }
    }
}

/// The outcome of an ``AdversarialAttack``.
public struct AttackResult: Sendable {
    /// The perturbed images `[N, 3, H, W]`, in [0, 1] and within ε of the originals.
    public var adversarialImages: Tensor
    /// The class whose loss was ascended (untargeted) or descended (targeted), per image.
    public var attackedClasses: [Int]
    /// The predictions on the clean images.
    public var originalPredictions: [Int]
    /// The predictions on the adversarial images.
    public var adversarialPredictions: [Int]
    /// Per image: the prediction left the attacked class (untargeted) or reached the target (targeted).
    public var succeeded: [Bool]

    /// The fraction of images on which the attack succeeded (0 for an empty batch).
    public var successRate: Double {
        succeeded.isEmpty ? 0 : Double(succeeded.filter { $0 }.count) / Double(succeeded.count)
    }
}
