import Testing
import RectGradCore
import RectGradAttribution

/// The display post-processing and the evaluation quantities, by hand.
@Suite struct PostProcessingTests {
    @Test func preprocessSumsChannelsAndClips() throws {
        // Two channels of a 1×5 map; channel sum M = (−4, −1, 0, 2, 8).
        let a = try Tensor(shape: [2, 1, 5], scalars: [-3, 0, 1, 1, 5, -1, -1, -1, 1, 3])
        // (0, 100): lo = −4, hi = 8 → unchanged.
        #expect(try DisplayPreprocessing.preprocess(a, lowerPercentile: 0, upperPercentile: 100).scalars == [-4, -1, 0, 2, 8])
        // (25, 75): positions 1 and 3 of the sorted M → lo = −1, hi = 2; lo ≤ 0 so −4 → −1; 8 → 2.
        #expect(try DisplayPreprocessing.preprocess(a, lowerPercentile: 25, upperPercentile: 75).scalars == [-1, -1, 0, 2, 2])
        // (62.5, 100): position 2.5 → lo = 0 + 0.5·(2 − 0) = 1 > 0, so values below 1 become 0.
        #expect(try DisplayPreprocessing.preprocess(a, lowerPercentile: 62.5, upperPercentile: 100).scalars == [0, 0, 0, 2, 8])
        // abs: |A| summed = (4, 1, 2, 2, 8).
        #expect(try DisplayPreprocessing.preprocess(a, lowerPercentile: 0, upperPercentile: 100, absolute: true).scalars == [4, 1, 2, 2, 8])
        #expect(try DisplayPreprocessing.preprocess(a, lowerPercentile: 0, upperPercentile: 100).shape == [1, 5])
        #expect(DisplayPreprocessing.symmetricRange(try Tensor(shape: [1, 2], scalars: [-4, 3])) == 4)
        #expect(throws: TensorError.self) { try DisplayPreprocessing.preprocess(a, lowerPercentile: -1, upperPercentile: 100) }
        #expect(throws: TensorError.self) { try DisplayPreprocessing.preprocess(Tensor.zeros([2, 2, 2, 2]), lowerPercentile: 0, upperPercentile: 100) }
    }

    @Test func outsideMask() throws {
        // M = [[1, −2], [3, 4]], object = right column.
        let map = try Tensor(shape: [2, 2], scalars: [1, -2, 3, 4])
        let result = try EvaluationMetrics.outsideMask(map, mask: [false, true, false, true])
        #expect(result.total == 4)
        #expect(result.fraction == 0.4)
        #expect(throws: AttributionError.self) { try EvaluationMetrics.outsideMask(map, mask: [true]) }
        // The RectGrad protocol rectifies first: A = max(A, 0) → M = [[1, 0], [3, 4]], outside = 4 of 8.
        let rect = try EvaluationMetrics.outsideMask(attribution: try map.reshaped([1, 2, 2]), mask: [false, true, false, true], method: .rectGrad())
        #expect(rect.total == 4 && rect.fraction == 0.5)
        // The family is a property of the method, so SmoothGrad of RectGrad is evaluated alike.
        let smoothed = try EvaluationMetrics.outsideMask(attribution: try map.reshaped([1, 2, 2]), mask: [false, true, false, true], method: try .rectGrad().smoothed(samples: 2))
        #expect(smoothed == rect)
        let saliency = try EvaluationMetrics.outsideMask(attribution: try map.reshaped([1, 2, 2]), mask: [false, true, false, true], method: .saliency)
        #expect(saliency != rect)
    }

    @Test func totalVariation() throws {
        // [[1, −2], [3, 4]]: horizontal |−2 − 1| + |4 − 3| = 4, vertical |3 − 1| + |4 + 2| = 8 → 12; Σ|M| = 10.
        let result = try EvaluationMetrics.totalVariation(try Tensor(shape: [2, 2], scalars: [1, -2, 3, 4]))
        #expect(result.total == 12)
        #expect(result.normalized == 1.2)
        #expect(try EvaluationMetrics.totalVariation(Tensor.zeros([3, 3])).normalized == 0)
    }
}
