import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradLayers
import RectGradExperiments
import RectGradReport

// MARK: Tie-breaking noise

@Test func tieBreakingNoiseLeavesAnOrderOfDistinctValuesUnchanged() throws {
    // Values one apart: noise of standard deviation 1e-4 would need a 10⁴-sigma draw to swap two.
    var generator = SeededGenerator(seed: 7)
    let scores = Array(0..<200).shuffled(using: &generator).map { Float($0) }
    let plain = try PixelRanking.order(scores)
    for seed: UInt64 in [1, 2, 3] {
        #expect(try PixelRanking.order(scores, tieBreakingNoise: 1e-4, seed: seed) == plain)
    }
}

@Test func tieBreakingNoiseIsSeededAndOrdersTiesAtRandom() throws {
    // Three groups of tied scores: 5 (pixels 0–9), 1 (10–19), 0 (20–29).
    let scores = [Float](repeating: 5, count: 10) + [Float](repeating: 1, count: 10) + [Float](repeating: 0, count: 10)
    let first = try PixelRanking.order(scores, tieBreakingNoise: 1e-4, seed: 11)
    #expect(try PixelRanking.order(scores, tieBreakingNoise: 1e-4, seed: 11) == first)
    let other = try PixelRanking.order(scores, tieBreakingNoise: 1e-4, seed: 12)
    #expect(other != first)
    for order in [first, other] {
        // Only the ties are reordered: each group stays in its block.
        #expect(Set(order[0..<10]) == Set(0..<10) && Set(order[10..<20]) == Set(10..<20) && Set(order[20..<30]) == Set(20..<30))
        #expect(order != Array(0..<30))
    }
    // Without noise the ties keep row-major order.
    #expect(try PixelRanking.order(scores, tieBreakingNoise: 0, seed: 11) == Array(0..<30))
    // The noise itself: seeded, and of the requested scale.
    let noise = PixelRanking.tieBreakingNoise(count: 20_000, standardDeviation: 1e-4, seed: 3)
    #expect(noise == PixelRanking.tieBreakingNoise(count: 20_000, standardDeviation: 1e-4, seed: 3))
    let mean = noise.reduce(0, +) / Double(noise.count)
    let sd = (noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noise.count)).squareRoot()
    #expect(abs(mean) < 3e-6 && abs(sd - 1e-4) < 3e-6)
    #expect(throws: ExperimentError.invalidOption(name: "tie-breaking-noise", reason: "-1.0 is not a finite deviation ≥ 0")) {
        try PixelRanking.order(scores, tieBreakingNoise: -1, seed: 0)
    }
}

// MARK: Cells and shares

@Test func thePaperProtocolHasTheNotebooksCells() throws {
    let configuration = PaperRoarKarConfiguration()
    #expect(configuration.rankings.map(\.description) == ["random", "rectgrad", "saliency", "guided-backprop", "smoothgrad", "gradient-x-input", "integrated-gradients", "deeplift"])
    #expect(configuration.percentages == [10, 30, 50, 70, 90] && configuration.repeats == 3)
    let cells = configuration.cells
    #expect(cells.count == 3 + 8 * 5 * 2 * 3)
    #expect(Set(cells.map(\.key)).count == cells.count)
    #expect(cells.first?.key == "unmodified-r1" && cells.contains { $0.key == "kar-deeplift-p90-r3" })
}

@Test(arguments: [1, 2, 3, 4, 7, 16])
func sharesOfTheCellsAreDisjointAndCoverEveryCell(count: Int) throws {
    let folder = RoarKarFolder(path: try emptyFolder().path)
    let run = PaperRemoveAndRetrain(network: try tinyNetwork(), folder: folder)
    let all = run.configuration.cells.map(\.key)
    var seen: [String: Int] = [:]
    for index in 0..<count {
        for cell in run.pendingCells(share: try ShardSelection(index: index, count: count)) { seen[cell.key, default: 0] += 1 }
    }
    #expect(Set(seen.keys) == Set(all))
    #expect(seen.values.allSatisfy { $0 == 1 })
}

// MARK: Resumable cells

func emptyFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-roar-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func tinyPaperConfiguration() -> PaperRoarKarConfiguration {
    var configuration = PaperRoarKarConfiguration()
    configuration.rankings = [.random, .method(.rectGrad)]
    configuration.percentages = [50]
    configuration.repeats = 1
    configuration.trainCount = 20
    configuration.testCount = 10
    configuration.epochs = 1
    configuration.batchSize = 10
    return configuration
}

