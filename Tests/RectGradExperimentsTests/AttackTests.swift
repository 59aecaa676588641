import Testing
import RectGradCore
import RectGradImage
import RectGradLayers
import RectGradExperiments

// MARK: Networks

/// `[N, 3, 1, 2]` → flatten → dense 6→2 with bias (10, 0): class 0 wins on any [0, 1] image.
/// The cross-entropy gradient of class 0 is `p₁ · (W₁ − W₀)`, so its sign is `sign(W₁ − W₀)`.
/// Pixels 2 and 5 have zero weights, hence an exactly zero gradient (equal non-zero weights would
/// leave a rounding residue of `p₀ + p₁ − 1` whose sign moves the pixel).
private func handLinear() throws -> Network {
    let w0: [Float] = [1, 0, 0, -1, 0.5, 0]
    let w1: [Float] = [0, 1, 0, 1, -0.5, 0]
    let body = Sequential([
        Flatten(),
        Linear(name: "fc", weight: try Tensor(shape: [2, 6], scalars: w0 + w1), bias: try Tensor(shape: [2], scalars: [10, 0])),
    ])
    return Network(name: "hand-linear", inputChannels: 3, inputSize: Size2D(1, 2), requiresFixedInputSize: true, classCount: 2, body: body)
}

/// sign(W₁ − W₀) = (−1, 1, 0, 1, −1, 0).
private let handDirection: [Float] = [-1, 1, 0, 1, -1, 0]
/// Pixels near 0 and 1 so that the clip to [0, 1] matters.
private let handImage: [Float] = [0.5, 0.5, 0.5, 0.98, 0.01, 0.3]

/// A seeded conv → ReLU → dense network on `[N, 3, 4, 4]` with 5 classes.
private func randomNetwork(seed: UInt64) -> Network {
    var g = SeededGenerator(seed: seed)
    let body = Sequential([
        Conv2D(name: "conv", inputChannels: 3, outputChannels: 4, kernel: 3, geometry: .init(padding: 1), generator: &g),
        Activation(name: "relu"),
        Flatten(),
        Linear(name: "fc", inputFeatures: 64, outputFeatures: 5, generator: &g),
    ])
    return Network(name: "random", inputChannels: 3, inputSize: 4, requiresFixedInputSize: true, classCount: 5, body: body)
}

private func expectClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, sourceLocation: sourceLocation)
    for (x, y) in zip(a, b) { #expect(abs(x - y) <= tolerance, "\(a) vs \(b)", sourceLocation: sourceLocation) }
}

private func clamp(_ x: Float, _ lo: Float, _ hi: Float) -> Float { min(max(x, lo), hi) }

// MARK: FGSM and PGD by hand

@Test func fgsmIsOneSignedGradientStepClippedToTheUnitInterval() throws {
    let images = try Tensor(shape: [1, 3, 1, 2], scalars: handImage)
    let epsilon: Float = 0.05
    let result = try AdversarialAttack.fgsm(epsilon: epsilon).run(on: images, network: handLinear(), scaling: .zeroToOne)
    let expected = zip(handImage, handDirection).map { clamp($0 + epsilon * $1, 0, 1) }
    expectClose(result.adversarialImages.scalars, expected)
    // By hand: 0.45, 0.55, unchanged (zero gradient), clipped to 1, clipped to 0, unchanged.
    expectClose(result.adversarialImages.scalars, [0.45, 0.55, 0.5, 1, 0, 0.3])
    #expect(result.attackedClasses == [0])
    #expect(result.originalPredictions == [0])
    #expect(result.adversarialPredictions == [0])
    #expect(result.succeeded == [false])
}

@Test func pgdStepsAreProjectedOntoTheEpsilonBall() throws {
    // Three steps of 0.04 would move a pixel by 0.12; the ball of radius 0.05 stops it at ±0.05.
    let images = try Tensor(shape: [1, 3, 1, 2], scalars: handImage)
    let attack = AdversarialAttack.pgd(epsilon: 0.05, stepSize: 0.04, steps: 3)
    let result = try attack.run(on: images, network: handLinear(), scaling: .zeroToOne)
    expectClose(result.adversarialImages.scalars, [0.45, 0.55, 0.5, 1, 0, 0.3])
}

