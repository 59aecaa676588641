import Foundation
import RectGradCore
import RectGradImage
import Testing

@Suite struct PreprocessTests {
    /// M = channel sum = [−4, −1, 0, 2, 10]. With q = 25 and 75 on n = 5 values the positions are
    /// 0.25 · 4 = 1 and 0.75 · 4 = 3: lo = −1, hi = 2. lo ≤ 0, so −4 becomes lo and the rest is
    /// clipped to [−1, 2].
    @Test func lowerPercentileAtOrBelowZeroClips() throws {
        let attribution = try Tensor(shape: [2, 1, 5], scalars: [-3, 0, 1, 1, 4, -1, -1, -1, 1, 6])
        let map = try DisplayPreprocessing.preprocess(attribution, lowerPercentile: 25, upperPercentile: 75)
        #expect(map.shape == [1, 5])
        #expect(map.scalars == [-1, -1, 0, 2, 2])
    }

    /// M = [1, 3, 5, 7, 9]. q = 10 → position 0.4 → lo = 1 + 0.4 · 2 = 1.8; q = 90 → position
    /// 3.6 → hi = 7 + 0.6 · 2 = 8.2. lo > 0, so 1 (below lo) becomes 0 and 9 is clipped to 8.2.
    @Test func lowerPercentileAboveZeroZeroesTheRest() throws {
        let attribution = try Tensor(shape: [1, 1, 5], scalars: [1, 3, 5, 7, 9])
        let map = try DisplayPreprocessing.preprocess(attribution, lowerPercentile: 10, upperPercentile: 90)
        let expected: [Float] = [0, 3, 5, 7, 8.2]
        for (value, target) in zip(map.scalars, expected) {
            #expect(abs(value - target) < 1e-5, "\(map.scalars)")
        }
    }

    /// |A| summed: [3, 4, 5]; q = 50 → lo = 4 > 0 so 3 → 0; q = 100 → hi = 5.
    /// Signed: [−1, 2, −5]; q = 0 and 100 leave it unchanged.
    @Test func absoluteValues() throws {
        let attribution = try Tensor(shape: [2, 1, 3], scalars: [-2, 3, -1, 1, -1, -4])
        let absolute = try DisplayPreprocessing.preprocess(attribution, lowerPercentile: 50, upperPercentile: 100, absolute: true)
        #expect(absolute.scalars == [0, 4, 5])
        let signed = try DisplayPreprocessing.preprocess(attribution, lowerPercentile: 0, upperPercentile: 100)
        #expect(signed.scalars == [-1, 2, -5])
        #expect(try DisplayPreprocessing.channelSum(attribution, absolute: true).scalars == [3, 4, 5])
    }

    @Test func batchOfOneIsAccepted() throws {
        let values: [Float] = [0.5, -2, 3, 1, 0, -1, 2, 2]
        let chw = try DisplayPreprocessing.preprocess(Tensor(shape: [2, 2, 2], scalars: values), lowerPercentile: 0.5, upperPercentile: 99.5)
        let nchw = try DisplayPreprocessing.preprocess(Tensor(shape: [1, 2, 2, 2], scalars: values), lowerPercentile: 0.5, upperPercentile: 99.5)
        #expect(chw == nchw)
        #expect(chw.shape == [2, 2])
    }

    @Test func invalidInputsThrow() throws {
        #expect(throws: TensorError.self) {
            try DisplayPreprocessing.preprocess(Tensor.zeros([2, 1, 2, 2]), lowerPercentile: 0, upperPercentile: 100)
        }
        #expect(throws: TensorError.self) {
            try DisplayPreprocessing.preprocess(Tensor.zeros([2, 2]), lowerPercentile: 0, upperPercentile: 100)
        }
        #expect(throws: TensorError.self) {
            try DisplayPreprocessing.preprocess(Tensor.zeros([1, 2, 2]), lowerPercentile: 60, upperPercentile: 40)
        }
        #expect(throws: TensorError.self) {
            try DisplayPreprocessing.preprocess(Tensor.zeros([1, 2, 2]), lowerPercentile: 0, upperPercentile: 101)
        }
        let error = #expect(throws: TensorError.self) {
            try DisplayPreprocessing.preprocess(Tensor(shape: [1, 1, 2], scalars: [.nan, 1]), lowerPercentile: 0, upperPercentile: 100)
        }
        #expect(error == .nonFinite(operation: "DisplayPreprocessing.preprocess"))
    }
}

@Suite struct ColormapTests {
    let map = DivergingColormap.blueWhiteRed

    @Test func stops() {
        #expect(map.color(at: 0) == .white)
        #expect(map.color(at: 1) == .red)
        #expect(map.color(at: -1) == .blue)
        // Halfway: 255 · 0.5 = 127.5 rounds away from zero.
        #expect(map.color(at: 0.5) == rgb(255, 128, 128))
        #expect(map.color(at: -0.5) == rgb(128, 128, 255))
        #expect(map.color(at: 3) == .red)
        #expect(map.color(at: -.infinity) == .blue)
        #expect(map.color(at: .nan) == .white)
    }

    @Test func symmetricRange() throws {
        // v = max(|−2|, |1|) = 2: −2 → blue, 0 → white, 1 → t = 0.5.
        let values = try Tensor(shape: [1, 3], scalars: [-2, 0, 1])
        #expect(DisplayPreprocessing.symmetricRange(values) == 2)
        let image = try Heatmap.colorize(values)
        #expect(row(image, 0) == [.blue, .white, rgb(255, 128, 128)])
        let shared = try Heatmap.colorize(values, limit: 4)
        #expect(row(shared, 0) == [rgb(128, 128, 255), .white, rgb(255, 191, 191)])
        let zeros = try Heatmap.colorize(Tensor.zeros([2, 2]))
        #expect(zeros.pixels.allSatisfy { $0 == 255 })
        #expect(throws: TensorError.self) { try Heatmap.colorize(Tensor.zeros([1, 2, 2])) }
    }
}
