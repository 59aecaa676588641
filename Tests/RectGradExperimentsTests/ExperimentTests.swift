import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradLayers
import RectGradExperiments
import RectGradReport

// MARK: Pixel ranking and masking (ROAR / KAR)

@Test func scoresSumChannelsAndRectGradKeepsOnlyThePositivePart() throws {
    // Two channels of a 1×2 map: pixel 0 = (1, −2), pixel 1 = (−3, 1).
    let map = try Tensor(shape: [2, 1, 2], scalars: [1, -3, -2, 1])
    #expect(try PixelRanking.scores(of: map, positivePartOnly: false) == [-1, -2])
    #expect(try PixelRanking.scores(of: map, positivePartOnly: true) == [1, 1])
    #expect(throws: ExperimentError.self) { try PixelRanking.scores(of: Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), positivePartOnly: false) }
}

@Test func orderIsDescendingWithTiesInRowMajorOrder() throws {
    let scores: [Float] = [0.5, 2, 2, -1, 0.5, 3, 0, 2]
    #expect(try PixelRanking.order(scores) == [5, 1, 2, 7, 0, 4, 6, 3])
    #expect(try PixelRanking.order([0, 0, 0]) == [0, 1, 2])
    #expect(throws: ExperimentError.self) { try PixelRanking.order([1, .nan]) }
}

@Test func countsRoundToNearestWithHalvesToEven() throws {
    #expect(try [10.0, 30, 50, 70, 90].map { try PixelRanking.count(percentage: $0, of: 1024) } == [102, 307, 512, 717, 922])
    // 8 pixels: 6.25 % is 0.5 → 0, 18.75 % is 1.5 → 2, 31.25 % is 2.5 → 2, 100 % is 8.
    #expect(try [0, 6.25, 18.75, 31.25, 100].map { try PixelRanking.count(percentage: $0, of: 8) } == [0, 0, 2, 2, 8])
    #expect(throws: ExperimentError.self) { try PixelRanking.count(percentage: 101, of: 8) }
}

@Test func roarReplacesTheTopPixelsByTheChannelMeansAndKarTheRest() throws {
    let order = try PixelRanking.order([0.5, 2, 2, -1, 0.5, 3, 0, 2])   // [5, 1, 2, 7, 0, 4, 6, 3]
    // 30 % of 8 pixels is 2.4 → 2: pixels 5 and 1.
    let roar = try PixelRanking.replacedPixels(order: order, percentage: 30, mode: .removeTop)
    let kar = try PixelRanking.replacedPixels(order: order, percentage: 30, mode: .keepTop)
    #expect(roar == [false, true, false, false, false, true, false, false])
    #expect(kar == roar.map { !$0 })

    // Two channels of 8 pixels; channel means over a batch of two such images.
    let first: [Float] = Array(0..<16).map(Float.init)
    let second: [Float] = Array(repeating: 1, count: 16)
    let batch = try Tensor(shape: [2, 2, 2, 4], scalars: first + second)
    let means = try PixelRanking.channelMeans(of: batch)
    // (0+…+7 + 8·1) / 16 = 2.25 and (8+…+15 + 8·1) / 16 = 6.25
    let expectedMeans: [Float] = [2.25, 6.25]
    #expect(means == expectedMeans)
    var image = first
    try PixelRanking.replace(&image, pixels: roar, fill: [-1, -2])
    #expect(image == [0, -1, 2, 3, 4, -1, 6, 7, 8, -2, 10, 11, 12, -2, 14, 15])
    #expect(throws: ExperimentError.self) { try PixelRanking.replace(&image, pixels: [true, false, true], fill: [0, 0]) }
    #expect(throws: ExperimentError.self) { try PixelRanking.replacedPixels(order: [0, 0, 1], percentage: 10, mode: .removeTop) }
}

@Test(arguments: [0.0, 10, 30, 50, 70, 90, 100])
func roarAndKarReplaceComplementarySets(percentage: Double) throws {
    let order = PixelRanking.randomOrder(pixelCount: 1024, seed: 7)
    let roar = try PixelRanking.replacedPixels(order: order, percentage: percentage, mode: .removeTop)
    let kar = try PixelRanking.replacedPixels(order: order, percentage: percentage, mode: .keepTop)
    #expect(zip(roar, kar).allSatisfy { $0 != $1 })
    #expect(roar.filter { $0 }.count == (try PixelRanking.count(percentage: percentage, of: 1024)))

    // On a batch: every pixel keeps its value in exactly one of the two copies (values ≠ fill).
    let images = Tensor.randomUniform([2, 3, 32, 32], low: 1, high: 2, seed: 3)
    let orders = [order, PixelRanking.randomOrder(pixelCount: 1024, seed: 8)]
    let fill: [Float] = [-1, -2, -3]
    let removed = try RemoveAndRetrain.replacing(images: images, orders: orders, percentage: percentage, mode: .removeTop, fill: fill)
    let kept = try RemoveAndRetrain.replacing(images: images, orders: orders, percentage: percentage, mode: .keepTop, fill: fill)
    for i in 0..<images.count {
        let original = images[flat: i]
        #expect((removed[flat: i] == original) != (kept[flat: i] == original))
        #expect(removed[flat: i] == original || removed[flat: i] == fill[(i / 1024) % 3])
    }
}

