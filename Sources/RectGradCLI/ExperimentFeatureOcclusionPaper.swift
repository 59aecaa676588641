import ArgumentParser
import Foundation
import RectifiedGradient

/// The options of `feature-occlusion --protocol paper`.
struct PaperFeatureOcclusionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Paper protocol: correctly classified held-out images per class.", valueName: "n"))
    var imagesPerClass = 10

    @Option(name: .long, help: ArgumentHelp("Paper protocol: random orders the logits are averaged over.", valueName: "n"))
    var orders = 50

    @Option(name: .long, help: ArgumentHelp("Paper protocol: occlusion fractions, evenly from 0 to 1.", valueName: "n"))
    var fractions = 100

    @Option(name: .long, help: ArgumentHelp("Paper protocol: held-out images searched for correctly classified ones.", valueName: "n"))
    var candidates = 2_000
}

extension FeatureOcclusionCommand {
    /// `--protocol paper`: the notebook's unit-level occlusion of the first convolution's output.
    func runPaper(workers: Workers) throws {
        var configuration = PaperFeatureOcclusionConfiguration()
        if let layer { configuration.layer = layer }
        configuration.orderCount = paper.orders
        configuration.fractionCount = paper.fractions
        configuration.seed = common.seed
        try configuration.validate()
        guard paper.imagesPerClass >= 1 else { throw ValidationError("--images-per-class must be at least 1, got \(paper.imagesPerClass).") }
        guard (1...ShapesDataset.maximumCount).contains(paper.candidates) else { throw ValidationError("--candidates must lie in 1...\(ShapesDataset.maximumCount).") }
        let network = try common.network()
        let occlusion = PaperFeatureOcclusion(network: network, configuration: configuration, workers: workers)
        _ = try occlusion.splitIndex()
        let test = try ShapesDataset(split: .test, count: paper.candidates, seed: common.seed)
        let predictions = try Evaluation.predictions(of: network, images: test.images, workers: workers)
        let chosen = PaperFeatureOcclusion.correctlyClassifiedIndices(predictions: predictions, labels: test.labels, perClass: paper.imagesPerClass, classCount: network.classCount)
        guard !chosen.isEmpty else { throw ValidationError("no correctly classified image among the \(paper.candidates) --candidates.") }
        let batch = try test.batch(chosen)
        let masks = try chosen.map { try test.mask(at: $0) }
        print("feature-map occlusion, paper protocol: \(configuration.layer), \(chosen.count) correctly classified held-out images (\(paper.imagesPerClass) per class, seed \(common.seed)), \(configuration.fractionCount) fractions × \(configuration.orderCount) orders; explained model: \(common.weightsDescription)")
        fflush(nil)
        let clock = ContinuousClock()
        let start = clock.now
        let progress = ProgressLine(plainInterval: .seconds(60))
        let result = try occlusion.run(images: batch.images, masks: masks, labels: batch.labels) { progress.update($0) }
        progress.clear()
        let elapsed = clock.now - start
        let markdown = ExperimentTables.markdown(result)
        print(markdown)
        print(String(format: "%.1f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        try common.write(markdown, to: "results.md")
        try common.write(ExperimentTables.csv(result), to: "results.csv")
        try common.write(ExperimentTables.chart(result), to: "gap.png")
        print("wrote results.md, results.csv and gap.png to \(common.out)")
    }
}
