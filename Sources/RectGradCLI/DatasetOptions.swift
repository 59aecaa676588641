import ArgumentParser
import Foundation
import RectifiedGradient

/// The options of `attribute`'s dataset mode (a folder argument or `--manifest`).
struct DatasetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A CSV manifest of images, 'path' or 'path,target' per line (paths relative to the manifest; target a class index or name): a dataset run.", valueName: "file.csv"))
    var manifest: String?

    @Option(name: .long, help: ArgumentHelp("Images per forward pass of a dataset run (default 8).", valueName: "n"))
    var batchSize = 8

    @Option(name: .long, help: ArgumentHelp("The share of a dataset run this process takes, e.g. 0/4 for the first of four (for job arrays: --shard $SLURM_ARRAY_TASK_ID/4).", valueName: "i/n"))
    var shard: String?

    @Flag(name: .long, help: "Stop a dataset run at the first image that cannot be read or decoded (default: record it in the index and go on).")
    var failFast = false

    /// Exit status of a dataset run that finished but recorded failed images.
    static let skippedImagesExitCode: Int32 = 3

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize).") }
        _ = try shardSelection()
    }

    /// `--shard`, or the whole dataset.
    func shardSelection() throws -> ShardSelection {
        guard let shard else { return .whole }
        // Through an untyped closure: catching `ShardSelectionError` straight from the typed
        // `init(parsing:)` crashed an incremental release build here when describing the error
        // (Swift 6.3.1; possibly a stale build, not rechecked after a clean one).
        let parse: (String) throws -> ShardSelection = { try ShardSelection(parsing: $0) }
        do { return try parse(shard) } catch { throw ValidationError("--shard: \(error)") }
    }
}
