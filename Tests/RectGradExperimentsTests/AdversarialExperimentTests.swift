import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradImage
import RectGradLayers
import RectGradExperiments

// MARK: A linear network whose maps are known by hand

/// Two classes on `[N, 3, 4, 4]` images: logit_k = W_k · x + b_k. The saliency map of class k is
/// W_k whatever the input, so the maps O, A and A′ of the experiment are W_old, W_new and W_old.
private struct LinearCase {
    static let pixels = 48
    /// W₀[i] = (i mod 5 − 2) / 4, W₁[i] = (i mod 3 − 1) / 3 − W₀[i] / 2 (no two rows alike).
    static let w0: [Float] = (0..<pixels).map { Float($0 % 5 - 2) / 4 }
    static let w1: [Float] = (0..<pixels).map { Float($0 % 3 - 1) / 3 - w0[$0] / 2 }
    static let bias: [Float] = [0.3, 0]

    static func network() throws -> Network {
        let body = Sequential([
            Flatten(),
            Linear(name: "fc", weight: try Tensor(shape: [2, pixels], scalars: w0 + w1), bias: try Tensor(shape: [2], scalars: bias)),
        ])
        return Network(name: "linear", inputChannels: 3, inputSize: 4, requiresFixedInputSize: true, classCount: 2, body: body)
    }

    static func logits(_ x: [Float]) -> (Float, Float) {
        (zip(w0, x).reduce(bias[0]) { $0 + $1.0 * $1.1 }, zip(w1, x).reduce(bias[1]) { $0 + $1.0 * $1.1 })
    }
}