@Test func pgdWithOneStepOfEpsilonEqualsFGSM() throws {
    let network = randomNetwork(seed: 3)
    let images = Tensor.randomUniform([2, 3, 4, 4], seed: 4)
    let fgsm = try AdversarialAttack.fgsm(epsilon: 0.03).run(on: images, network: network, scaling: .imageNet)
    let pgd = try AdversarialAttack.pgd(epsilon: 0.03, stepSize: 0.03, steps: 1).run(on: images, network: network, scaling: .imageNet)
    #expect(fgsm.adversarialImages.scalars == pgd.adversarialImages.scalars)
    #expect(fgsm.adversarialImages.scalars != images.scalars)
}

@Test func untargetedAttackAscendsTheLossOfTheGivenLabel() throws {
    // With label 1 the gradient of class 1's loss is p₀ · (W₀ − W₁): the step goes along sign(W₀ − W₁).
    // The network predicts class 0, so the prediction differs from the label: a success.
    let images = try Tensor(shape: [1, 3, 1, 2], scalars: handImage)
    let result = try AdversarialAttack.fgsm(epsilon: 0.01).run(on: images, network: handLinear(), scaling: .zeroToOne, labels: [1])
    #expect(result.attackedClasses == [1])
    #expect(result.succeeded == [true])
    // Ascending class 1's loss moves along sign(W₀ − W₁).
    expectClose(result.adversarialImages.scalars, zip(handImage, handDirection).map { clamp($0 - 0.01 * $1, 0, 1) })
}

// MARK: Properties

@Test func pgdNeverLeavesTheEpsilonBallOrTheUnitInterval() throws {
    for seed in UInt64(1)...4 {
        let network = randomNetwork(seed: seed)
        let images = Tensor.randomUniform([3, 3, 4, 4], seed: seed + 100)
        let epsilon: Float = 0.03
        let attack = AdversarialAttack.pgd(epsilon: epsilon, stepSize: 0.02, steps: 5, randomStart: true, seed: seed)
        let result = try attack.run(on: images, network: network, scaling: .minusOneToOne)
        for (adversarial, original) in zip(result.adversarialImages.scalars, images.scalars) {
            #expect(adversarial >= 0 && adversarial <= 1)
            #expect(abs(adversarial - original) <= epsilon + 1e-6)
        }
        #expect(result.adversarialImages.scalars != images.scalars)
    }
}

@Test func targetedStepRaisesTheTargetLogitMargin() throws {
    let images = try Tensor(shape: [1, 3, 1, 2], scalars: handImage)
    let network = try handLinear()
    let result = try AdversarialAttack.fgsm(epsilon: 0.05, goal: .targeted(class: 1)).run(on: images, network: network, scaling: .zeroToOne)
    let before = try network.logits(for: images).scalars
    let after = try network.logits(for: result.adversarialImages).scalars
    #expect(after[1] - after[0] > before[1] - before[0])
    #expect(result.attackedClasses == [1])
    // Descending class 1's loss moves along sign(W₁ − W₀), the same as FGSM above.
    expectClose(result.adversarialImages.scalars, [0.45, 0.55, 0.5, 1, 0, 0.3])

    // On a random network, a small targeted step lowers the cross-entropy of the target.
    let random = randomNetwork(seed: 9)
    let batch = Tensor.randomUniform([2, 3, 4, 4], seed: 10)
    let target = 2
    let step = try AdversarialAttack.fgsm(epsilon: 1e-3, goal: .targeted(class: target)).run(on: batch, network: random, scaling: .imageNet)
    let affine = try AdversarialAttack.affine(of: .imageNet)
    func loss(_ x: Tensor) throws -> Float {
        let tape = Tape()
        let input = try tape.channelAffine(tape.input(x), scale: affine.scale, shift: affine.shift)
        return try SoftmaxCrossEntropy.loss(logits: tape.value(random.logits(input, on: tape)), labels: [target, target])
    }
    #expect(try loss(step.adversarialImages) < loss(batch))
}

