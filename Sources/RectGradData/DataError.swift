/// Errors raised when building a dataset or training on it.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A dataset size outside the supported range.
    case invalidCount(Int, reason: String)
    /// An inconsistent ``ShapesStyle`` or ``OcclusionPatch`` setting.
    case invalidStyle(String)
    /// An index outside the dataset.
    case indexOutOfRange(Int, count: Int)
    /// Images and labels that do not fit together or a network.
    case inconsistentData(String)
    /// An invalid training setting (epochs, batch size, learning rate).
    case invalidTrainingSetting(String)
    /// A network parameter that received no gradient, so training would silently leave it unchanged.
    case untrainableParameter(String)
    /// The loss became NaN or infinite.
    case diverged(epoch: Int, batch: Int)

    public var description: String {
        switch self {
        case .invalidCount(let count, let reason): return "invalid dataset size \(count): \(reason)"
        case .invalidStyle(let reason): return "invalid dataset style: \(reason)"
        case .indexOutOfRange(let index, let count): return "index \(index) is outside the dataset of \(count) images"
        case .inconsistentData(let reason): return "inconsistent data: \(reason)"
        case .invalidTrainingSetting(let reason): return "invalid training setting: \(reason)"
        case .untrainableParameter(let name):
            return "parameter '\(name)' receives no gradient on the tape (batch-norm statistics cannot be trained here)"
        case .diverged(let epoch, let batch): return "the loss became NaN or infinite at epoch \(epoch), batch \(batch)"
        }
    }
}
