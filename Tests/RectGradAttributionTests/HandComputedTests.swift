import Testing
import RectGradCore
import RectGradLayers
import RectGradAttribution

/// Hand-derived maps on the tiny networks of ``TestNetworks`` (derivations in the comments).
@Suite struct HandComputedTests {
    /// Runs `method` on the hand dense network at x = (2, 1) and returns the map's two values.
    func handMap(_ method: AttributionMethod, targets: TargetSelection = .predicted) throws -> [Float] {
        let result = try TestNetworks.handDense().attribute(TestNetworks.handInput(), method: method, targets: targets)
        #expect(result.targets == [0])
        #expect(result.logits.scalars == [6, -2.5])
        return result.map.scalars
    }

    @Test func saliency() throws {
        // R = (2, 1, −1); gradient rule R·1[z > 0] with z = (3.5, −0.5, 1) → (2, 0, −1);
        // W1ᵀ(2, 0, −1) = 2·(1, 1) − (−1, 1) = (3, 1).
        #expect(try handMap(.saliency) == [3, 1])
    }

    @Test func gradientTimesInput() throws {
        // (3, 1) · (2, 1).
        #expect(try handMap(.gradientTimesInput) == [6, 1])
    }

    @Test func guidedBackprop() throws {
        // max(R, 0)·1[z > 0] = (2, 0, 0) → 2·(1, 1).
        #expect(try handMap(.guidedBackprop) == [2, 2])
    }

    @Test func deconvNet() throws {
        // max(R, 0) = (2, 1, 0) → 2·(1, 1) + (1, −3) = (3, −1).
        #expect(try handMap(.deconvNet) == [3, -1])
    }

    @Test func rectGradPercentiles() throws {
        // Importance a·R = (7, 0, −1), descending (7, 0, −1), n = 3.
        // q = 50: idx = round(2 · 0.5) = 1 → t = 0 → only unit 0 passes → (2, 2) · x = (4, 2).
        #expect(try handMap(.rectGrad(percentile: 50)) == [4, 2])
        // q = 0: idx 2 → t = −1 → units 0 and 1 (inactive, importance 0) pass: R = (2, 1, 0) →
        // (3, −1) · x = (6, −1).
        #expect(try handMap(.rectGrad(percentile: 0)) == [6, -1])
        // q = 100: t = 7, strict '>' blocks everything.
        #expect(try handMap(.rectGrad(percentile: 100)) == [0, 0])
        // Default q = 98: idx = round(2 · 0.02) = 0 → t = 7 → nothing passes.
        #expect(try handMap(.rectGrad()) == [0, 0])
    }

    @Test func rectGradAbsoluteImportance() throws {
        // |a·R| = (7, 0, 1), descending (7, 1, 0).
        // q = 50: t = 1 → unit 0 → (4, 2). q = 0: t = 0 → units 0 and 2 → R = (2, 0, −1) → (3, 1)·x = (6, 1).
        #expect(try handMap(.rectGrad(percentile: 50, importance: .absolute)) == [4, 2])
        #expect(try handMap(.rectGrad(percentile: 0, importance: .absolute)) == [6, 1])
    }

    @Test func rectGradConstant() throws {
        // τ = 0: a·R > 0 only at unit 0 → (4, 2). τ = −2: units 0, 1, 2 all pass → R → W1ᵀR = (2+1+1, 2−3−1) = (4, −2) → (8, −2).
        #expect(try handMap(.rectGradConstant()) == [4, 2])
        #expect(try handMap(.rectGradConstant(tau: -2)) == [8, -2])
    }

    @Test func epsilonLRP() throws {
        // ε = 0.5: unit 0: 2 · 3.5 / 4 = 1.75; unit 1: a = 0; unit 2: −1 · 1 / 1.5 = −2/3.
        // W1ᵀ(1.75, 0, −2/3) = (1.75 + 2/3, 1.75 − 2/3); times x = (2, 1).
        let map = try handMap(.epsilonLRP(epsilon: 0.5))
        #expect(abs(map[0] - 2 * (1.75 + 2.0 / 3)) < 1e-6)
        #expect(abs(map[1] - (1.75 - 2.0 / 3)) < 1e-6)
    }

    @Test func deepLIFTRescale() throws {
        // Reference x0 = 0: z0 = a0 = b1 = (0.5, 0.5, 2). Multipliers (a − a0)/(z − z0):
        // unit 0: 3/3 = 1, unit 1: (0 − 0.5)/(−0.5 − 0.5) = 0.5, unit 2: (1 − 2)/(1 − 2) = 1.
        // R·m = (2, 0.5, −1) → W1ᵀ = 2·(1,1) + 0.5·(1,−3) − (−1,1) = (3.5, −0.5); × (x − 0) = (7, −0.5).
        let result = try TestNetworks.handDense().attribute(TestNetworks.handInput(), method: .deepLIFT())
        #expect(result.map.scalars == [7, -0.5])
        // Completeness: Σ = 6.5 = S(x) − S(0) = 6 − (1 + 0.5 − 2).
        let completeness = try #require(result.completeness)
        #expect(completeness.attributionSums == [6.5])
        #expect(completeness.outputDifferences == [6.5])
    }

