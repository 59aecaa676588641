/// A PyTorch checkpoint (`.pth`) that cannot be converted, naming the file and what is wrong.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Error, Equatable, Sendable {
        /// The file could not be read.
        case unreadable(String)
        /// Neither a zip checkpoint (PyTorch ≥ 1.6) nor a legacy one.
        case notACheckpoint
        /// The zip container is malformed (or uses compression, which `torch.save` never does).
        case invalidArchive(String)
        /// The pickle stream is malformed.
        case malformedPickle(String)
        /// Lists, tuples and dicts nested deeper than `limit` levels (a state dict needs about five).
        case nestingTooDeep(limit: Int)
        /// A pickle opcode the restricted unpickler does not execute.
        case unsupportedOpcode(opcode: UInt8, offset: Int)
        /// A global outside the state-dict allow-list (for example `os.system`): refused, never resolved.
        case forbiddenGlobal(String)
        /// The pickled object is not a mapping from names to tensors.
        case notAStateDict(String)
        /// A storage the pickle refers to is absent or too short.
        case missingStorage(String)
        /// A tensor's size, stride and offset reach past its storage.
        case tensorOutOfBounds(tensor: String)
        /// The tensors would hold more elements than the checkpoint can plausibly describe: more
        /// than ``PyTorchCheckpoint/elementsPerByte`` per byte of the file plus
        /// ``PyTorchCheckpoint/broadcastAllowance`` (views with zero strides over a small storage
        /// would otherwise expand a tiny file into gigabytes). Names the tensor that crossed it.
        case tooManyElements(tensor: String, elementCount: Int, limit: Int)
        /// A tensor whose element type cannot be loaded as floats (only integer `num_batches_tracked` counters are skipped).
        case unsupportedTensorType(tensor: String, storage: String)
        /// The checkpoint was written on a big-endian machine.
        case bigEndian
    }

    /// The file name.
    public var file: String
    /// What is wrong.
    public var reason: Reason

    /// Creates an error.
    public init(file: String, reason: Reason) {
        self.file = file
        self.reason = reason
    }

    public var description: String {
        let detail: String
        switch reason {
        case .unreadable(let message): detail = "cannot be read: \(message)"
        case .notACheckpoint: detail = "is not a PyTorch checkpoint (neither a torch.save zip archive nor the legacy format)"
        case .invalidArchive(let message): detail = "has an invalid zip container: \(message)"
        case .malformedPickle(let message): detail = "has a malformed pickle: \(message)"
        case .nestingTooDeep(let limit): detail = "nests lists, tuples or dicts more than \(limit) levels deep, which a state dict never does; refused"
        case .unsupportedOpcode(let opcode, let offset): detail = "uses pickle opcode 0x\(String(opcode, radix: 16)) at byte \(offset), which a state dict does not need; refused"
        case .forbiddenGlobal(let name): detail = "refers to the Python global '\(name)', which a state dict does not use; refused (the file may be malicious or not a plain state dict)"
        case .notAStateDict(let message): detail = "is not a state dict: \(message)"
        case .missingStorage(let key): detail = "lacks the data of storage '\(key)'"
        case .tensorOutOfBounds(let tensor): detail = "tensor '\(tensor)' reaches past the end of its storage"
        case .tooManyElements(let tensor, let count, let limit):
            detail = "tensor '\(tensor)' has \(count) elements, which takes the checkpoint past its limit of \(limit) elements (a broadcast view of a small storage?); refused"
        case .unsupportedTensorType(let tensor, let storage): detail = "tensor '\(tensor)' is stored as \(storage), which cannot be loaded as floats"
        case .bigEndian: detail = "was written on a big-endian machine; only little-endian checkpoints are supported"
        }
        return "\(file) \(detail)"
    }
}
