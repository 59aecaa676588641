/// A named parameter tensor, e.g. `features.0.weight`.
public struct NamedParameter: Sendable, Equatable {
    /// The full dotted name (PyTorch state-dict convention).
    public var name: String
    /// The values.
    public var value: Tensor

    /// Creates a named parameter.
    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
    }
}