@Test func finishedCellsAreSkippedAndAHalfWrittenOneIsNotCounted() throws {
    let url = try emptyFolder()
    defer { try? FileManager.default.removeItem(at: url) }
    let folder = RoarKarFolder(path: url.path)
    let configuration = tinyPaperConfiguration()
    let run = PaperRemoveAndRetrain(network: try Demo.shippedNetwork(), configuration: configuration, folder: folder)

    let first = try run.run()
    #expect(first.totalCells == 5 && first.skippedCells == 0)
    #expect(first.finishedCells == ["unmodified-r1", "roar-random-p50-r1", "kar-random-p50-r1", "roar-rectgrad-p50-r1", "kar-rectgrad-p50-r1"])
    // The scores of rectgrad were cached for both splits, with the predictions.
    for name in ["rectgrad-train.scores", "rectgrad-test.scores", "predicted-train.json", "predicted-test.json"] {
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent("rankings/\(name)").path))
    }
    let accuracy = folder.finishedResults().results["kar-rectgrad-p50-r1"]?.accuracy

    // A rerun does nothing.
    let second = try run.run()
    #expect(second.finishedCells.isEmpty && second.skippedCells == 5)

    // Truncate one cell's file (a write cut short) and drop another: both are run again, and
    // only those (the cached scores are reused and give the same accuracy).
    let cut = folder.resultURL(of: RoarKarCell(kind: .modified(ranking: .method(.rectGrad), mode: .keepTop, percentage: 50), repeatIndex: 1))
    let data = try Data(contentsOf: cut)
    try data.prefix(data.count / 2).write(to: cut)
    try FileManager.default.removeItem(at: folder.resultURL(of: RoarKarCell(kind: .unmodified, repeatIndex: 1)))
    #expect(folder.finishedResults().unreadable == ["kar-rectgrad-p50-r1.json"])
    #expect(run.pendingCells(share: .whole).map(\.key) == ["unmodified-r1", "kar-rectgrad-p50-r1"])
    let third = try run.run()
    #expect(third.finishedCells == ["unmodified-r1", "kar-rectgrad-p50-r1"] && third.skippedCells == 3)
    #expect(folder.finishedResults().results["kar-rectgrad-p50-r1"]?.accuracy == accuracy)

    // A run with other settings refuses the folder.
    var other = configuration
    other.epochs = 2
    #expect(throws: ExperimentError.self) { try PaperRemoveAndRetrain(network: try Demo.shippedNetwork(), configuration: other, folder: folder).run() }
}

@Test func collectOnAPartialFolderReportsTheMissingCells() throws {
    let url = try emptyFolder()
    defer { try? FileManager.default.removeItem(at: url) }
    let folder = RoarKarFolder(path: url.path)
    var configuration = tinyPaperConfiguration()
    configuration.repeats = 2
    try folder.claim(configuration)
    // Hand-made results for three of the nine cells: two repeats of roar-random-p50, one of unmodified.
    let cells = configuration.cells
    func result(_ key: String, _ accuracy: Double) throws -> RoarKarCellResult {
        let cell = try #require(cells.first { $0.key == key })
        return RoarKarCellResult(cell: cell, accuracy: accuracy, epochTrainingAccuracies: [0.5], seconds: 60, fingerprint: configuration.fingerprint)
    }
    try folder.write(try result("roar-random-p50-r1", 0.5))
    try folder.write(try result("roar-random-p50-r2", 0.7))
    try folder.write(try result("unmodified-r1", 0.9))
    try Data("{\"key\": \"kar-random".utf8).write(to: url.appendingPathComponent("cells/kar-random-p50-r1.json"))

    let collection = try RoarKarCollection(folder: folder)
    #expect(collection.configuration.fingerprint == configuration.fingerprint)
    #expect(collection.finishedCount == 3)
    let missing = ["unmodified-r2", "kar-random-p50-r1", "roar-rectgrad-p50-r1", "kar-rectgrad-p50-r1", "kar-random-p50-r2", "roar-rectgrad-p50-r2", "kar-rectgrad-p50-r2"]
    #expect(collection.missing.map(\.key) == missing)
    #expect(collection.ignoredFiles == ["kar-random-p50-r1.json"])
    let entry = try #require(collection.entry(ranking: .random, mode: .removeTop, percentage: 50))
    #expect(entry.count == 2 && abs(entry.mean - 0.6) < 1e-12 && abs(entry.standardDeviation - 0.1414213562373095) < 1e-12)
    #expect(collection.entry(ranking: .method(.rectGrad), mode: .removeTop, percentage: 50) == nil)

    let markdown = RoarKarTables.markdown(collection)
    #expect(markdown.contains("| random | 60.0 ± 14.1 |"))
    #expect(markdown.contains("Unmodified training and test images: 90.0 ± 0.0 (1/2) % test accuracy."))
    #expect(markdown.contains("Finished 3 of 10 cells; mean 60 s per finished cell; the 7 missing cells take about 0.1 hours"))
    #expect(markdown.contains("Missing cells: " + missing.joined(separator: ", ")))
    let csv = RoarKarTables.csv(collection)
    #expect(csv.contains("random,roar,50,2,0.6000,0.1414,0.5000,0.7000,60.0") && csv.contains("rectgrad,kar,50,0,,,,,"))
    #expect(try RoarKarTables.report(collection).figureCount == 2)
}