@Test func randomStartIsDeterministicUnderASeed() throws {
    let network = randomNetwork(seed: 5)
    let images = Tensor.randomUniform([2, 3, 4, 4], seed: 6)
    func run(_ seed: UInt64, randomStart: Bool = true) throws -> [Float] {
        try AdversarialAttack.pgd(epsilon: 0.05, steps: 2, randomStart: randomStart, seed: seed)
            .run(on: images, network: network, scaling: .imageNet).adversarialImages.scalars
    }
    #expect(try run(7) == run(7))
    #expect(try run(7) != run(8))
    #expect(try run(7) != run(7, randomStart: false))
}

@Test func pixelAffineMatchesThePixelScaling() throws {
    for scaling in [PixelScaling.zeroToOne, .minusOneToOne, .imageNet] {
        let affine = try AdversarialAttack.affine(of: scaling)
        for byte in [UInt8(0), 37, 128, 255] {
            for c in 0..<3 {
                let value = Float(byte) / 255 * affine.scale[c] + affine.shift[c]
                #expect(abs(value - scaling.value(of: byte, channel: c)) <= 1e-5)
            }
        }
    }
    let identity = try AdversarialAttack.affine(of: .zeroToOne)
    #expect(identity.scale.scalars == [1, 1, 1] && identity.shift.scalars == [0, 0, 0])
}

// MARK: Validation

private func rejectedOption(_ body: () throws -> Void) -> String? {
    do { try body() } catch let error as ExperimentError {
        if case .invalidOption(let name, _) = error { return name }
    } catch { return "unexpected \(error)" }
    return nil
}

@Test func badSettingsAndInputsNameTheirOption() throws {
    let network = try handLinear()
    let images = try Tensor(shape: [1, 3, 1, 2], scalars: handImage)
    func attempt(_ attack: AdversarialAttack, _ input: Tensor? = nil, labels: [Int]? = nil) -> String? {
        rejectedOption { _ = try attack.run(on: input ?? images, network: network, scaling: .zeroToOne, labels: labels) }
    }
    #expect(attempt(.fgsm(epsilon: -0.1)) == "epsilon")
    #expect(attempt(.pgd(epsilon: .nan)) == "epsilon")
    #expect(attempt(.pgd(epsilon: .infinity)) == "epsilon")
    #expect(attempt(.pgd(steps: 0)) == "steps")
    #expect(attempt(.pgd(stepSize: 0)) == "step-size")
    #expect(attempt(.pgd(stepSize: -1)) == "step-size")
    #expect(attempt(.fgsm(goal: .targeted(class: 2))) == "target-class")
    #expect(attempt(.fgsm(goal: .targeted(class: -1))) == "target-class")
    #expect(attempt(.fgsm(), try Tensor(shape: [1, 3, 1, 2], scalars: [0, 0, 0, 0, 0, 1.5])) == "images")
    #expect(attempt(.fgsm(), try Tensor(shape: [1, 3, 1, 2], scalars: [0, 0, 0, 0, 0, -0.1])) == "images")
    #expect(attempt(.fgsm(), try Tensor(shape: [1, 3, 1, 2], scalars: [0, 0, 0, 0, 0, .nan])) == "images")
    #expect(attempt(.fgsm(), try Tensor(shape: [1, 2, 1, 3], scalars: handImage)) == "images")
    #expect(attempt(.fgsm(), try Tensor(shape: [3, 1, 2], scalars: handImage)) == "images")
    #expect(attempt(.fgsm(), labels: [0, 1]) == "labels")
    #expect(attempt(.fgsm(), labels: [2]) == "labels")
    // The defaults are valid and reach the attack.
    #expect(attempt(.default) == nil)
    #expect(attempt(.fgsm(epsilon: 0)) == nil)
}

@Test func defaultsArePGDWithFourOver255() {
    let attack = AdversarialAttack.default
    #expect(attack.epsilon == Float(4) / 255)
    #expect(attack.resolvedStepSize == Float(4) / 255 / 4)
    #expect(attack.stepCount == 10)
    #expect(attack.method == .pgd(stepSize: nil, steps: 10, randomStart: false, seed: 0))
    #expect(attack.goal == .untargeted)
}
