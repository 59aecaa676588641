import Foundation
import RectGradAttribution
import RectGradCore
import RectGradData

/// A group of sanity checks or faithfulness metrics that `rectgrad evaluate` runs.
public enum EvaluationCheck: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Model randomisation (cascading and independent) and, on the shapes dataset, data randomisation.
    case randomisation
    /// Deletion, insertion and MoRF / LeRF pixel flipping.
    case deletion
    /// Max- and average-sensitivity.
    case sensitivity
    /// Pointing game and relevance-mass accuracy (needs object masks).
    case localisation

    public var description: String { rawValue }

    /// The checks a comma-separated list names, in the canonical order, without repeats; `all` stands
    /// for every check.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `checks` for an unknown name
    ///   or an empty list.
    public static func parse(_ list: String) throws(ExperimentError) -> [EvaluationCheck] {
        let items = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw .invalidOption(name: "checks", reason: "needs at least one check") }
        var chosen = Set<EvaluationCheck>()
        for item in items {
            if item == "all" { chosen.formUnion(allCases); continue }
            let spelled = item == "randomization" ? "randomisation" : item == "localization" ? "localisation" : item
            guard let check = EvaluationCheck(rawValue: spelled) else {
                throw .invalidOption(name: "checks", reason: "unknown check '\(item)'\(Spelling.didYouMean(item, in: allCases.map(\.rawValue))); valid checks: \(allCases.map(\.rawValue).joined(separator: ", ")) (or 'all')")
            }
            chosen.insert(check)
        }
        return allCases.filter(chosen.contains)
    }
}

/// The settings of an evaluation run, checked in one place with errors that name the option.
public struct EvaluationSettings: Sendable {
    /// The methods compared, in table order (default ``defaultMethods``).
    public var methods: [MethodName] = EvaluationSettings.defaultMethods
    /// The checks run.
    public var checks: [EvaluationCheck] = EvaluationCheck.allCases
    /// Held-out shapes images (when no photos are given).
    public var imageCount = 100
    /// The layers evaluated by model randomisation (`nil`: all).
    public var layers: [String]?
    /// Deletion / insertion settings.
    public var perturbation = PerturbationSummary.Settings()
    /// The L∞ radius of the sensitivity noise, in the network's input units.
    public var radius: Float = 0.02
    /// Noise samples per image for sensitivity.
    public var sensitivitySamples = 10
    /// Seeds the noise, the random weights, the tie-breaking and the random ranking.
    public var seed: UInt64 = 0
    /// Whether model randomisation also runs the data-randomisation check (shapes only).
    public var dataRandomisation: DataRandomisation? = DataRandomisation()

    /// The defaults.
    public init() {}

    /// The largest ``imageCount`` accepted.
    public static let maximumImageCount = 10_000

    /// Checks every setting.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `method` (empty or repeated), `count`, `radius`,
    ///   `sensitivity-samples`, `deletion-steps`, `blur-sigma`, `checks`, `permuted-train-count` or
    ///   `permuted-epochs`.
    public func validate() throws(ExperimentError) {
        guard !methods.isEmpty else { throw .invalidOption(name: "method", reason: "needs at least one method") }
        guard Set(methods).count == methods.count else { throw .invalidOption(name: "method", reason: "a method is named twice") }
        guard !checks.isEmpty else { throw .invalidOption(name: "checks", reason: "needs at least one check") }
        guard (1...Self.maximumImageCount).contains(imageCount) else {
            throw .invalidOption(name: "count", reason: "must be in 1...\(Self.maximumImageCount), got \(imageCount)")
        }
        guard radius.isFinite, radius >= 0 else { throw .invalidOption(name: "radius", reason: "must be ≥ 0 and finite, got \(radius)") }
        guard sensitivitySamples >= 1 else {
            throw .invalidOption(name: "sensitivity-samples", reason: "must be at least 1, got \(sensitivitySamples)")
        }
        try perturbation.validate()
        if let data = dataRandomisation {
            guard (1...ShapesDataset.maximumCount).contains(data.trainCount) else {
                throw .invalidOption(name: "permuted-train-count", reason: "must be in 1...\(ShapesDataset.maximumCount), got \(data.trainCount)")
            }
            do { try data.training.validate() } catch {
                throw .invalidOption(name: "permuted-epochs", reason: "\(error)")
            }
        }
    }
}
