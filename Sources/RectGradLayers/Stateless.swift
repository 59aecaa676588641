import RectGradCore

/// An activation (ReLU, ReLU6, sigmoid, SiLU, GELU, … any `ActivationKind`) as a layer. It always
/// records the tape's activation op, so every activation goes through the backward rule of the pass.
public struct Activation: Layer {
    public var name: String
    /// The activation function.
    public var kind: ActivationKind

    /// Creates an activation layer.
    public init(name: String, kind: ActivationKind = .relu) {
        self.name = name
        self.kind = kind
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        try tape.activation(input, kind: kind, name: name)
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer { self }
}

/// Max pooling; ties go to the first maximal element in row-major window order.
public struct MaxPool2D: Layer {
    public var name: String
    /// Window, stride and padding.
    public var geometry: Pooling2DGeometry

    /// Creates a max-pool layer.
    public init(name: String, geometry: Pooling2DGeometry) {
        self.name = name
        self.geometry = geometry
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        try tape.maxPool2d(input, geometry: geometry, name: name)
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer { self }
}

/// Average pooling.
public struct AvgPool2D: Layer {
    public var name: String
    /// Window, stride and padding.
    public var geometry: Pooling2DGeometry
    /// Divide by the full window including padding (PyTorch's default).
    public var countIncludesPadding: Bool

    /// Creates an average-pool layer.
    public init(name: String, geometry: Pooling2DGeometry, countIncludesPadding: Bool = true) {
        self.name = name
        self.geometry = geometry
        self.countIncludesPadding = countIncludesPadding
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        try tape.averagePool2d(input, geometry: geometry, countIncludesPadding: countIncludesPadding, name: name)
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer { self }
}

/// Adaptive average pooling to a fixed output size; 1×1 is global average pooling.
public struct AdaptiveAvgPool2D: Layer {
    public var name: String
    /// The output height and width.
    public var outputSize: Size2D

    /// Creates an adaptive average-pool layer.
    public init(name: String, outputSize: Size2D) {
        self.name = name
        self.outputSize = outputSize
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        try tape.adaptiveAveragePool2d(input, outputSize: outputSize, name: name)
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer { self }
}

/// Flattens `[N, C, H, W]` to `[N, C·H·W]` in (c, h, w) order.
public struct Flatten: Layer {
    public var name: String

    /// Creates a flatten layer.
    public init(name: String = "flatten") { self.name = name }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        try tape.flatten(input, name: name)
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer { self }
}

/// Dropout: the identity at inference (this library only runs inference-mode dropout).
public struct Dropout: Layer {
    public var name: String
    /// The training-time drop probability (kept for documentation; unused at inference).
    public var probability: Float

    /// Creates a dropout layer.
    public init(name: String, probability: Float = 0.5) {
        self.name = name
        self.probability = probability
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable { input }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer { self }
}
