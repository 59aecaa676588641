import ArgumentParser
import Foundation
import RectifiedGradient

/// Which classes `attribute` and `explain` explain: the predicted one, the classes `--target`
/// names (by index or name), or the `--top-k` most probable ones.
struct TargetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The explained class by index or name (292 or tiger): one for every example, or a comma-separated list with one per example (default: the predicted class).", valueName: "class[,class…]"))
    var target: String?

    @Option(name: .customLong("top-k"), help: ArgumentHelp("Explain each example's K most probable classes, one map per class (file names carry the class).", valueName: "K"))
    var topK: Int?

    @Option(name: .customLong("explained-output"), help: ArgumentHelp("What is explained of each class: logit (default), probability, log-probability, or contrast:CLASS (its logit minus the logit of CLASS, by index or name).", valueName: "kind"))
    var explainedOutput: String?

    func validate() throws {
        if target != nil && topK != nil { throw ValidationError("Give either --target or --top-k, not both.") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK).") }
        if let target, parts(target).contains(where: \.isEmpty) {
            throw ValidationError("--target must be a class index or name, or a comma-separated list of them, got '\(target)'.")
        }
        do { _ = try outputKind() } catch let error as OptionError { throw ValidationError(error.description) }
    }

    /// The kinds `--explained-output` accepts.
    static let outputKinds = ["logit", "probability", "log-probability", "contrast"]

    /// `--explained-output` split into its kind and, for `contrast`, the class as written.
    /// - Throws: an ``OptionError`` for `--explained-output`.
    func outputKind() throws -> (kind: String, contrast: String?) {
        guard let explainedOutput else { return ("logit", nil) }
        let text = explainedOutput.trimmingCharacters(in: .whitespaces)
        let colon = text.firstIndex(of: ":")
        let kind = String(text[..<(colon ?? text.endIndex)]).lowercased()
        let argument = colon.map { String(text[text.index(after: $0)...]).trimmingCharacters(in: .whitespaces) }
        guard Self.outputKinds.contains(kind) else {
            throw OptionError(option: "--explained-output", message: "unknown kind '\(kind)'\(Spelling.didYouMean(kind, in: Self.outputKinds)); give logit, probability, log-probability or contrast:CLASS")
        }
        if kind == "contrast" {
            guard let argument, !argument.isEmpty, !argument.contains(",") else {
                throw OptionError(option: "--explained-output", message: "contrast needs one class, by index or name: contrast:CLASS, got '\(text)'")
            }
            return (kind, argument)
        }
        guard argument == nil else { throw OptionError(option: "--explained-output", message: "'\(kind)' takes no value, got '\(text)'") }
        return (kind, nil)
    }

    /// `--explained-output` for `model` (the contrast class resolved by index or name).
    /// - Throws: an ``OptionError`` for `--explained-output` naming an unknown class.
    func explainedOutput(for model: Model) throws -> ExplainedOutput {
        let (kind, contrast) = try outputKind()
        switch kind {
        case "probability": return .probability
        case "log-probability": return .logProbability
        case "contrast":
            guard let contrast else { return .logit }
            let index: Int
            if let number = Int(contrast) {
                index = number
            } else if let named = model.classIndex(named: contrast) {
                index = named
            } else {
                throw OptionError(option: "--explained-output", message: "\(model.name) has no class '\(contrast)'\(Spelling.didYouMean(contrast, in: model.classNames))")
            }
            guard index >= 0, index < model.classCount else {
                throw OptionError(option: "--explained-output", message: "class \(index) is outside \(model.name)'s classes 0...\(model.classCount - 1)")
            }
            return .logitDifference(against: [index])
        default: return .logit
        }
    }

    private func parts(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// `--target` as class indices of `model` (one, or one per example), or `.predicted`.
    /// - Throws: an ``OptionError`` for `--target` naming an unknown class, with the
    ///   closest class names.
    func selection(for model: Model) throws -> TargetSelection {
        guard let target else { return .predicted }
        let classes = try parts(target).map { part -> Int in
            if let index = Int(part) { return index }
            if let index = model.classIndex(named: part) { return index }
            let hint = Spelling.didYouMean(part, in: model.classNames)
            let names = model.classNames.isEmpty ? "; \(model.name)'s classes have no names, give an index" : hint.isEmpty ? "; `rectgrad models` lists the models, the class names are ImageNet's or CIFAR-10's" : ""
            throw OptionError(option: "--target", message: "\(model.name) has no class '\(part)'\(hint)\(names)")
        }
        return classes.count == 1 ? .all(classes[0]) : .perExample(classes)
    }

    /// The class sets to explain, each a target per example: one set for `--target` or the
    /// prediction, `K` sets (the k-th most probable class of each example) for `--top-k K`.
    func targetSets(for model: Model, logits: Tensor) throws -> [TargetSelection] {
        guard let topK else { return [try selection(for: model)] }
        let top = try model.topClasses(logits, k: min(topK, model.classCount))
        return (0..<min(topK, model.classCount)).map { rank in .perExample(top.map { $0[rank].index }) }
    }

    /// `292-tiger`: a class for file names (letters, digits and hyphens).
    static func fileLabel(_ index: Int, model: Model) -> String {
        let name = model.classNames.indices.contains(index) ? model.classNames[index] : ""
        let cleaned = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let words = String(cleaned).split(separator: "-").joined(separator: "-")
        return words.isEmpty ? "\(index)" : "\(index)-\(words)"
    }
}