@Test func aFolderWithoutAProtocolRecordIsAnError() throws {
    let url = try emptyFolder()
    defer { try? FileManager.default.removeItem(at: url) }
    #expect(throws: ExperimentError.self) { try RoarKarCollection(folder: RoarKarFolder(path: url.path)) }
}

// MARK: Options

@Test func paperProtocolOptionsAreCheckedByName() throws {
    func failure(_ change: (inout PaperRoarKarConfiguration) -> Void) -> String? {
        var configuration = PaperRoarKarConfiguration()
        change(&configuration)
        do { try configuration.validate() } catch { if case .invalidOption(let name, _) = error { return name } }
        return nil
    }
    #expect(failure { _ in } == nil)
    for p in [0.0, 100, -5, 120, .nan] { #expect(failure { $0.percentages = [10, p] } == "percentages") }
    #expect(failure { $0.repeats = 0 } == "repeats")
    #expect(failure { $0.epochs = 0 } == "epochs")
    #expect(failure { $0.rankings = [.random, .random] } == "methods")
    #expect(failure { $0.rankings = [.method(.occlusion)] } == "methods")
    #expect(failure { $0.tieBreakingNoise = -1 } == "tie-breaking-noise")
    #expect(throws: ExperimentError.self) { try PixelRankingSource(parsing: "no-such-method") }
    var occlusion = PaperFeatureOcclusionConfiguration()
    occlusion.fractionCount = 0
    #expect(throws: ExperimentError.invalidOption(name: "fractions", reason: "must lie in 1...100000, got 0")) { try occlusion.validate() }
    occlusion = PaperFeatureOcclusionConfiguration()
    occlusion.orderCount = 0
    #expect(throws: ExperimentError.invalidOption(name: "orders", reason: "must lie in 1...100000, got 0")) { try occlusion.validate() }
}

@Test func aProtocolRecordRestoresTheConfiguration() throws {
    var configuration = tinyPaperConfiguration()
    configuration.parameters.steps = 7
    configuration.tieBreakingNoise = 0.5
    let data = try JSONEncoder().encode(configuration.record)
    let restored = try PaperRoarKarConfiguration(record: try JSONDecoder().decode(PaperRoarKarConfiguration.Record.self, from: data))
    #expect(restored.fingerprint == configuration.fingerprint && restored.cells == configuration.cells)
}

// MARK: Feature-map occlusion, paper protocol

@Test func paperFeatureOcclusionMatchesANaiveComputation() throws {
    // tinyNetwork: activations a = (1, 2, 3, 4) of one channel; object = pixel 0, so the
    // background units are pixels 1, 2, 3. Logits = W·a with W's rows (2, 1, 0, ¼), (0, ½, −1, ¼), (0, 0, 1, 0).
    let weights: [[Double]] = [[2, 1, 0, 0.25], [0, 0.5, -1, 0.25], [0, 0, 1, 0]]
    var configuration = PaperFeatureOcclusionConfiguration()
    configuration.layer = "relu"
    configuration.fractionCount = 4
    configuration.orderCount = 3
    configuration.seed = 5
    let images = try Tensor(shape: [2, 1, 2, 2], scalars: [1, 2, 3, 4, 1, 2, 3, 4])
    let masks = [[true, false, false, false], [true, false, false, false]]
    let result = try PaperFeatureOcclusion(network: try tinyNetwork(), configuration: configuration).run(images: images, masks: masks, labels: [0, 0])
    #expect(result.mapShape == [1, 2, 2] && result.meanBackgroundUnits == 3)
    let thirds: [Double] = [0, 1.0 / 3, 2.0 / 3, 1]
    #expect(result.points.map(\.fraction) == thirds)
    let counts: [Double] = [0, 1, 2, 3]
    #expect(result.points.map(\.meanOccludedPositions) == counts)
    // By hand: nothing occluded → logits (5, −1, 3), gap 2; everything → a = (1, 0, 0, 0), logits (2, 0, 0), gap 2.
    #expect(abs(result.points[0].meanLogitGap - 2) < 1e-9 && abs(result.points[3].meanLogitGap - 2) < 1e-9)

    // Naive: every image, order and fraction by plain loops, logits averaged over the orders.
    var gaps = [[Double]](repeating: [], count: 4)
    for image in 0..<2 {
        for (f, k) in [0, 1, 2, 3].enumerated() {
            var averaged = [0.0, 0, 0]
            for order in 0..<3 {
                let sequence = PaperFeatureOcclusion.unitOrder(unitCount: 3, seed: PaperFeatureOcclusion.orderSeed(5, image: image, order: order)).map { [1, 2, 3][$0] }
                var a = [1.0, 2, 3, 4]
                for unit in sequence.prefix(k) { a[unit] = 0 }
                for c in 0..<3 { averaged[c] += (0..<4).map { weights[c][$0] * a[$0] }.reduce(0, +) / 3 }
            }
            gaps[f].append(averaged[0] - max(averaged[1], averaged[2]))
        }
    }
    for f in 0..<4 {
        let mean = (gaps[f][0] + gaps[f][1]) / 2
        #expect(abs(result.points[f].meanLogitGap - mean) < 1e-5)
        // Population standard deviation of two values: half their distance.
        #expect(abs(result.gapStandardDeviations[f] - abs(gaps[f][0] - gaps[f][1]) / 2) < 1e-5)
        #expect(result.points[f].accuracy == Double(gaps[f].filter { $0 > 0 }.count) / 2)
    }
    // Seeded.
    let again = try PaperFeatureOcclusion(network: try tinyNetwork(), configuration: configuration).run(images: images, masks: masks, labels: [0, 0])
    #expect(again.points == result.points)
    #expect(ExperimentTables.csv(result).split(separator: "\n").count == 5)
}

@Test func paperFeatureOcclusionPicksCorrectlyClassifiedImagesPerClass() {
    let labels = [0, 1, 0, 1, 2, 0]
    let predictions = [0, 0, 0, 1, 2, 0]
    #expect(PaperFeatureOcclusion.correctlyClassifiedIndices(predictions: predictions, labels: labels, perClass: 2, classCount: 3) == [0, 2, 3, 4])
    #expect(PaperFeatureOcclusion.correctlyClassifiedIndices(predictions: predictions, labels: labels, perClass: 1, classCount: 3) == [0, 3, 4])
}

@Test func preparedRankingsAreReusedByTheCells() throws {
    let url = try emptyFolder()
    defer { try? FileManager.default.removeItem(at: url) }
    let folder = RoarKarFolder(path: url.path)
    var configuration = tinyPaperConfiguration()
    configuration.rankings = [.random, .method(.saliency)]
    let run = PaperRemoveAndRetrain(network: try Demo.shippedNetwork(), configuration: configuration, folder: folder)
    #expect(try run.prepareRankings() == [.method(.saliency)])
    #expect(try run.prepareRankings().isEmpty)
    #expect(folder.finishedResults().results.isEmpty)
    // The cached scores are the scores a cell computes: the channel sum of the saliency map for the predicted class.
    let test = try ShapesDataset(split: .test, count: 10, seed: configuration.seed)
    let cached = try run.scores(.method(.saliency), dataset: test)
    let predicted = try Evaluation.predictions(of: run.network, images: test.images)
    let session = try AttributionSession(network: run.network, input: try test.image(at: 3), targets: .perExample([predicted[3]]))
    let direct = try PixelRanking.scores(of: try session.attribute(.saliency).map, positivePartOnly: false)
    #expect(zip(cached[3], direct).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
}
