import ArgumentParser
import Foundation
import RectifiedGradient

/// Which protocol an experiment runs: the paper's notebook, or the package's quicker one.
enum ExperimentProtocol: String, ExpressibleByArgument, CaseIterable {
    /// As the paper's notebook runs it (the default).
    case paper
    /// The package's earlier, cheaper protocol.
    case quick
}

/// The settings of the paper-protocol ROAR / KAR run, shared by the run and `collect` (which
/// must be given the same settings to find the run's cells).
struct PaperRoarKarOptions: ParsableArguments {
    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Rankings: method names and/or random (paper: random rectgrad saliency guided-backprop smoothgrad gradient-x-input integrated-gradients deeplift; quick: rectgrad saliency gradient-x-input guided-backprop integrated-gradients random).", valueName: "name"))
    var methods: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Percentages p of ranked pixels, each strictly between 0 and 100 (default 10 30 50 70 90).", valueName: "p"))
    var percentages: [Double] = []

    @Option(name: .long, help: ArgumentHelp("Training images (paper: 30000, the explained model's own; quick: 10000).", valueName: "n"))
    var trainCount: Int?

    @Option(name: .long, help: ArgumentHelp("Held-out images (default 2000).", valueName: "n"))
    var testCount: Int?

    @Option(name: .long, help: ArgumentHelp("Epochs per retraining (paper: 3, see Docs/roar-kar.md; quick: 2).", valueName: "n"))
    var epochs: Int?

    @Option(name: .long, help: ArgumentHelp("Examples per mini-batch.", valueName: "n"))
    var batchSize = 100

    @Option(name: .long, help: ArgumentHelp("Adam's learning rate.", valueName: "lr"))
    var learningRate: Float = 1e-3

    @Option(name: .long, help: ArgumentHelp("Integrated-gradients steps.", valueName: "m"))
    var igSteps = 50

    @Option(name: .long, help: ArgumentHelp("SmoothGrad samples.", valueName: "n"))
    var smoothgradSamples = 50

    @Option(name: .long, help: ArgumentHelp("Paper protocol: retrainings per cell.", valueName: "n"))
    var repeats = 3

    @Option(name: .long, help: ArgumentHelp("Paper protocol: standard deviation of the noise added to every pixel score before ranking.", valueName: "sd"))
    var tieBreakingNoise = PixelRanking.paperTieBreakingNoise

    @Option(name: .long, help: ArgumentHelp("Seeds the images, initial weights, shuffling, noise and random orders.", valueName: "n"))
    var seed: UInt64 = ShippedModel.recipe.seed

    /// The rankings given, split at commas.
    func rankings() throws -> [PixelRankingSource] {
        try methods.flatMap { $0.split(separator: ",").map(String.init) }.map { try PixelRankingSource(parsing: $0) }
    }

    /// The paper protocol with these options.
    func paperConfiguration() throws -> PaperRoarKarConfiguration {
        var c = PaperRoarKarConfiguration()
        if !methods.isEmpty { c.rankings = try rankings() }
        if !percentages.isEmpty { c.percentages = percentages }
        if let trainCount { c.trainCount = trainCount }
        if let testCount { c.testCount = testCount }
        if let epochs { c.epochs = epochs }
        c.batchSize = batchSize
        c.learningRate = learningRate
        c.parameters.steps = igSteps
        c.parameters.samples = smoothgradSamples
        c.repeats = repeats
        c.tieBreakingNoise = tieBreakingNoise
        c.seed = seed
        try c.validate()
        return c
    }
}

