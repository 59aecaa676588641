import RectGradCore

/// Layers applied one after another.
///
/// On an inference-only tape (``RectGradCore/Tape/isInferenceOnly``) each layer's output is
/// dropped (``RectGradCore/Tape/dropValue(_:)``) once the next layer has read it; the sequence's
/// own input and output stay with its caller. A layer inside a sequence receives only the
/// previous layer's output, so nothing else can read a dropped value.
public struct Sequential: Layer {
    public var name: String
    /// The layers in order.
    public var layers: [any Layer]

    /// Creates a sequence of layers.
    public init(name: String = "", _ layers: [any Layer]) {
        self.name = name
        self.layers = layers
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        var x = input
        for layer in layers {
            let y = try layer.forward(x, on: tape)
            // An output this sequence made and the next layer has read: an inference-only
            // tape gives its storage back now (a no-op on a tape recording for backward).
            if x != input && y != x { tape.dropValue(x) }
            x = y
        }
        return x
    }

    public var parameters: [NamedParameter] { layers.flatMap(\.parameters) }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer {
        try loadingParameters(values)
    }

    /// A copy with every parameter replaced by the value of the same name (type-preserving).
    public func loadingParameters(_ values: [String: Tensor]) throws -> Sequential {
        var copy = self
        copy.layers = try layers.map { try $0.replacingParameters(values) }
        return copy
    }

    /// A copy in which every batch norm that directly follows a convolution is folded into it.
    public func foldingBatchNorm() throws -> Sequential {
        var folded: [any Layer] = []
        for layer in layers {
            if let norm = layer as? BatchNorm2D, let conv = folded.last as? Conv2D {
                folded[folded.count - 1] = try norm.folded(into: conv)
            } else if let nested = layer as? Sequential {
                folded.append(try nested.foldingBatchNorm())
            } else if let residual = layer as? Residual {
                folded.append(try residual.foldingBatchNorm())
            } else if let block = layer as? Concatenate {
                folded.append(try block.foldingBatchNorm())
            } else {
                folded.append(layer)
            }
        }
        return Sequential(name: name, folded)
    }
}

/// A residual connection: `activation(body(x) + shortcut(x))`, with the identity as the default
/// shortcut and an optional activation after the addition (ResNet's ReLU). On an inference-only
/// tape the branch outputs are dropped once added, and the sum once activated.
public struct Residual: Layer {
    public var name: String
    /// The main branch.
    public var body: Sequential
    /// The shortcut branch; `nil` is the identity.
    public var shortcut: Sequential?
    /// The activation applied after the addition, if any.
    public var activation: Activation?

    /// Creates a residual block.
    public init(name: String, body: Sequential, shortcut: Sequential? = nil, activation: Activation? = nil) {
        self.name = name
        self.body = body
        self.shortcut = shortcut
        self.activation = activation
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        let main = try body.forward(input, on: tape)
        let skip = try shortcut?.forward(input, on: tape) ?? input
        let sum = try tape.add(main, skip, name: qualified(name, "add"))
        // Branch outputs the sum has read (an inference-only tape gives them back now).
        for branch in [main, skip] where branch != input { tape.dropValue(branch) }
        guard let activation else { return sum }
        let output = try activation.forward(sum, on: tape)
        if output != sum { tape.dropValue(sum) }
        return output
    }

    public var parameters: [NamedParameter] { body.parameters + (shortcut?.parameters ?? []) }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer {
        var copy = self
        copy.body = try body.loadingParameters(values)
        copy.shortcut = try shortcut.map { try $0.loadingParameters(values) }
        return copy
    }

    /// A copy with batch norms folded into their convolutions in both branches.
    public func foldingBatchNorm() throws -> Residual {
        Residual(name: name, body: try body.foldingBatchNorm(), shortcut: try shortcut?.foldingBatchNorm(), activation: activation)
    }
}
