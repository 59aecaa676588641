import RectGradCore

/// Parallel branches applied to the same input, their outputs concatenated along the channels
/// (an Inception block, a DenseNet layer's output with its input).
///
/// ```swift
/// let block = Concatenate(name: "features.3", branches: [branch0, branch1])
/// ```
public struct Concatenate: Layer {
    public var name: String
    /// The branches in concatenation order; an empty `Sequential` passes the input itself.
    public var branches: [Sequential]
    /// The axis to join along (default 1, the channels of NCHW).
    public var axis: Int

    /// Creates the block.
    public init(name: String, branches: [Sequential], axis: Int = 1) {
        self.name = name
        self.branches = branches
        self.axis = axis
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        var outputs: [Variable] = []
        for branch in branches { outputs.append(try branch.forward(input, on: tape)) }
        return try tape.concatenate(outputs, axis: axis, name: name)
    }

    public var parameters: [NamedParameter] { branches.flatMap(\.parameters) }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer {
        var copy = self
        copy.branches = try branches.map { try $0.loadingParameters(values) }
        return copy
    }

    /// A copy with batch norms folded into their convolutions in every branch.
    public func foldingBatchNorm() throws -> Concatenate {
        Concatenate(name: name, branches: try branches.map { try $0.foldingBatchNorm() }, axis: axis)
    }
}

/// A multiplicative gate `x · gate(x)`: squeeze-and-excitation (`gate` = pool, convolutions, a
/// sigmoid or hard-sigmoid). A product, not an activation: gradients flow through both factors;
/// only the activations inside `gate` are rule sites.
public struct MultiplicativeGate: Layer {
    public var name: String
    /// The branch computing the gate, broadcast against the input (e.g. `[N, C, 1, 1]`).
    public var gate: Sequential

    /// Creates the gate.
    public init(name: String, gate: Sequential) {
        self.name = name
        self.gate = gate
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        try tape.multiply(input, try gate.forward(input, on: tape), name: name)
    }

    public var parameters: [NamedParameter] { gate.parameters }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer {
        var copy = self
        copy.gate = try gate.loadingParameters(values)
        return copy
    }
}