@Test func linearNetworkMapsAndDecisionsMatchTheHandDerivation() throws {
    // Image 0: every pixel 0.5; image 1: a pattern that favours class 0 strongly.
    let flat: [Float] = [Float](repeating: 0.5, count: 48) + (0..<48).map { LinearCase.w0[$0] > 0 ? 0.9 : 0.1 }
    let images = try Tensor(shape: [2, 3, 4, 4], scalars: flat)
    let epsilon: Float = 0.05
    // By hand: FGSM moves every pixel by ε·sign(W_other − W_old) (no pixel reaches 0 or 1), so the
    // logit margin old − other falls by ε·Σ|W_other − W_old|.
    let shift = epsilon * zip(LinearCase.w0, LinearCase.w1).reduce(0) { $0 + abs($1.0 - $1.1) }
    var expectedChanged: [Bool] = []
    var expectedOld: [Int] = []
    for n in 0..<2 {
        let (l0, l1) = LinearCase.logits(Array(flat[(n * 48)..<((n + 1) * 48)]))
        expectedOld.append(l0 >= l1 ? 0 : 1)
        expectedChanged.append(abs(l0 - l1) < shift)
    }
    #expect(expectedChanged == [true, false], "the hand case needs one flip and one failure")

    let experiment = AdversarialExperiment(attack: .fgsm(epsilon: epsilon), methods: [.saliency, .gradientTimesInput], batchSize: 2)
    var seen: [(AdversarialImageOutcome, [AdversarialMaps])] = []
    let result = try experiment.run(images: images, network: LinearCase.network(), scaling: .zeroToOne) { seen.append(($0, $1)) }

    #expect(result.outcomes.map(\.originalClass) == expectedOld)
    #expect(result.outcomes.map(\.decisionChanged) == expectedChanged)
    #expect(result.failedCount == 1)
    #expect(result.changed.map(\.index) == [0])
    #expect(seen.count == 2 && seen[1].1.isEmpty && result.outcomes[1].scores.isEmpty)

    let old = expectedOld[0], new = 1 - old
    let rows = [LinearCase.w0, LinearCase.w1]
    let maps = seen[0].1
    #expect(maps.map(\.method) == ["saliency", "gradient-x-input"])
    // Saliency: O = W_old, A = W_new, A′ = W_old, exactly.
    #expect(maps[0].original.shape == [1, 3, 4, 4])
    #expect(maps[0].original.scalars == rows[old])
    #expect(maps[0].adversarial.scalars == rows[new])
    #expect(maps[0].adversarialForOldClass.scalars == rows[old])
    // The noise control N explains the old class, so for saliency it equals O too.
    #expect(maps[0].noisyOriginal?.scalars == rows[old])
    #expect(abs((result.outcomes[0].scores[0].noiseSpearman ?? 0) - 1) <= 1e-12)
    // Gradient × input: the adversarial image times the rows.
    let adversarial = seen[0].0.adversarialImage.scalars
    for i in 0..<48 {
        #expect(abs(maps[1].original.scalars[i] - 0.5 * rows[old][i]) <= 1e-6)
        #expect(abs(maps[1].adversarial.scalars[i] - adversarial[i] * rows[new][i]) <= 1e-6)
    }
    // Gradient × input of N: the noisy image (every pixel 0.5 ± ε) times W_old.
    let noisy = try #require(maps[1].noisyOriginal).scalars
    for i in 0..<48 {
        let factor = noisy[i] / rows[old][i]
        if rows[old][i] != 0 { #expect(abs(factor - 0.45) <= 1e-5 || abs(factor - 0.55) <= 1e-5, "pixel \(i): \(factor)") }
    }
    // The perturbation stays within ε; the confidences are softmax probabilities of the logits.
    #expect(result.outcomes.allSatisfy { $0.largestPerturbation <= epsilon + 1e-6 })
    let (l0, l1) = LinearCase.logits(adversarial)
    let adversarialLogits = [l0, l1]
    let probabilityNew = Float(1 / (1 + exp(Double(adversarialLogits[old] - adversarialLogits[new]))))
    #expect(abs(result.outcomes[0].adversarialConfidence - probabilityNew) <= 1e-5)
    #expect(abs(result.outcomes[0].oldClassConfidenceAfterAttack - (1 - probabilityNew)) <= 1e-5)

    // A′ equals O for saliency, so the scores of (O, A) and (A, A′) agree.
    let scores = result.outcomes[0].scores[0]
    #expect(scores.changeSpearman == scores.classSpearman)
    #expect(scores.changeSSIM == nil, "4×4 maps are smaller than SSIM's window")
    // Spearman's ρ by hand: the magnitudes |Σ_c W_c| of the two rows, ranked with average ranks.
    let expected = naiveSpearman(magnitude(rows[old]), magnitude(rows[new]))
    #expect(abs((scores.changeSpearman ?? .nan) - expected) <= 1e-9)
    #expect(result.summaries[0].changeSpearman.count == 1)
}

/// |Σ_c row_c| per pixel of a `[3, 4, 4]` row.
private func magnitude(_ row: [Float]) -> [Float] {
    (0..<16).map { p in abs(row[p] + row[16 + p] + row[32 + p]) }
}

/// Pearson's correlation of average ranks, written out.
private func naiveSpearman(_ a: [Float], _ b: [Float]) -> Double {
    func ranks(_ v: [Float]) -> [Double] {
        v.map { x in
            let below = v.filter { $0 < x }.count, equal = v.filter { $0 == x }.count
            return Double(below) + Double(equal + 1) / 2
        }
    }
    let ra = ranks(a), rb = ranks(b)
    let ma = ra.reduce(0, +) / Double(ra.count), mb = rb.reduce(0, +) / Double(rb.count)
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(ra, rb) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
    return sab / (saa * sbb).squareRoot()
}

// MARK: Scores and summaries

@Test func identicalMapsScoreOneAndConstantMapsAreUndefined() throws {
    let map = Tensor.randomNormal([1, 3, 16, 16], seed: 5)
    let zero = Tensor.zeros([1, 3, 16, 16])
    let scores = try AdversarialExperiment.scores(AdversarialMaps(method: "m", original: map, adversarial: map, adversarialForOldClass: zero))
    #expect(abs((scores.changeSpearman ?? 0) - 1) <= 1e-9)
    #expect(abs((scores.changeSSIM ?? 0) - 1) <= 1e-9)
    // A constant map has no ranks; SSIM against it is defined and far from 1.
    #expect(scores.classSpearman == nil)
    #expect((scores.classSSIM ?? 1) < 0.5)
    // Below SSIM's 11 × 11 window there is no SSIM.
    let small = Tensor.randomNormal([1, 3, 10, 10], seed: 6)
    let smallScores = try AdversarialExperiment.scores(AdversarialMaps(method: "m", original: small, adversarial: small, adversarialForOldClass: small))
    #expect(smallScores.changeSSIM == nil && smallScores.changeSpearman != nil)
}

@Test func magnitudeIsTheAbsoluteChannelSum() throws {
    let map = try Tensor(shape: [1, 2, 1, 2], scalars: [1, -3, -4, 1])
    #expect(try AdversarialExperiment.magnitude(of: map).scalars == [3, 2])
    #expect(try AdversarialExperiment.magnitude(of: map).shape == [1, 2])
}

@Test func summariesSkipUndefinedValues() {
    let summary = ScoreSummary([1, nil, 3, 2])
    #expect(summary.mean == 2 && summary.standardDeviation == 1 && summary.median == 2)
    #expect(summary.count == 3 && summary.undefinedCount == 1)
    #expect(ScoreSummary([0.5]).standardDeviation == 0)
    #expect(ScoreSummary([nil]).mean.isNaN)
    #expect(ScoreSummary([4, 1]).median == 2.5)
}

// MARK: Settings

@Test func badExperimentSettingsNameTheirOption() {
    func rejected(_ experiment: AdversarialExperiment, classCount: Int = 10) -> String? {
        do { try experiment.validate(classCount: classCount); return nil } catch {
            if case .invalidOption(let name, _) = error { return name }
            return nil
        }
    }
    let methods: [AttributionMethod] = [.saliency]
    #expect(rejected(AdversarialExperiment(attack: .pgd(epsilon: -0.01), methods: methods)) == "epsilon")
    #expect(rejected(AdversarialExperiment(attack: .pgd(epsilon: 1.5), methods: methods)) == "epsilon")
    #expect(rejected(AdversarialExperiment(attack: .pgd(steps: 0), methods: methods)) == "steps")
    #expect(rejected(AdversarialExperiment(attack: .pgd(stepSize: 0), methods: methods)) == "step-size")
    #expect(rejected(AdversarialExperiment(attack: .pgd(goal: .targeted(class: 10)), methods: methods)) == "target-class")
    #expect(rejected(AdversarialExperiment(attack: .fgsm(goal: .targeted(class: -1)), methods: methods)) == "target-class")
    #expect(rejected(AdversarialExperiment(methods: [])) == "methods")
    #expect(rejected(AdversarialExperiment(methods: [.saliency, .saliency])) == "methods")
    #expect(rejected(AdversarialExperiment(methods: methods, batchSize: 0)) == "batch-size")
    #expect(rejected(AdversarialExperiment(attack: .pgd(epsilon: 1), methods: methods)) == nil)
    #expect(rejected(AdversarialExperiment(attack: .pgd(goal: .targeted(class: 9)), methods: methods)) == nil)
}

@Test func theRunIsDeterministic() throws {
    var g = SeededGenerator(seed: 11)
    let body = Sequential([
        Conv2D(name: "conv", inputChannels: 3, outputChannels: 4, kernel: 3, geometry: .init(padding: 1), generator: &g),
        Activation(name: "relu"),
        Flatten(),
        Linear(name: "fc", inputFeatures: 64, outputFeatures: 5, generator: &g),
    ])
    let network = Network(name: "random", inputChannels: 3, inputSize: 4, requiresFixedInputSize: true, classCount: 5, body: body)
    let images = Tensor.randomUniform([5, 3, 4, 4], seed: 12)
    var experiment = AdversarialExperiment(attack: .pgd(epsilon: 0.2, steps: 5), methods: [.saliency, try .rectGrad(percentile: 50)], batchSize: 2)
    let first = try experiment.run(images: images, network: network, scaling: .imageNet)
    // Another batch size gives the same attacks, noise, maps and scores.
    experiment.batchSize = 3
    let second = try experiment.run(images: images, network: network, scaling: .imageNet)
    #expect(first.outcomes.map(\.noiseChangedDecision) == second.outcomes.map(\.noiseChangedDecision))
    #expect(first.outcomes.allSatisfy { $0.noiseChangedDecision != nil })
    #expect(first.outcomes.map(\.adversarialClass) == second.outcomes.map(\.adversarialClass))
    #expect(first.outcomes.map(\.scores) == second.outcomes.map(\.scores))
    #expect(first.outcomes.map(\.index) == [0, 1, 2, 3, 4])
    #expect(first.changed.count > 0, "ε = 0.2 should change some decisions of a random network")
    #expect(first.changed.allSatisfy { $0.scores.allSatisfy { $0.noiseSpearman != nil } })
    // Without the control there are no N scores.
    experiment.includesNoiseControl = false
    let without = try experiment.run(images: images, network: network, scaling: .imageNet)
    #expect(without.outcomes.allSatisfy { $0.noiseChangedDecision == nil && $0.scores.allSatisfy { $0.noiseSpearman == nil } })
    #expect(without.outcomes.map(\.scores).map { $0.map(\.changeSpearman) } == first.outcomes.map(\.scores).map { $0.map(\.changeSpearman) })
}
