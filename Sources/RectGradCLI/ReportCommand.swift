import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad report OUTDIR`: the gallery of a dataset run.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Build a paginated HTML gallery of a dataset run's output folder.",
        discussion: """
        Reads every index file of the folder (index.jsonl, index-<i>-of-<n>.jsonl) and writes \
        pages to --gallery (default OUTDIR/gallery): the input and, per method, the heatmap without \
        and with the final threshold side by side; sortable by path, class, confidence and \
        completeness gap (each order has its own pages); failed images listed on the first page. \
        Up to --embed-limit images the pictures are embedded in the pages; beyond, the pages link \
        the run's PNG files.
        """
    )

    @Argument(help: ArgumentHelp("The --output folder of `rectgrad attribute` on a dataset.", valueName: "outdir"))
    var outputFolder: String

    @Option(name: .long, help: ArgumentHelp("Where the pages go (default: OUTDIR/gallery).", valueName: "folder"))
    var gallery: String?

    @Option(name: .long, help: ArgumentHelp("Images per page (default 50).", valueName: "n"))
    var pageSize = 50

    @Option(name: .long, help: ArgumentHelp("Embed the pictures when the run has at most this many images (default 36).", valueName: "n"))
    var embedLimit = 36

    @Option(name: .long, help: ArgumentHelp("The pages' title.", valueName: "text"))
    var title = "Attribution gallery"

    func validate() throws {
        if FileAccess.entry(at: outputFolder) != .folder { throw ValidationError("\(outputFolder) is not a folder.") }
        if pageSize < 1 { throw ValidationError("--page-size must be at least 1, got \(pageSize).") }
        if embedLimit < 0 { throw ValidationError("--embed-limit must not be negative, got \(embedLimit).") }
        if let gallery { try FileAccess.checkOutputFolder(gallery, option: "--gallery") }
    }

    func run() throws {
        let layout = DatasetGallery(pageSize: pageSize, embeddingLimit: embedLimit, title: title)
        let summary: DatasetGallery.Summary
        do {
            summary = try layout.write(from: URL(fileURLWithPath: outputFolder, isDirectory: true), to: gallery.map { URL(fileURLWithPath: $0, isDirectory: true) })
        } catch { throw CommandFailure("\(error)") }
        print("wrote \(summary.pages.count) page\(summary.pages.count == 1 ? "" : "s") (\(summary.imageCount) images\(summary.failedCount > 0 ? ", \(summary.failedCount) failed" : ""), pictures \(summary.embedded ? "embedded" : "linked")); open \(summary.firstPage.path)")
    }
}
