import RectGradCore

/// Which logit each example's attribution explains.
public enum TargetSelection: Sendable, Equatable, CustomStringConvertible {
    /// The predicted class (argmax of the logits; the first one on ties) of each example.
    case predicted
    /// The same class for every example.
    case all(Int)
    /// One class per example.
    case perExample([Int])

    /// The target class of every example, checked against the class range.
    /// - Parameter logits: the `[N, classes]` logits of the input.
    /// - Throws: ``AttributionError/targetOutOfRange(example:target:classCount:)`` or
    ///   ``AttributionError/targetCountMismatch(examples:targets:)``.
    public func resolve(logits: Tensor) throws(AttributionError) -> [Int] {
        guard logits.rank == 2 else {
            throw .inputShapeMismatch("the network's output has shape \(logits.shape), expected [N, classes]")
        }
        let (examples, classes) = (logits.shape[0], logits.shape[1])
        let targets: [Int]
        switch self {
        case .predicted: return logits.argmaxPerRow()
        case .all(let target): targets = Array(repeating: target, count: examples)
        case .perExample(let list):
            if list.count == 1 {
                targets = Array(repeating: list[0], count: examples)
            } else {
                guard list.count == examples else { throw .targetCountMismatch(examples: examples, targets: list.count) }
                targets = list
            }
        }
        for (example, target) in targets.enumerated() where target < 0 || target >= classes {
            throw .targetOutOfRange(example: example, target: target, classCount: classes)
        }
        return targets
    }

    public var description: String {
        switch self {
        case .predicted: return "predicted class"
        case .all(let target): return "class \(target)"
        case .perExample(let list): return "classes \(list.map(String.init).joined(separator: ","))"
        }
    }
}
