/// The ONNX node an error is about: its name, operator type and the model's default-domain opset.
public struct ONNXNodeContext: Hashable, Sendable, CustomStringConvertible {
    /// The node's name (or `<opType>_<index>` when the file gives none).
    public var name: String
    /// The operator, e.g. `Conv`.
    public var opType: String
    /// The opset version of the node's domain.
    public var opset: Int

    /// Creates a context.
    public init(name: String, opType: String, opset: Int) {
        self.name = name
        self.opType = opType
        self.opset = opset
    }

    public var description: String { "node '\(name)' (\(opType), opset \(opset))" }
}

/// Why an ONNX file could not be imported. Every case names what is wrong: the file, the tensor or
/// the node with its operator type and opset.
public enum ONNXError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file cannot be read (missing, a folder, too large).
    case unreadableFile(path: String, reason: String)
    /// The bytes are not a protocol-buffer `ModelProto` (truncated, wrong wire types, …).
    case malformed(path: String, reason: String)
    /// The model is well-formed protobuf but not a usable graph (no graph, no input, …).
    case invalidModel(reason: String)
    /// The model imports an opset of the default domain outside the supported range.
    case unsupportedOpset(domain: String, version: Int, supported: ClosedRange<Int>)
    /// An operator the importer does not map onto the tape.
    case unsupportedOperator(ONNXNodeContext, reason: String)
    /// A node whose attributes, inputs or shapes are invalid or unsupported.
    case invalidNode(ONNXNodeContext, reason: String)
    /// A shape that depends on run-time values and cannot be resolved when importing.
    case dynamicShape(ONNXNodeContext, reason: String)
    /// A node input that no node, initializer or graph input produces.
    case missingValue(ONNXNodeContext, value: String)
    /// Nodes that depend on each other in a cycle.
    case cycle(nodes: [String])
    /// A tensor (initializer or constant) with an unsupported type, inconsistent size, absurd
    /// dimensions or unreadable external data.
    case invalidTensor(name: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): return "cannot read ONNX file \(path): \(reason)"
        case .malformed(let path, let reason): return "\(path) is not a valid ONNX model (protobuf decoding failed: \(reason))"
        case .invalidModel(let reason): return "invalid ONNX model: \(reason)"
        case .unsupportedOpset(let domain, let version, let supported):
            return "the model uses opset \(version) of domain '\(domain.isEmpty ? "ai.onnx" : domain)'; supported: \(supported.lowerBound)–\(supported.upperBound)"
        case .unsupportedOperator(let node, let reason): return "\(node): unsupported operator: \(reason)"
        case .invalidNode(let node, let reason): return "\(node): \(reason)"
        case .dynamicShape(let node, let reason): return "\(node): dynamic shape cannot be resolved: \(reason)"
        case .missingValue(let node, let value): return "\(node): input '\(value)' is produced by no node, initializer or graph input"
        case .cycle(let nodes):
            let shown = nodes.prefix(6).map { "'\($0)'" }.joined(separator: ", ")
            return "the graph has a cycle through \(nodes.count) node(s): \(shown)\(nodes.count > 6 ? ", …" : "")"
        case .invalidTensor(let name, let reason): return "tensor '\(name)': \(reason)"
        }
    }
}
