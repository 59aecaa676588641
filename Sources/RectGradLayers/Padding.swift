import RectGradCore

/// Explicit zero padding of the height and width of an NCHW value, e.g. TensorFlow's "SAME"
/// padding in front of a convolution where it is asymmetric (one more row and column at the
/// bottom and right than at the top and left), which a convolution's own symmetric padding
/// cannot express. Records the tape's pad operation (linear; its backward crops the gradient).
public struct ZeroPad2D: Layer {
    public var name: String
    /// Rows added above.
    public var top: Int
    /// Rows added below.
    public var bottom: Int
    /// Columns added on the left.
    public var left: Int
    /// Columns added on the right.
    public var right: Int

    /// Creates a padding layer (every amount ≥ 0; the tape refuses negative amounts when it runs).
    public init(name: String, top: Int, bottom: Int, left: Int, right: Int) {
        self.name = name
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        try tape.pad2d(input, top: top, bottom: bottom, left: left, right: right, name: name)
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer { self }
}
