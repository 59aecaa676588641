/// A handle to a value recorded on a ``Tape``: the id of the node that produced it.
public struct Variable: Hashable, Sendable, CustomStringConvertible {
    /// The node's sequential id on its tape.
    public let id: Int

    /// Wraps a node id.
    public init(id: Int) { self.id = id }

    public var description: String { "%\(id)" }
}

/// The kind of leaf a value entered the tape as.
public enum LeafRole: String, Hashable, Sendable {
    /// A network input (an image batch).
    case input
    /// A learnable parameter (weights, biases).
    case parameter
}

/// The operations a tape records, with what their backward needs.
enum Operation {
    case leaf(LeafRole)
    case convolution(Convolution2DGeometry)
    case dense
    case maxPool(Pooling2DGeometry, argmax: [Int32])
    case averagePool(Pooling2DGeometry, countIncludesPadding: Bool)
    case adaptiveAveragePool(Size2D)
    case channelAffine(scale: Tensor, shift: Tensor)
    case activation(ActivationKind, ordinal: Int)
    case add
    case arithmetic(Broadcast.Operation)
    case reshape
    case concatenate(axis: Int)
    case pad(before: [Int], after: [Int])
    case transpose(permutation: [Int])
    case gemm(GemmOptions)
    case softmax(axis: Int)
    case softmaxCrossEntropy(labels: [Int])
    case resample(height: ResampleAxis, width: ResampleAxis)
    case localResponseNormalization(LocalResponseNormalization)

    var name: String {
        switch self {
        case .leaf(let role): return role.rawValue
        case .convolution: return "conv2d"
        case .dense: return "dense"
        case .maxPool: return "maxPool2d"
        case .averagePool: return "avgPool2d"
        case .adaptiveAveragePool: return "adaptiveAvgPool2d"
        case .channelAffine: return "channelAffine"
        case .activation(let kind, _): return kind.name
        case .add: return "add"
        case .arithmetic(let operation): return operation.rawValue
        case .reshape: return "reshape"
        case .concatenate: return "concat"
        case .pad: return "pad"
        case .transpose: return "transpose"
        case .gemm: return "gemm"
        case .softmax: return "softmax"
        case .softmaxCrossEntropy: return "softmaxCrossEntropy"
        case .resample: return "resample"
        case .localResponseNormalization: return "lrn"
        }
    }

    var detail: String {
        switch self {
        case .convolution(let g): return g.description
        case .maxPool(let g, _), .averagePool(let g, _): return g.description
        case .adaptiveAveragePool(let size): return "output \(size)"
        case .activation(let kind, let ordinal): return kind.description == kind.name ? "activation #\(ordinal)" : "\(kind), activation #\(ordinal)"
        case .concatenate(let axis): return "axis \(axis)"
        case .pad(let before, let after): return "before \(before), after \(after)"
        case .transpose(let permutation): return "permutation \(permutation)"
        case .gemm(let options): return options.description
        case .softmax(let axis): return "axis \(axis)"
        case .resample(let height, let width): return "height \(height), width \(width)"
        case .localResponseNormalization(let parameters): return parameters.description
        default: return ""
        }
    }
}

/// One recorded step: what ran, on which nodes, what it produced.
struct Node {
    var operation: Operation
    var inputs: [Int]
    /// The value as stored: the computed value, or — for a released node (``isReleased``) — a
    /// tensor of the value's shape without elements, or — for a batch norm whose map is still
    /// pending (``pendingChannelAffine``) — its input. Read values through `Tape.valueOfNode(_:)`;
    /// `shape` alone may be read here.
    var storedValue: Tensor
    var name: String
    /// Whether the elements were given back to the pool after the only consumer recorded so far
    /// no longer needed them (a convolution's output once batch norm has read it; a convolution's
    /// output, a batch norm or a sum once a ReLU or ReLU6 has overwritten it; a batch norm once a
    /// sum has overwritten it); the value is computed again, with the same bits, whenever it is
    /// read (`Recomputation`).
    var isReleased = false
    /// For a batch norm recorded after a convolution: the checked map not yet applied, while
    /// `storedValue` still holds the convolution's output (moved here from the released
    /// convolution node). The tape applies it when the value is first read, or — when a ReLU or
    /// ReLU6 is recorded on it next — in the same pass over the elements as the activation.
    var pendingChannelAffine: ChannelAffine.Checked?
    /// Whether ``Tape/dropValue(_:)`` gave the value back to the pool (inference-only tapes).
    var isDropped = false

    init(operation: Operation, inputs: [Int], value: Tensor, name: String) {
        self.operation = operation
        self.inputs = inputs
        self.storedValue = value
        self.name = name
    }

    /// The value's shape (also for a released node).
    var shape: [Int] { storedValue.shape }
}