@Test func randomRankingIsASeededPermutation() throws {
    let a = PixelRanking.randomOrder(pixelCount: 1024, seed: 42)
    #expect(a == PixelRanking.randomOrder(pixelCount: 1024, seed: 42))
    #expect(a != PixelRanking.randomOrder(pixelCount: 1024, seed: 43))
    #expect(a.sorted() == Array(0..<1024))
    #expect(a != Array(0..<1024))

    // Per image and split: reproducible, different between images and between splits.
    let run = RemoveAndRetrain(network: try tinyNetwork(), configuration: RemoveAndRetrainConfiguration())
    let images = Tensor.zeros([3, 1, 2, 2])
    let train = try run.orders(.random, images: images, labels: [0, 1, 2], split: .train)
    #expect(train == (try run.orders(.random, images: images, labels: [0, 1, 2], split: .train)))
    #expect(train != (try run.orders(.random, images: images, labels: [0, 1, 2], split: .test)))
    #expect(train.allSatisfy { $0.sorted() == [0, 1, 2, 3] })
    #expect(Set(train).count >= 2)
}

@Test func rankingSourcesParseMethodNamesAndRandom() throws {
    #expect(try PixelRankingSource(parsing: "RectGrad") == .method(.rectGrad))
    #expect(try PixelRankingSource(parsing: "random") == .random)
    #expect(throws: ExperimentError.self) { try PixelRankingSource(parsing: "nope") }
    var configuration = RemoveAndRetrainConfiguration()
    configuration.rankings = [.method(.occlusion)]
    #expect(throws: ExperimentError.self) { try configuration.validate() }
}

@Test func aTinyRoarKarRunRetrainsEveryCellAndWritesTheTables() throws {
    var configuration = RemoveAndRetrainConfiguration()
    configuration.rankings = [.method(.rectGrad), .random]
    configuration.percentages = [50]
    configuration.trainCount = 20
    configuration.testCount = 10
    configuration.epochs = 1
    configuration.batchSize = 10
    let result = try RemoveAndRetrain(network: try Demo.shippedNetwork(), configuration: configuration).run()
    #expect(result.outcomes.count == 4)
    #expect(result.outcomes.map(\.mode) == [.removeTop, .keepTop, .removeTop, .keepTop])
    #expect(result.outcomes.allSatisfy { (0...1).contains($0.accuracy) && $0.percentage == 50 })
    #expect(result.unmodifiedAccuracy.map { (0...1).contains($0) } == true)
    #expect(result.rankingStatistics.map(\.ranking) == ["rectgrad", "random"])
    #expect(result.rankingStatistics.allSatisfy { $0.topOnObject.count == 1 && (0...1).contains($0.topOnObject[0]) })
    #expect(result.rankingStatistics.last?.tiedFraction == 0)
    let markdown = ExperimentTables.markdown(result)
    #expect(markdown.contains("| rectgrad | ") && markdown.contains("| random | ") && markdown.contains("KAR") && markdown.contains("on object"))
    let csv = ExperimentTables.csv(result).split(separator: "\n")
    #expect(csv.count == 6 && csv[0] == "ranking,mode,percentage,accuracy,seconds")
    let charts = ExperimentTables.charts(result)
    #expect(charts.count == 2)
    #expect(try charts[0].chart.render().width > 360)
}

// MARK: Feature-map occlusion

/// input [1, 1, 2, 2] → 1×1 convolution with weight 1 (identity) → ReLU "relu" → flatten →
/// dense 4 → 3 with rows (2, 1, 0, ¼), (0, ½, −1, ¼), (0, 0, 1, 0), no biases.
func tinyNetwork() throws -> Network {
    let layers: [any Layer] = [
        Conv2D(name: "conv", weight: try Tensor(shape: [1, 1, 1, 1], scalars: [1]), bias: try Tensor(shape: [1], scalars: [0])),
        Activation(name: "relu"),
        Flatten(name: "flatten"),
        Linear(name: "fc", weight: try Tensor(shape: [3, 4], scalars: [2, 1, 0, 0.25, 0, 0.5, -1, 0.25, 0, 0, 1, 0])),
    ]
    return Network(name: "tiny", inputChannels: 1, inputSize: .square(2), requiresFixedInputSize: true, classCount: 3, body: Sequential(name: "tiny", layers))
}

