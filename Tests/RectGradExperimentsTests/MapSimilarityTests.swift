import Foundation
import RectGradCore
import RectGradExperiments
import Testing

/// `MapSimilarity` against hand cases and against SciPy / scikit-image values
/// (`Scripts/fixtures/make_similarity_fixtures.py`).
@Suite struct MapSimilarityTests {
    struct FixtureFile: Decodable { var cases: [FixtureCase] }
    struct FixtureCase: Decodable {
        var name: String, shape: [Int], a: [Float], b: [Float]
        var spearman: Double, ssim: Double, hog: Double
    }

    static func fixtureCases() throws -> [FixtureCase] {
        let base = try #require(Bundle.module.resourceURL, "the test bundle has no resources")
        let url = base.appendingPathComponent("Fixtures/similarity.json")
        return try JSONDecoder().decode(FixtureFile.self, from: Data(contentsOf: url)).cases
    }

    @Test func matchesSciPyAndScikitImage() throws {
        let cases = try Self.fixtureCases()
        #expect(cases.count == 4)
        for item in cases {
            let a = try Tensor(shape: item.shape, scalars: item.a), b = try Tensor(shape: item.shape, scalars: item.b)
            let spearman = try MapSimilarity.spearman(item.a, item.b)
            let ssim = try MapSimilarity.ssim(a, b)
            let hog = try MapSimilarity.hogSimilarity(a, b)
            #expect(abs(spearman - item.spearman) < 1e-9, "\(item.name) spearman \(spearman) vs \(item.spearman)")
            #expect(abs(ssim - item.ssim) < 1e-6, "\(item.name) ssim \(ssim) vs \(item.ssim)")
            #expect(abs(hog - item.hog) < 1e-6, "\(item.name) hog \(hog) vs \(item.hog)")
        }
    }

    @Test func spearmanHandCases() throws {
        // Ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4]; against [1, 2, 3, 4]: 4.5 / sqrt(4.5 · 5).
        #expect(abs(try MapSimilarity.spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 4.5 / (4.5 * 5).squareRoot()) < 1e-12)
        #expect(try MapSimilarity.spearman([0.1, 5, 7, 100], [1, 2, 3, 4]) == 1)
        #expect(try MapSimilarity.spearman([4, 3, 2, 1], [1, 2, 3, 4]) == -1)
    }

    @Test func identicalMapsAreFullySimilar() throws {
        let map = Tensor.randomUniform([16, 24], low: -1, high: 1, seed: 7)
        #expect(abs(try MapSimilarity.ssim(map, map) - 1) < 1e-12)
        #expect(abs(try MapSimilarity.hogSimilarity(map, map) - 1) < 1e-12)
        // Only magnitudes count, and the scale does not.
        let flipped = try Tensor(shape: map.shape, scalars: map.scalars.map { -3 * $0 })
        #expect(abs(try MapSimilarity.ssim(map, flipped) - 1) < 1e-9)
    }

    @Test func undefinedAndIncompatibleInputsAreErrors() throws {
        #expect(throws: ExperimentError.undefinedMeasure("rank correlation of a constant map")) {
            try MapSimilarity.spearman([1, 1, 1], [1, 2, 3])
        }
        #expect(throws: ExperimentError.incompatibleInputs("rank correlation of 2 and 3 values")) {
            try MapSimilarity.spearman([1, 2], [1, 2, 3])
        }
        let small = Tensor(repeating: 1, shape: [8, 8])
        let large = Tensor(repeating: 1, shape: [16, 16])
        #expect(throws: ExperimentError.self) { try MapSimilarity.ssim(small, small) }  // below the 11×11 window
        #expect(throws: ExperimentError.self) { try MapSimilarity.ssim(large, Tensor(repeating: 1, shape: [16, 17])) }
        #expect(throws: ExperimentError.undefinedMeasure("HOG similarity of a map without gradients (constant map)")) {
            try MapSimilarity.hogSimilarity(large, large)
        }
        let nonFinite = try Tensor(shape: [16, 16], scalars: [.nan] + [Float](repeating: 1, count: 255))
        #expect(throws: ExperimentError.self) { try MapSimilarity.ssim(nonFinite, large) }
        #expect(throws: ExperimentError.invalidOption(name: "cell-size", reason: "must be at least 1, got 0")) {
            try MapSimilarity.hogSimilarity(large, large, cellSize: 0)
        }
    }
}
