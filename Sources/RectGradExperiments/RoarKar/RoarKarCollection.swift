/// The finished cells of a paper-protocol folder gathered into a table: mean and spread per
/// (ranking, mode, p) over the finished repeats, and the cells still missing.
public struct RoarKarCollection: Sendable {
    /// Mean and spread of one table entry over its finished repeats.
    public struct Entry: Sendable, Hashable {
        /// Finished repeats.
        public var count: Int
        /// Mean test accuracy.
        public var mean: Double
        /// Sample standard deviation (n − 1), 0 for a single repeat.
        public var standardDeviation: Double
        /// Lowest and highest accuracy.
        public var minimum: Double, maximum: Double
        /// Mean seconds per retraining.
        public var meanSeconds: Double

        /// Summarises `results` (at least one).
        init?(_ results: [RoarKarCellResult]) {
            guard !results.isEmpty else { return nil }
            let values = results.map(\.accuracy)
            count = values.count
            mean = values.reduce(0, +) / Double(count)
            let m = mean
            standardDeviation = count > 1 ? (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(count - 1)).squareRoot() : 0
            minimum = values.min() ?? 0
            maximum = values.max() ?? 0
            meanSeconds = results.map(\.seconds).reduce(0, +) / Double(count)
        }
    }

    /// The protocol the folder was run with.
    public var configuration: PaperRoarKarConfiguration
    /// Finished results by cell key.
    public var results: [String: RoarKarCellResult]
    /// Cells of the protocol without a finished result, in run order.
    public var missing: [RoarKarCell]
    /// Files in `cells/` that are not a finished result of this protocol (temporary, truncated or
    /// foreign files).
    public var ignoredFiles: [String]

    /// Gathers the finished cells of `folder` under the protocol it recorded.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for `out` when the folder has no
    ///   valid `protocol.json`.
    public init(folder: RoarKarFolder) throws(ExperimentError) {
        self.init(configuration: try folder.recordedConfiguration(), folder: folder)
    }

    /// Gathers the finished cells of `folder`.
    public init(configuration: PaperRoarKarConfiguration, folder: RoarKarFolder) {
        let found = folder.finishedResults(fingerprint: configuration.fingerprint)
        self.init(configuration: configuration, results: found.results, ignoredFiles: found.unreadable)
    }

    /// Gathers `results` (by key) under `configuration`.
    public init(configuration: PaperRoarKarConfiguration, results: [String: RoarKarCellResult], ignoredFiles: [String] = []) {
        self.configuration = configuration
        let keys = Set(configuration.cells.map(\.key))
        self.results = results.filter { keys.contains($0.key) }
        missing = configuration.cells.filter { results[$0.key] == nil }
        self.ignoredFiles = ignoredFiles + results.keys.filter { !keys.contains($0) }.sorted().map { $0 + ".json" }
    }

    /// Finished cells.
    public var finishedCount: Int { results.count }

    /// The unmodified reference over its finished repeats.
    public var unmodified: Entry? {
        Entry((1...max(configuration.repeats, 1)).compactMap { results[RoarKarCell(kind: .unmodified, repeatIndex: $0).key] })
    }

    /// The entry of (ranking, mode, p) over its finished repeats.
    public func entry(ranking: PixelRankingSource, mode: RetrainingMode, percentage: Double) -> Entry? {
        Entry((1...max(configuration.repeats, 1)).compactMap {
            results[RoarKarCell(kind: .modified(ranking: ranking, mode: mode, percentage: percentage), repeatIndex: $0).key]
        })
    }

    /// Mean wall-clock seconds of a finished cell (`nil` before the first).
    public var meanCellSeconds: Double? {
        results.isEmpty ? nil : results.values.map(\.seconds).reduce(0, +) / Double(results.count)
    }
}