@Test func featureOcclusionOnAHandBuiltNetworkGivesTheHandComputedGaps() throws {
    // Activations a = (1, 2, 3, 4); object = pixel 0, background = pixels 1, 2, 3.
    // Logits (5, −1, 3): gap 2. Importance a·∂S₀/∂a = (2, 2, 0, 1) → background order 1, 3, 2.
    var configuration = FeatureOcclusionConfiguration()
    configuration.layer = "relu"
    configuration.fractions = [0, 0.5, 1]
    let images = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    let run = FeatureMapOcclusion(network: try tinyNetwork(), configuration: configuration)
    let result = try run.run(images: images, masks: [[true, false, false, false]], labels: [0])
    #expect(result.mapShape == [1, 2, 2])
    #expect(result.meanBackgroundPositions == 3 && result.meanObjectPositions == 1)
    func curve(_ order: FeatureOcclusionOrder) -> [FeatureOcclusionPoint] { result.curves.first { $0.order == order }?.points ?? [] }

    // Background, most important first: 0.5 → round(1.5) = 2 positions (1, 3): a = (1, 0, 3, 0),
    // logits (2, −3, 3), gap −1; all three: a = (1, 0, 0, 0), logits (2, 0, 0), gap 2.
    #expect(curve(.backgroundMostImportant).map(\.meanLogitGap) == [2, -1, 2])
    #expect(curve(.backgroundMostImportant).map(\.accuracy) == [1, 0, 1])
    #expect(curve(.backgroundMostImportant).map(\.meanOccludedPositions) == [0, 2, 3])
    // Random background order: the same at 0 and 1.
    #expect(curve(.backgroundRandom).first?.meanLogitGap == 2 && curve(.backgroundRandom).last?.meanLogitGap == 2)
    // Object: 0.5 → round(0.5) = 0 positions; all: a = (0, 2, 3, 4), logits (3, −1, 3), gap 0 (not correct).
    #expect(curve(.objectMostImportant).map(\.meanLogitGap) == [2, 2, 0])
    #expect(curve(.objectRandom).map(\.accuracy) == [1, 1, 0])

    // Seeded: a second run is identical.
    let again = try run.run(images: images, masks: [[true, false, false, false]], labels: [0])
    #expect(again.curves == result.curves)
    let table = ExperimentTables.markdown(result)
    #expect(table.contains("background-most-important: gap") && table.contains("| 0.5 | "))
    #expect(ExperimentTables.csv(result).contains("background-most-important,0.5,-1.0000,0.0000,2.00"))
}

@Test func objectPositionsMarkBlocksWithAnyObjectPixel() throws {
    // A 4×4 mask onto a 2×2 map: blocks of 2×2 pixels.
    let mask: [Bool] = [
        false, false, false, false,
        false, false, false, true,
        false, false, false, false,
        true, false, false, false,
    ]
    #expect(try FeatureMapOcclusion.objectPositions(mask: mask, imageHeight: 4, imageWidth: 4, mapHeight: 2, mapWidth: 2) == [false, true, true, false])
    #expect(throws: ExperimentError.self) { try FeatureMapOcclusion.objectPositions(mask: mask, imageHeight: 4, imageWidth: 4, mapHeight: 3, mapWidth: 3) }
}

@Test func featureOcclusionRejectsAnUnknownLayer() throws {
    var configuration = FeatureOcclusionConfiguration()
    configuration.layer = "conv9"
    let run = FeatureMapOcclusion(network: try tinyNetwork(), configuration: configuration)
    #expect(throws: ExperimentError.self) {
        try run.run(images: Tensor.zeros([1, 1, 2, 2]), masks: [[true, false, false, false]], labels: [0])
    }
}

@Test func rankingStatisticsCountTiesAndTopPixelsOnTheObject() throws {
    // Image A: scores (3, 0, 0, 1), two tied zeros, object at pixels 0 and 3 = its top 50 %.
    // Image B: scores (1, 2, 3, 4), no ties, object at pixel 0 = outside its top 50 % (3, 2).
    let scores: [[Float]] = [[3, 0, 0, 1], [1, 2, 3, 4]]
    let orders = try scores.map { try PixelRanking.order($0) }
    #expect(orders == [[0, 3, 1, 2], [3, 2, 1, 0]])
    let masks = [[true, false, false, true], [true, false, false, false]]
    let statistics = try RankingStatistics.measure(ranking: "m", orders: orders, scores: scores, masks: masks, percentages: [50, 100])
    #expect(statistics.tiedFraction == 0.25)
    #expect(statistics.topOnObject == [0.5, 0.375])
    #expect(statistics.objectFraction == 0.375)
    #expect(throws: ExperimentError.self) { try RankingStatistics.measure(ranking: "m", orders: orders, scores: nil, masks: [[true]], percentages: [50]) }
}
