import Foundation
import RectGradAttribution

extension PaperRoarKarConfiguration {
    /// The settings of a run as stored in its folder (`protocol.json`), so that `collect` needs
    /// only the folder. The dataset style and the architecture are the standard ones.
    public struct Record: Codable, Sendable, Hashable {
        /// Ranking names (``PixelRankingSource/description``).
        public var rankings: [String]
        /// ``PaperRoarKarConfiguration/percentages``.
        public var percentages: [Double]
        /// ``RetrainingMode`` raw values.
        public var modes: [String]
        /// ``PaperRoarKarConfiguration/repeats``.
        public var repeats: Int
        /// ``PaperRoarKarConfiguration/trainCount``.
        public var trainCount: Int
        /// ``PaperRoarKarConfiguration/testCount``.
        public var testCount: Int
        /// ``PaperRoarKarConfiguration/seed``.
        public var seed: UInt64
        /// ``PaperRoarKarConfiguration/epochs``.
        public var epochs: Int
        /// ``PaperRoarKarConfiguration/batchSize``.
        public var batchSize: Int
        /// ``PaperRoarKarConfiguration/learningRate``.
        public var learningRate: Float
        /// ``PaperRoarKarConfiguration/tieBreakingNoise``.
        public var tieBreakingNoise: Double
        /// RectGrad's percentile q.
        public var percentile: Double
        /// Integrated-gradients steps.
        public var integratedGradientsSteps: Int
        /// SmoothGrad samples.
        public var smoothGradSamples: Int
        /// SmoothGrad noise level.
        public var smoothGradNoiseLevel: Float
        /// SmoothGrad's noise seed.
        public var smoothGradSeed: UInt64
        /// ``PaperRoarKarConfiguration/attributionBatchSize``.
        public var attributionBatchSize: Int
        /// The configuration's ``PaperRoarKarConfiguration/fingerprint``, checked on reading.
        public var fingerprint: String
    }

    /// The record of these settings.
    public var record: Record {
        Record(
            rankings: rankings.map(\.description), percentages: percentages, modes: modes.map(\.rawValue), repeats: repeats,
            trainCount: trainCount, testCount: testCount, seed: seed, epochs: epochs, batchSize: batchSize,
            learningRate: learningRate, tieBreakingNoise: tieBreakingNoise, percentile: parameters.percentile,
            integratedGradientsSteps: parameters.steps, smoothGradSamples: parameters.samples,
            smoothGradNoiseLevel: parameters.noiseLevel, smoothGradSeed: parameters.seed,
            attributionBatchSize: attributionBatchSize, fingerprint: fingerprint
        )
    }

    /// The configuration a record describes.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for an unknown name, invalid
    ///   settings, or a record whose fingerprint does not match its settings (a non-standard
    ///   dataset style or architecture).
    public init(record: Record) throws(ExperimentError) {
        self.init()
        rankings = try record.rankings.map { text throws(ExperimentError) in try PixelRankingSource(parsing: text) }
        percentages = record.percentages
        modes = try record.modes.map { text throws(ExperimentError) in
            guard let mode = RetrainingMode(rawValue: text) else { throw .invalidOption(name: "modes", reason: "unknown mode '\(text)'") }
            return mode
        }
        repeats = record.repeats
        trainCount = record.trainCount
        testCount = record.testCount
        seed = record.seed
        epochs = record.epochs
        batchSize = record.batchSize
        learningRate = record.learningRate
        tieBreakingNoise = record.tieBreakingNoise
        parameters.percentile = record.percentile
        parameters.steps = record.integratedGradientsSteps
        parameters.samples = record.smoothGradSamples
        parameters.noiseLevel = record.smoothGradNoiseLevel
        parameters.seed = record.smoothGradSeed
        attributionBatchSize = record.attributionBatchSize
        try validate()
        guard fingerprint == record.fingerprint else {
            throw .invalidOption(name: "out", reason: "protocol.json does not describe its own fingerprint (\(record.fingerprint)); it was written with settings this version cannot restore")
        }
    }
}

extension RoarKarFolder {
    var recordURL: URL { url.appendingPathComponent("protocol.json") }

    /// The protocol the folder's run recorded (`protocol.json`).
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for `out` when it is missing or malformed.
    public func recordedConfiguration() throws(ExperimentError) -> PaperRoarKarConfiguration {
        guard let data = try? Data(contentsOf: recordURL) else {
            throw .invalidOption(name: "out", reason: "\(recordURL.path) does not exist: not the folder of a paper-protocol roar-kar run")
        }
        let record: PaperRoarKarConfiguration.Record
        do { record = try JSONDecoder().decode(PaperRoarKarConfiguration.Record.self, from: data) } catch {
            throw .invalidOption(name: "out", reason: "\(recordURL.path) is not a protocol record: \(error)")
        }
        return try PaperRoarKarConfiguration(record: record)
    }

    /// Records `configuration` in `protocol.json`, or checks that the folder was made under the
    /// same settings.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for `out` when the folder holds
    ///   another protocol's cells, or cannot be written.
    public func claim(_ configuration: PaperRoarKarConfiguration) throws(ExperimentError) {
        if FileManager.default.fileExists(atPath: recordURL.path) {
            let existing = try recordedConfiguration()
            guard existing.fingerprint == configuration.fingerprint else {
                throw .invalidOption(name: "out", reason: "\(url.path) holds cells of another protocol (\(existing.fingerprint)); this run: \(configuration.fingerprint). Use another folder or the same options")
            }
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(configuration.record) else {
            throw .invalidOption(name: "out", reason: "cannot encode the protocol record")
        }
        try writeAtomically(data, to: recordURL)
    }
}
