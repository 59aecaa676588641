import RectGradCore

/// One tape operation of an imported graph, with its constants baked in.
public enum ONNXStep: Sendable {
    /// A convolution (batch norm folded in when it followed directly).
    case convolution(weight: Tensor, bias: Tensor?, geometry: Convolution2DGeometry)
    /// `x · weightᵀ + bias` on `[N, in]` (Gemm, MatMul with a constant right side).
    case dense(weight: Tensor, bias: Tensor?)
    /// A per-channel affine map with constants (batch norm, arithmetic with a per-channel or
    /// scalar constant).
    case channelAffine(scale: Tensor, shift: Tensor)
    /// An activation through the tape's backward rules.
    case activation(ActivationKind)
    /// Max pooling.
    case maxPool(Pooling2DGeometry)
    /// Average pooling.
    case averagePool(Pooling2DGeometry, countIncludesPadding: Bool)
    /// Global average pooling to `[N, C, 1, 1]`.
    case globalAveragePool
    /// The sum of two values of the same shape.
    case add
    /// A reshape that keeps the batch dimension: the output is `[N] + trailing`.
    case reshape(trailing: [Int])
    /// The input unchanged (Identity, Dropout at inference).
    case identity
    /// Element-wise arithmetic of two computed values with broadcasting.
    case arithmetic(Broadcast.Operation)
    /// Element-wise arithmetic of a computed value and a constant with broadcasting; the constant
    /// is the left operand when `constantFirst`.
    case arithmeticWithConstant(Broadcast.Operation, constant: Tensor, constantFirst: Bool)
    /// Concatenation along `axis`.
    case concatenate(axis: Int)
    /// Constant padding: `before[d]` and `after[d]` elements of `value` around dimension `d`.
    case pad(before: [Int], after: [Int], value: Float)
    /// A permutation of the dimensions (the batch stays first).
    case transpose([Int])
    /// Softmax along `axis` (not at the end of the graph).
    case softmax(axis: Int)
    /// Separable resampling of the height and width (Resize, nearest or linear).
    case resample(height: ResampleAxis, width: ResampleAxis)
    /// Local response normalisation across channels (LRN).
    case localResponseNormalization(LocalResponseNormalization)

    /// A short description for listings, e.g. `conv 3×3 stride 2`.
    public var summary: String {
        switch self {
        case .convolution(let weight, _, let geometry):
            let kernel = weight.shape.count == 4 ? "\(weight.shape[2])×\(weight.shape[3])" : "?"
            return "conv \(kernel) → \(weight.shape.first ?? 0) channels, stride \(geometry.stride), padding \(geometry.padding)\(geometry.dilation == 1 ? "" : ", dilation \(geometry.dilation)")\(geometry.groups == 1 ? "" : ", groups \(geometry.groups)")"
        case .dense(let weight, _): return "dense \(weight.shape.last ?? 0) → \(weight.shape.first ?? 0)"
        case .channelAffine: return "per-channel affine"
        case .activation(let kind): return "activation \(kind)"
        case .maxPool(let geometry): return "max pool \(geometry)"
        case .averagePool(let geometry, let include): return "average pool \(geometry)\(include ? "" : ", padding not counted")"
        case .globalAveragePool: return "global average pool"
        case .add: return "add"
        case .reshape(let trailing): return "reshape to [N, \(trailing.map(String.init).joined(separator: ", "))]"
        case .identity: return "identity"
        case .arithmetic(let operation): return operation.rawValue
        case .arithmeticWithConstant(let operation, let constant, _): return "\(operation.rawValue) constant \(constant.shape)"
        case .concatenate(let axis): return "concatenate along axis \(axis)"
        case .pad(let before, let after, let value): return "pad \(before) before, \(after) after with \(value)"
        case .transpose(let permutation): return "transpose \(permutation)"
        case .softmax(let axis): return "softmax along axis \(axis)"
        case .resample(let height, let width): return "resample \(height.inputExtent)×\(width.inputExtent) → \(height.outputExtent)×\(width.outputExtent)"
        case .localResponseNormalization(let parameters): return "local response normalisation, \(parameters)"
        }
    }