/// `rectgrad experiment roar-kar`.
struct RoarKarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roar-kar",
        abstract: "Remove (ROAR) or keep (KAR) the top p % pixels of every image by each method's attribution, retrain, report test accuracy.",
        discussion: """
        --protocol paper (the default) runs the paper's notebook: the explained model's (the \
        shipped cifar-cnn unless --weights) channel-summed attribution for its PREDICTED class \
        (RectGrad: positive part), plus seeded N(0, 1e-4²) noise that orders ties at random, ranks \
        the pixels of every training and held-out image; the top p % (ROAR) or all but the top \
        p % (KAR) are replaced by the per-channel training mean; cifar-cnn is retrained from \
        scratch --repeats times per cell and tested on the equally modified held-out images. \
        Every cell (unmodified reference, or ranking × mode × p, times a repeat) is written to \
        --out/cells/<key>.json as soon as it finishes; a rerun skips finished cells; --cells i/n \
        runs one share of the cells (n workers with 0/n … n−1/n cover all of them once). Pixel \
        scores are cached in --out/rankings/; --prepare-rankings computes all of them and stops \
        (copy the folder to every machine before spreading the cells). `roar-kar collect DIR` (or --collect) builds \
        results.md, results.csv, cells.csv, roar.png, kar.png and report.html from the finished \
        cells and lists the missing ones.

        --protocol quick runs the package's earlier, cheaper protocol in one go: true class, ties \
        in row-major order, one retraining per cell; it writes results.md, results.csv, roar.png \
        and kar.png.
        """,
        subcommands: [RoarKarCollectCommand.self]
    )

    @Option(name: .long, help: ArgumentHelp("Weights of the explained cifar-cnn instead of the shipped ones.", valueName: "file"))
    var weights: String?

    @Option(name: .long, help: ArgumentHelp("The output folder (required; paper protocol: the cells, caches and collected results).", valueName: "dir"))
    var out: String?

    @Option(name: .customLong("protocol"), help: ArgumentHelp("paper (the notebook's) or quick (the earlier one).", valueName: "name"))
    var experimentProtocol: ExperimentProtocol = .paper

    @OptionGroup var settings: PaperRoarKarOptions

    @OptionGroup(title: "Threads") var threadOptions: ThreadOptions

    @Option(name: .long, help: ArgumentHelp("Paper protocol: run only share i of n of the cells (0-based, e.g. 2/4).", valueName: "i/n"))
    var cells: String?

    @Flag(name: .long, help: "Paper protocol: do not train; build the table, charts and report from the finished cells in --out.")
    var collect = false

    @Flag(name: .long, help: "Paper protocol: only compute and cache every method's pixel scores in --out/rankings (to copy to other machines before spreading the cells), then stop.")
    var prepareRankings = false

    @Flag(name: .long, help: "Quick protocol: skip the retraining on unmodified images.")
    var skipUnmodified = false

    func validate() throws {
        if experimentProtocol == .quick {
            if cells != nil { throw ValidationError("--cells applies to --protocol paper only.") }
            if collect { throw ValidationError("--collect applies to --protocol paper only.") }
            if prepareRankings { throw ValidationError("--prepare-rankings applies to --protocol paper only.") }
        }
        if let cells {
            do { _ = try ShardSelection(parsing: cells) } catch {
                throw ValidationError("--cells: '\(cells)' is not a share i/n with 0 ≤ i < n (\(error))")
            }
        }
        if settings.repeats < 1 { throw ValidationError("--repeats must be at least 1, got \(settings.repeats).") }
    }

    /// `--out`, checked (required for every run; not for the `collect` subcommand).
    func outputFolder() throws -> String {
        guard let out else { throw ValidationError("Missing expected argument '--out <dir>'.") }
        try FileAccess.checkOutputFolder(out, option: "--out")
        return out
    }

    /// The explained cifar-cnn: --weights, or the shipped weights.
    func network() throws -> Network {
        try ModelOptions.load(entry: Zoo.entry(named: ShippedModel.architecture), weights: weights, randomWeights: false, weightSeed: 0, allowExtraWeights: false).model.network
    }

    var weightsDescription: String { weights.map { "weights \(($0 as NSString).lastPathComponent)" } ?? "the shipped cifar-cnn" }

    func run() throws {
        let workers = threadOptions.workers()
        let out = try outputFolder()
        switch experimentProtocol {
        case .paper:
            if collect {
                try RoarKarCollectCommand.collect(folder: out)
            } else {
                try runPaper(workers: workers)
            }
        case .quick:
            try runQuick(workers: workers)
        }
    }

    func runPaper(workers: Workers) throws {
        let configuration = try settings.paperConfiguration()
        let share = try cells.map { try ShardSelection(parsing: $0) } ?? .whole
        let out = try outputFolder()
        try FileAccess.createFolder(out, option: "--out")
        let network = try network()
        print("ROAR/KAR, paper protocol: \(configuration.rankings.map(\.description).joined(separator: ", ")); p = \(configuration.percentages.map { String(format: "%g", $0) }.joined(separator: ", ")); \(configuration.trainCount) training / \(configuration.testCount) test images, \(configuration.epochs) epochs × \(configuration.repeats) repeats, batch \(configuration.batchSize), lr \(configuration.learningRate), seed \(configuration.seed); explained model: \(weightsDescription); share \(share)")
        fflush(nil)
        let progress = ProgressLine(plainInterval: .seconds(60))
        let run = PaperRemoveAndRetrain(network: network, configuration: configuration, folder: RoarKarFolder(path: out), workers: workers)
        let report: (String) -> Void = { status in
            if status.contains(" batch ") {
                progress.update(status)
            } else {
                progress.clear()
                print("[\(Self.timestamp())] \(status)")
                fflush(nil)
            }
        }
        if prepareRankings {
            let computed = try run.prepareRankings(progress: report)
            progress.clear()
            print("scores of \(computed.count) rankings computed now; every method's scores are in \(out)/rankings")
            return
        }
        let summary = try run.run(share: share, progress: report)
        progress.clear()
        print("share \(share): \(summary.finishedCells.count) cells finished now, \(summary.skippedCells) were already finished; \(summary.shareCells) in the share, \(summary.totalCells) in the protocol")
        print("build the table with: rectgrad experiment roar-kar collect \(out)")
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date())
    }

    func runQuick(workers: Workers) throws {
        var configuration = RemoveAndRetrainConfiguration()
        if !settings.methods.isEmpty { configuration.rankings = try settings.rankings() }
        if !settings.percentages.isEmpty { configuration.percentages = settings.percentages }
        configuration.trainCount = settings.trainCount ?? 10_000
        configuration.testCount = settings.testCount ?? 2_000
        configuration.seed = settings.seed
        configuration.epochs = settings.epochs ?? 2
        configuration.batchSize = settings.batchSize
        configuration.learningRate = settings.learningRate
        configuration.parameters.steps = settings.igSteps
        configuration.parameters.samples = settings.smoothgradSamples
        configuration.includesUnmodified = !skipUnmodified
        try configuration.validate()

        let network = try network()
        print("ROAR/KAR, quick protocol: \(configuration.rankings.map(\.description).joined(separator: ", ")); p = \(configuration.percentages.map { String(format: "%g", $0) }.joined(separator: ", ")); \(configuration.trainCount) training / \(configuration.testCount) test images, \(configuration.epochs) epochs, batch \(configuration.batchSize), lr \(configuration.learningRate), seed \(configuration.seed); explained model: \(weightsDescription)")
        fflush(nil)
        let progress = ProgressLine()
        let result = try RemoveAndRetrain(network: network, configuration: configuration, workers: workers).run { status in
            if status.contains(" batch ") {
                progress.update(status)
            } else {
                progress.clear()
                print(status)
                fflush(nil)
            }
        }
        progress.clear()
        let markdown = ExperimentTables.markdown(result)
        print(markdown)
        print(String(format: "total %.1f s", result.seconds))
        let out = try outputFolder()
        try FileAccess.createFolder(out, option: "--out")
        let base = URL(fileURLWithPath: out)
        try FileAccess.write(Data(markdown.utf8), to: base.appendingPathComponent("results.md").path, option: "--out")
        try FileAccess.write(Data(ExperimentTables.csv(result).utf8), to: base.appendingPathComponent("results.csv").path, option: "--out")
        for (mode, chart) in ExperimentTables.charts(result) {
            try FileAccess.write(chart.render().encodePNG(), to: base.appendingPathComponent("\(mode.rawValue).png").path, option: "--out")
        }
        print("wrote results.md, results.csv and charts to \(out)")
    }
}

