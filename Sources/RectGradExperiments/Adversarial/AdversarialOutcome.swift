import RectGradCore

/// One method's three maps of one image whose decision the attack changed (each `[1, C, H, W]`).
public struct AdversarialMaps: Sendable {
    /// The method's name.
    public var method: String
    /// O: the original image, explaining the original predicted (old) class.
    public var original: Tensor
    /// A: the adversarial image, explaining its new predicted class.
    public var adversarial: Tensor
    /// A′: the adversarial image, explaining the old class.
    public var adversarialForOldClass: Tensor
    /// N: the original image under random ±ε sign noise, explaining the old class (the control;
    /// `nil` without it).
    public var noisyOriginal: Tensor?

    /// Creates the maps of one method.
    public init(method: String, original: Tensor, adversarial: Tensor, adversarialForOldClass: Tensor, noisyOriginal: Tensor? = nil) {
        self.method = method
        self.original = original
        self.adversarial = adversarial
        self.adversarialForOldClass = adversarialForOldClass
        self.noisyOriginal = noisyOriginal
    }
}

/// The scores of one method on one image, computed on magnitude maps `|Σ_c A_c|`
/// (see ``AdversarialExperiment``); `nil` where undefined (Spearman of a constant map, SSIM of a
/// map smaller than 11 × 11).
public struct AdversarialMapScores: Sendable, Hashable {
    /// The method's name.
    public var method: String
    /// Spearman's ρ of O and A: how much of the map's ranking survives the attack.
    public var changeSpearman: Double?
    /// SSIM of O and A.
    public var changeSSIM: Double?
    /// Spearman's ρ of A and A′ (same adversarial image, new vs old class): 1 = the map ignores
    /// the explained class and so cannot follow the new decision.
    public var classSpearman: Double?
    /// SSIM of A and A′.
    public var classSSIM: Double?
    /// Spearman's ρ of O and N (random sign noise of the same size): the control for ``changeSpearman``.
    public var noiseSpearman: Double?
    /// SSIM of O and N.
    public var noiseSSIM: Double?

    /// Creates scores.
    public init(
        method: String, changeSpearman: Double?, changeSSIM: Double?, classSpearman: Double?, classSSIM: Double?,
        noiseSpearman: Double? = nil, noiseSSIM: Double? = nil
    ) {
        self.method = method
        self.changeSpearman = changeSpearman
        self.changeSSIM = changeSSIM
        self.classSpearman = classSpearman
        self.classSSIM = classSSIM
        self.noiseSpearman = noiseSpearman
        self.noiseSSIM = noiseSSIM
    }
}

/// What the attack did to one image, and the scores of its maps.
public struct AdversarialImageOutcome: Sendable {
    /// The image's position in the input batch (from 0).
    public var index: Int
    /// The prediction on the original image (the old class).
    public var originalClass: Int
    /// The prediction on the adversarial image.
    public var adversarialClass: Int
    /// The softmax probability of the old class on the original image.
    public var originalConfidence: Float
    /// The softmax probability of the new class on the adversarial image.
    public var adversarialConfidence: Float
    /// The softmax probability of the old class on the adversarial image.
    public var oldClassConfidenceAfterAttack: Float
    /// Whether the attack reached its goal (untargeted: left the old class; targeted: reached the target).
    public var attackSucceeded: Bool
    /// Whether random ±ε sign noise (the control) changed the decision too (`nil` without the control).
    public var noiseChangedDecision: Bool?
    /// max |adversarial − original| over the image's pixels (at most ε).
    public var largestPerturbation: Float
    /// The adversarial image `[3, H, W]` in [0, 1] (empty in ``AdversarialResult/outcomes``).
    public var adversarialImage: Tensor
    /// One entry per method, in the experiment's order; empty when the decision did not change.
    public var scores: [AdversarialMapScores]

    /// Whether the attack changed the decision; only such images are explained and scored.
    public var decisionChanged: Bool { originalClass != adversarialClass }
}

/// Mean, spread and count of a score over images, skipping undefined (`nil`) values.
public struct ScoreSummary: Sendable, Hashable {
    /// The mean over the defined values (NaN when there is none).
    public var mean: Double
    /// The sample standard deviation (n − 1; 0 for one value, NaN for none).
    public var standardDeviation: Double
    /// The median (NaN when there is no value).
    public var median: Double
    /// The number of defined values.
    public var count: Int
    /// The number of undefined values left out.
    public var undefinedCount: Int

    /// Summarises `values`.
    public init(_ values: [Double?]) {
        let defined = values.compactMap { $0 }.sorted()
        count = defined.count
        undefinedCount = values.count - defined.count
        guard !defined.isEmpty else {
            mean = .nan; standardDeviation = .nan; median = .nan
            return
        }
        let mean = defined.reduce(0, +) / Double(defined.count)
        self.mean = mean
        standardDeviation = defined.count > 1
            ? (defined.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(defined.count - 1)).squareRoot() : 0
        let middle = defined.count / 2
        median = defined.count % 2 == 1 ? defined[middle] : (defined[middle - 1] + defined[middle]) / 2
    }
}

/// One method's scores summarised over the images whose decision changed.
public struct AdversarialMethodSummary: Sendable, Hashable {
    /// The method's name.
    public var method: String
    /// Spearman's ρ of O and A.
    public var changeSpearman: ScoreSummary
    /// SSIM of O and A.
    public var changeSSIM: ScoreSummary
    /// Spearman's ρ of A and A′.
    public var classSpearman: ScoreSummary
    /// SSIM of A and A′.
    public var classSSIM: ScoreSummary
    /// Spearman's ρ of O and N (the noise control).
    public var noiseSpearman: ScoreSummary
    /// SSIM of O and N.
    public var noiseSSIM: ScoreSummary
}

/// The outcome of an ``AdversarialExperiment`` run.
public struct AdversarialResult: Sendable {
    /// The attack that ran.
    public var attack: AdversarialAttack
    /// The methods' names, in order.
    public var methodNames: [String]
    /// Every image's outcome, in input order (without adversarial images and maps).
    public var outcomes: [AdversarialImageOutcome]
    /// Wall-clock seconds of the run.
    public var seconds: Double

    /// The images whose decision the attack changed.
    public var changed: [AdversarialImageOutcome] { outcomes.filter(\.decisionChanged) }
    /// The number of images left out because the decision did not change (the paper's failed attacks).
    public var failedCount: Int { outcomes.count - changed.count }
    /// The images whose decision random ±ε sign noise changed (the control).
    public var noiseChangedCount: Int { outcomes.filter { $0.noiseChangedDecision == true }.count }
    /// Of a targeted attack: the images whose decision changed but not to the target.
    public var missedTargetCount: Int { changed.filter { !$0.attackSucceeded }.count }

    /// Every method's scores over the changed images.
    public var summaries: [AdversarialMethodSummary] {
        methodNames.enumerated().map { position, name in
            let scores = changed.compactMap { $0.scores.indices.contains(position) ? $0.scores[position] : nil }
            return AdversarialMethodSummary(
                method: name,
                changeSpearman: ScoreSummary(scores.map(\.changeSpearman)),
                changeSSIM: ScoreSummary(scores.map(\.changeSSIM)),
                classSpearman: ScoreSummary(scores.map(\.classSpearman)),
                classSSIM: ScoreSummary(scores.map(\.classSSIM)),
                noiseSpearman: ScoreSummary(scores.map(\.noiseSpearman)),
                noiseSSIM: ScoreSummary(scores.map(\.noiseSSIM)))
        }
    }
}