    /// Records the step on `tape`; `name` is the ONNX node name (the activation site's name).
    func record(_ inputs: [Variable], name: String, on tape: Tape) throws -> Variable {
        switch self {
        case .convolution(let weight, let bias, let geometry):
            let w = tape.parameter(weight, name: "\(name).weight")
            let b = bias.map { tape.parameter($0, name: "\(name).bias") }
            return try tape.conv2d(inputs[0], weight: w, bias: b, geometry: geometry, name: name)
        case .dense(let weight, let bias):
            let w = tape.parameter(weight, name: "\(name).weight")
            let b = bias.map { tape.parameter($0, name: "\(name).bias") }
            return try tape.dense(inputs[0], weight: w, bias: b, name: name)
        case .channelAffine(let scale, let shift):
            return try tape.channelAffine(inputs[0], scale: scale, shift: shift, name: name)
        case .activation(let kind):
            return try tape.activation(inputs[0], kind: kind, name: name)
        case .maxPool(let geometry):
            return try tape.maxPool2d(inputs[0], geometry: geometry, name: name)
        case .averagePool(let geometry, let include):
            return try tape.averagePool2d(inputs[0], geometry: geometry, countIncludesPadding: include, name: name)
        case .globalAveragePool:
            return try tape.globalAveragePool2d(inputs[0], name: name)
        case .add:
            return try tape.add(inputs[0], inputs[1], name: name)
        case .reshape(let trailing):
            let batch = try tape.shape(inputs[0]).first ?? 1
            return try tape.reshape(inputs[0], to: [batch] + trailing, name: name)
        case .identity:
            return inputs[0]
        case .arithmetic(let operation):
            return try tape.arithmetic(operation, inputs[0], inputs[1], name: name)
        case .arithmeticWithConstant(let operation, let constant, let constantFirst):
            let value = tape.parameter(constant, name: "\(name).constant")
            return try constantFirst
                ? tape.arithmetic(operation, value, inputs[0], name: name)
                : tape.arithmetic(operation, inputs[0], value, name: name)
        case .concatenate(let axis):
            return try tape.concatenate(inputs, axis: axis, name: name)
        case .pad(let before, let after, let value):
            return try tape.pad(inputs[0], before: before, after: after, value: value, name: name)
        case .transpose(let permutation):
            return try tape.transpose(inputs[0], permutation: permutation, name: name)
        case .softmax(let axis):
            return try tape.softmax(inputs[0], axis: axis, name: name)
        case .resample(let height, let width):
            return try tape.resample(inputs[0], height: height, width: width, name: name)
        case .localResponseNormalization(let parameters):
            return try tape.localResponseNormalization(inputs[0], parameters, name: name)
        }
    }

    /// The step's parameters, named `<node>.weight` and `<node>.bias`.
    func parameters(node name: String) -> [NamedParameter] {
        switch self {
        case .convolution(let weight, let bias, _), .dense(let weight, let bias):
            return [NamedParameter(name: "\(name).weight", value: weight)]
                + (bias.map { [NamedParameter(name: "\(name).bias", value: $0)] } ?? [])
        default:
            return []
        }
    }
}

/// A step with its place in the graph: which values it reads and which it writes.
public struct ONNXOperation: Sendable {
    /// The ONNX node's name (layer and activation-site name).
    public var name: String
    /// The ONNX operator(s) the step stands for, e.g. `Conv+BatchNormalization`.
    public var opType: String
    /// What the step does.
    public var step: ONNXStep
    /// Indices of the values read (0 is the graph input).
    public var inputs: [Int]
    /// The index of the value written.
    public var output: Int
    /// The output shape for a batch of one, as found when importing.
    public var outputShape: [Int]
}
