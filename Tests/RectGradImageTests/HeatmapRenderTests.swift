import Foundation
import RectGradCore
import RectGradImage
import Testing

/// The sign modes and views of `Heatmap.render`, on 1×3 maps computed by hand. The final
/// threshold (0, 100) leaves the channel sum unclipped, so `M` is the plain channel sum.
@Suite struct HeatmapRenderTests {
    let noClipping = (lower: 0.0, upper: 100.0)
    /// Channel sum M = [−2, 0, 1].
    var attribution: Tensor { get throws { try Tensor(shape: [1, 1, 3], scalars: [-2, 0, 1]) } }

    @Test func allIsSignedOverTheSymmetricRange() throws {
        // v = 2: t = [−1, 0, 0.5] → blue, white, (255, 128, 128) (127.5 rounds up).
        let t = try Heatmap.normalizedMap(try attribution, sign: .all, finalThreshold: noClipping)
        #expect(t.scalars == [-1, 0, 0.5])
        #expect(row(try Heatmap.render(t, sign: .all), 0) == [.blue, .white, rgb(255, 128, 128)])
    }

    @Test func positiveKeepsEvidenceForTheClass() throws {
        // max(M, 0) = [0, 0, 1], scale 1.
        let t = try Heatmap.normalizedMap(try attribution, sign: .positive, finalThreshold: noClipping)
        #expect(t.scalars == [0, 0, 1])
        #expect(row(try Heatmap.render(t, sign: .positive), 0) == [.white, .white, .red])
    }

    @Test func negativeKeepsEvidenceAgainstTheClassInBlue() throws {
        // −A sums to [2, 0, −1] → max(·, 0) = [2, 0, 0] → t = [1, 0, 0].
        let t = try Heatmap.normalizedMap(try attribution, sign: .negative, finalThreshold: noClipping)
        #expect(t.scalars == [1, 0, 0])
        #expect(row(try Heatmap.render(t, sign: .negative), 0) == [.blue, .white, .white])
    }

    @Test func absoluteSumsMagnitudes() throws {
        // Channels [−2, 0, 1] and [1, 0, −1]: Σ|A| = [3, 0, 2] → t = [1, 0, 2/3].
        // 2/3 of the way from white to purple (128, 0, 128): 255 − 127·2/3 = 170.3 → 170, 255/3 = 85.
        let two = try Tensor(shape: [2, 1, 3], scalars: [-2, 0, 1, 1, 0, -1])
        let t = try Heatmap.normalizedMap(two, sign: .absolute, finalThreshold: noClipping)
        #expect(abs(t.scalars[2] - 2.0 / 3.0) < 1e-6 && t.scalars[0] == 1 && t.scalars[1] == 0)
        #expect(row(try Heatmap.render(t, sign: .absolute), 0) == [rgb(128, 0, 128), .white, rgb(170, 85, 170)])
        // The signed sum [−1, 0, 0] would have shown only the first pixel.
        #expect(try Heatmap.normalizedMap(two, sign: .all, finalThreshold: noClipping).scalars == [-1, 0, 0])
    }

    @Test func theFinalThresholdComesFirst() throws {
        // M = [1, 3, 5, 7, 9] with (10, 90): lo = 1.8 > 0 zeroes 1, hi = 8.2 clips 9 → t = M / 8.2.
        let a = try Tensor(shape: [1, 1, 5], scalars: [1, 3, 5, 7, 9])
        let t = try Heatmap.normalizedMap(a, sign: .positive, finalThreshold: (lower: 10, upper: 90))
        let expected: [Float] = [0, 3 / 8.2, 5 / 8.2, 7 / 8.2, 1]
        for (value, target) in zip(t.scalars, expected) { #expect(abs(value - target) < 1e-6, "\(t.scalars)") }
    }

    /// Pixels (30, 60, 90) grey 60, (200, 200, 200) grey 200, (0, 0, 30) grey 10 under t = [−1, 0, 0.5].
    var image: RGBImage { get throws { try RGBImage(width: 3, height: 1, pixels: [30, 60, 90, 200, 200, 200, 0, 0, 30]) } }

    @Test func blendedMixesTheColourIntoTheGreyInput() throws {
        let t = try Heatmap.normalizedMap(try attribution, sign: .all, finalThreshold: noClipping)
        let blended = try Heatmap.render(t, sign: .all, view: .blended, image: try image, opacity: 0.5)
        // w = 0.5 towards blue: 60 − 30 = 30, 30, 60 + 0.5·195 = 157.5 → 158.
        // w = 0: the grey 200.
        // w = 0.25 towards (255, 128, 128): 10 + 0.25·245 = 71.25 → 71, 10 + 0.25·118 = 39.5 → 40.
        #expect(row(blended, 0) == [rgb(30, 30, 158), rgb(200, 200, 200), rgb(71, 40, 40)])
    }

    @Test func maskedScalesTheInputByTheMagnitude() throws {
        let t = try Heatmap.normalizedMap(try attribution, sign: .all, finalThreshold: noClipping)
        let masked = try Heatmap.render(t, sign: .all, view: .masked, image: try image)
        // |t| = [1, 0, 0.5]: (30, 60, 90), black, (0, 0, 15).
        #expect(row(masked, 0) == [rgb(30, 60, 90), rgb(0, 0, 0), rgb(0, 0, 15)])
    }

    @Test func zeroMapsAndMistakes() throws {
        let zeros = try Heatmap.normalizedMap(Tensor.zeros([3, 2, 2]), sign: .positive, finalThreshold: (0.5, 99.5))
        #expect(zeros.scalars.allSatisfy { $0 == 0 })
        #expect(try Heatmap.render(zeros, sign: .positive).pixels.allSatisfy { $0 == 255 })
        let t = try Heatmap.normalizedMap(try attribution, sign: .all, finalThreshold: noClipping)
        #expect(throws: TensorError.self) { try Heatmap.render(t, sign: .all, view: .blended) }
        #expect(throws: TensorError.self) { try Heatmap.render(t, sign: .all, view: .masked, image: try RGBImage(width: 2, height: 1, color: .white)) }
        #expect(throws: TensorError.self) { try Heatmap.render(t, sign: .all, view: .blended, image: try image, opacity: 2) }
        #expect(throws: TensorError.self) { try Heatmap.render(Tensor.zeros([1, 1, 3]), sign: .all) }
        #expect(throws: TensorError.self) { try Heatmap.normalizedMap(try attribution, sign: .all, finalThreshold: (lower: 60, upper: 40)) }
    }
}
