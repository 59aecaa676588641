import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad dataset`: the built-in dataset as files.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Write images of the built-in shapes dataset as files.",
        subcommands: [DatasetExportCommand.self]
    )
}

/// `rectgrad dataset export --count N --out DIR`.
struct DatasetExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export held-out shapes images as PNG files with their masks and a manifest.",
        discussion: """
        Writes DIR/images/<index>-<shape>.png (32×32), DIR/masks/<index>-<shape>.png (white on \
        the object) and DIR/manifest.csv (path,label with the class index the shipped cifar-cnn \
        weights use). The default split and seed are the shipped model's held-out images, so \
        `rectgrad attribute --model cifar-cnn --manifest DIR/manifest.csv …` explains images the \
        model never saw in training.
        """
    )

    @Option(name: .long, help: ArgumentHelp("Number of images.", valueName: "n"))
    var count: Int

    @Option(name: .long, help: ArgumentHelp("The folder to write into (created if needed).", valueName: "dir"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("The split: test (held out, default) or train.", valueName: "test|train"))
    var split = "test"

    @Option(name: .long, help: ArgumentHelp("The dataset seed (default: the shipped model's, \(ShippedModel.recipe.seed)).", valueName: "n"))
    var seed: UInt64 = ShippedModel.recipe.seed

    func validate() throws {
        guard count >= 1, count <= ShapesDataset.maximumCount else { throw ValidationError("--count must be in 1…\(ShapesDataset.maximumCount), got \(count).") }
        guard DatasetSplit(rawValue: split) != nil else { throw ValidationError("--split must be test or train, got '\(split)'.") }
        try FileAccess.checkOutputFolder(out, option: "--out")
    }

    func run() throws {
        let export = ShapesExport(split: DatasetSplit(rawValue: split) ?? .test, seed: seed)
        let manifest: URL
        do { manifest = try export.write(count: count, to: URL(fileURLWithPath: out, isDirectory: true)) } catch { throw CommandFailure("\(error)") }
        print("wrote \(count) images, masks and \(manifest.path)")
    }
}