/// `rectgrad experiment roar-kar collect DIR`.
struct RoarKarCollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Build the paper-protocol table, charts and report from the finished cells of a roar-kar folder.",
        discussion: """
        Reads DIR/protocol.json (the run's settings) and DIR/cells/*.json (the cells finished so \
        far, by any number of workers whose cells were copied into DIR/cells) and writes \
        DIR/results.md, results.csv (mean ± sample standard deviation per entry), cells.csv \
        (every finished cell), roar.png, kar.png and report.html; prints the missing cells.
        """
    )

    @Argument(help: ArgumentHelp("The run's output folder.", valueName: "dir"))
    var folder: String

    func run() throws {
        try Self.collect(folder: folder)
    }

    static func collect(folder path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("collect: '\(path)' is not a folder.")
        }
        let collection = try RoarKarCollection(folder: RoarKarFolder(path: path))
        let markdown = RoarKarTables.markdown(collection)
        print(markdown)
        let base = URL(fileURLWithPath: path)
        func write(_ data: Data, _ name: String) throws {
            try FileAccess.write(data, to: base.appendingPathComponent(name).path, option: "collect")
        }
        try write(Data(markdown.utf8), "results.md")
        try write(Data(RoarKarTables.csv(collection).utf8), "results.csv")
        try write(Data(RoarKarTables.cellsCSV(collection).utf8), "cells.csv")
        for (mode, chart) in RoarKarTables.charts(collection) { try write(try chart.render().encodePNG(), "\(mode.rawValue).png") }
        try write(Data(try RoarKarTables.report(collection).render().utf8), "report.html")
        print("wrote results.md, results.csv, cells.csv, roar.png, kar.png and report.html to \(path); \(collection.missing.count) of \(collection.configuration.cells.count) cells missing")
    }
}