    @Test func integratedGradients() throws {
        // Along αx: z(α) = α(3, −1, −1) + (0.5, 0.5, 2); unit 1 is active for α < 0.5 only.
        // dS/dx = (4, −2) for α < 0.5, else (3, 1). Right sum, m = 4 (α = .25, .5, .75, 1):
        // mean = ((4, −2) + 3·(3, 1)) / 4 = (3.25, 0.25); × x = (6.5, 0.25).
        let result = try TestNetworks.handDense().attribute(TestNetworks.handInput(), method: .integratedGradients(steps: 4))
        #expect(result.map.scalars == [6.5, 0.25])
        let completeness = try #require(result.completeness)
        #expect(completeness.attributionSums == [6.75])
        #expect(completeness.outputDifferences == [6.5])
        // m = 1000: 499 points with α < 0.5 (at α = 0.5, z₁ = 0 is inactive):
        // mean = (499·(4, −2) + 501·(3, 1)) / 1000 = (3.499, −0.497); × x = (6.998, −0.497),
        // close to the exact integral (7, −0.5), which is DeepLIFT's map here.
        let fine = try TestNetworks.handDense().attribute(TestNetworks.handInput(), method: .integratedGradients(steps: 1000))
        #expect(abs(fine.map.scalars[0] - 6.998) < 1e-4 && abs(fine.map.scalars[1] + 0.497) < 1e-4)
    }

    @Test func smoothGradWithoutNoiseIsTheGradient() throws {
        #expect(try handMap(.smoothGrad(samples: 3, noiseLevel: 0)) == [3, 1])
    }

    @Test func occlusion() throws {
        // Occluding x0: x = (0, 1) → a = (1.5, 0, 3) → S = 0 → 6 − 0 = 6.
        // Occluding x1: x = (2, 0) → a = (2.5, 2.5, 0) → S = 7.5 → 6 − 7.5 = −1.5.
        #expect(try handMap(.occlusion()) == [6, -1.5])
        // One window over both: S(0) = −0.5 → each element gets 6.5.
        #expect(try handMap(.occlusion(window: [1, 1, 2])) == [6.5, 6.5])
    }

    @Test func explicitTargetsPerExample() throws {
        // Second example x = (1, 2): z = (3.5, −4.5, 3). For class 1, R = (−1, 1, 1) → gradient
        // rule (−1, 0, 1) → W1ᵀ = −(1, 1) + (−1, 1) = (−2, 0).
        let batch = try Tensor(shape: [2, 1, 1, 2], scalars: [2, 1, 1, 2])
        let result = try TestNetworks.handDense().attribute(batch, method: .saliency, targets: .perExample([0, 1]))
        #expect(result.targets == [0, 1])
        #expect(result.map.scalars == [3, 1, -2, 0])
        // The predicted class of both examples is 0.
        #expect(try TestNetworks.handDense().attribute(batch, method: .saliency).targets == [0, 0])
    }

    @Test func borderRule() throws {
        // S = Σ relu(x). With τ = 0 every positive pixel passes, but the padding rule zeroes the
        // gradient on the outer frame of the 3×3 map: only the centre keeps its gradient.
        let x = try Tensor(shape: [1, 1, 3, 3], scalars: [1, -2, 3, 4, 5, -6, 7, 8, 9])
        let network = try TestNetworks.handBorder()
        let masked = try network.attribute(x, method: .rectGradConstant())
        #expect(masked.map.scalars == [0, 0, 0, 0, 5, 0, 0, 0, 0])
        #expect(masked.report?.maskedConvolutions == 1)
        // Without it: relu(x) (gradient 1[x > 0] times x).
        let plain = try network.attribute(x, method: .rectGradConstant(masksConvolutionBorder: false))
        #expect(plain.map.scalars == [1, 0, 3, 4, 5, 0, 7, 8, 9])
    }

    @Test func proportionalRedistribution() throws {
        // x = (1, 2, 3, 4), S = 2·max. PRR: m = 2.5, each x_i gets x_i · (2 / 2.5) / 4 = 0.2·x_i
        // → gradient (0.2, 0.4, 0.6, 0.8) at the ReLU output, importance a·R = (0.2, 0.8, 1.8, 3.2).
        // q = 50, n = 4: idx = round_half_even(3 · 0.5 = 1.5) = 2 → t = 0.8 → units 2, 3 pass;
        // × x = (0, 0, 1.8, 3.2).
        let x = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        let network = try TestNetworks.handPool()
        let prr = try network.attribute(x, method: .rectGradPRR(percentile: 50))
        #expect(prr.map.isApproximatelyEqual(to: try Tensor(shape: [1, 1, 2, 2], scalars: [0, 0, 1.8, 3.2]), tolerance: 1e-6))
        #expect(prr.report?.proportionalMaxPools == 1)
        // First-maximum routing: gradient (0, 0, 0, 2), importance (0, 0, 0, 8), t = 0 → (0, 0, 0, 8).
        #expect(try network.attribute(x, method: .rectGrad(percentile: 50)).map.scalars == [0, 0, 0, 8])
    }
}

extension Tensor {
    /// Element-wise closeness with one absolute tolerance.
    func isApproximatelyEqual(to other: Tensor, tolerance: Float) -> Bool {
        shape == other.shape && zip(scalars, other.scalars).allSatisfy { abs($0 - $1) <= tolerance }
    }
}
