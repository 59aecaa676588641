import CElementwise
/// Per-channel affine maps `y[n, c, …] = x[n, c, …] · scale[c] + shift[c]` (batch norm at inference).
public enum ChannelAffine {
    /// Applies the map to a tensor whose second dimension is the channel.
    public static func forward(_ input: Tensor, scale: Tensor, shift: Tensor, workers: Workers = .default) throws(TensorError) -> Tensor {
        let layout = try Layout(input.shape, scale: scale, shift: shift)
        let output = input.scalars.withUnsafeBufferPointer { source in
            Tensor.uninitializedStorage(count: input.count) { buffer in
                if let x = source.baseAddress, let y = buffer.baseAddress {
                    apply(layout, from: x, to: y, scale: scale, shift: shift, workers: workers)
                }
            }
        }
        return Tensor(uncheckedShape: input.shape, scalars: output)
    }

    /// The map applied in place: the same elements as ``forward(_:scale:shift:workers:)``, written
    /// over the input's own storage (copied first if it is shared).
    public static func forwardInPlace(_ tensor: inout Tensor, scale: Tensor, shift: Tensor, workers: Workers = .default) throws(TensorError) {
        applyInPlace(try checked(shape: tensor.shape, scale: scale, shift: shift), to: &tensor, workers: workers)
    }

    /// A map whose scale and shift were checked against a tensor shape, to be applied later
    /// without a second check (a tape records batch norm after a convolution this way and
    /// applies it when the value is first read, together with a following ReLU when there is one).
    struct Checked: Sendable {
        fileprivate let layout: Layout
        let shape: [Int]
        let scale: Tensor
        let shift: Tensor
    }

    /// Checks `scale` and `shift` against a tensor of shape `shape`.
    static func checked(shape: [Int], scale: Tensor, shift: Tensor) throws(TensorError) -> Checked {
        Checked(layout: try Layout(shape, scale: scale, shift: shift), shape: shape, scale: scale, shift: shift)
    }

    /// Applies a checked map in place; `tensor` has the checked shape.
    static func applyInPlace(_ map: Checked, to tensor: inout Tensor, workers: Workers) {
        precondition(tensor.shape == map.shape, "ChannelAffine.applyInPlace: the tensor is not of the checked shape")
        tensor.withUnsafeMutableBufferPointer { buffer in
            if let y = buffer.baseAddress { apply(map.layout, from: y, to: y, scale: map.scale, shift: map.shift, workers: workers) }
        }
    }

    /// The activations a map can be fused with (``applyActivatedInPlace(_:to:activation:workers:)``).
    enum FusedActivation: Sendable {
        case relu, relu6

        init?(_ kind: ActivationKind) {
            switch kind {
            case .relu: self = .relu
            case .relu6: self = .relu6
            default: return nil
            }
        }
    }

    /// Replaces `tensor` by the activation of the map applied to it, in one pass and in place
    /// (`rg_affine_relu_in_place`, `rg_affine_relu6_in_place`): the same bits as
    /// ``applyInPlace(_:to:workers:)`` followed by ``ActivationKind/forward(_:workers:)``.
    static func applyActivatedInPlace(_ map: Checked, to tensor: inout Tensor, activation: FusedActivation, workers: Workers) {
        precondition(tensor.shape == map.shape, "ChannelAffine.applyActivatedInPlace: the tensor is not of the checked shape")
        tensor.withUnsafeMutableBufferPointer { buffer in
            guard let z = buffer.baseAddress else { return }
            forEachPlane(map.layout, scale: map.scale, shift: map.shift, workers: workers) { offset, count, a, b in
                switch activation {
                case .relu: rg_affine_relu_in_place(z + offset, count, a, b)
                case .relu6: rg_affine_relu6_in_place(z + offset, count, a, b)
                }
            }
        }
    }

    /// Replaces `tensor` by the map applied to it plus `other` (the same shape), in one pass and
    /// in place (`rg_affine_add_in_place`): the same values as ``applyInPlace(_:to:workers:)``
    /// followed by an element-wise sum with `other`.
    static func applyAddingInPlace(_ map: Checked, to tensor: inout Tensor, adding other: Tensor, workers: Workers) {
        precondition(tensor.shape == map.shape && other.shape == map.shape, "ChannelAffine.applyAddingInPlace: the tensors are not of the checked shape")
        other.withUnsafeBufferPointer { addend in
            tensor.withUnsafeMutableBufferPointer { buffer in
                guard let z = buffer.baseAddress, let addend = addend.baseAddress else { return }
                forEachPlane(map.layout, scale: map.scale, shift: map.shift, workers: workers) { offset, count, a, b in
                    rg_affine_add_in_place(z + offset, addend + offset, count, a, b)
                }
            }
        }
    }

    /// The channel planes of a checked input: `planes` planes of `plane` elements, plane `p` in
    /// channel `p % channels`.
    fileprivate struct Layout: Sendable {
        let channels: Int, plane: Int, planes: Int

        init(_ shape: [Int], scale: Tensor, shift: Tensor) throws(TensorError) {
            guard shape.count >= 2 else { throw .shapeMismatch(operation: "channelAffine", expected: [-1, -1], actual: shape) }
            channels = shape[1]
            guard scale.shape == [channels] else { throw .shapeMismatch(operation: "channelAffine scale", expected: [channels], actual: scale.shape) }
            guard shift.shape == [channels] else { throw .shapeMismatch(operation: "channelAffine shift", expected: [channels], actual: shift.shape) }
            plane = shape.dropFirst(2).reduce(1, *)
            planes = shape[0] * channels
        }
    }

    /// `y = x · scale[c] + shift[c]` plane by plane, the planes shared among `workers` (`x` may be `y`).
    private static func apply(_ layout: Layout, from x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, scale: Tensor, shift: Tensor, workers: Workers) {
        forEachPlane(layout, scale: scale, shift: shift, workers: workers) { offset, count, a, b in
            affine(x + offset, y + offset, count: count, scale: a, shift: b)
        }
    }

    /// Calls `body(offset, count, scale, shift)` for every channel plane (its first element, its
    /// element count and its channel's scale and shift), the planes shared among `workers`.
    private static func forEachPlane(_ layout: Layout, scale: Tensor, shift: Tensor, workers: Workers,
                                     _ body: (_ offset: Int, _ count: Int, _ scale: Float, _ shift: Float) -> Void) {
        let (channels, plane) = (layout.channels, layout.plane)
        scale.scalars.withUnsafeBufferPointer { scale in
            shift.scalars.withUnsafeBufferPointer { shift in
                guard let scale = scale.baseAddress, let shift = shift.baseAddress else { return }
                workers.forRanges(count: layout.planes, minimumPerRange: max(1, (1 << 15) / max(plane, 1))) { range in
                    for p in range { body(p * plane, plane, scale[p % channels], shift[p % channels]) }
                }
            }
        }
    }

    /// `y[i] = x[i] · a + b` (a product, then a sum: no fused multiply–add), as a plain C loop that
    /// stays fast in unoptimised builds.
    @inline(__always)
    private static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, scale a: Float, shift b: Float) {
        if UnsafePointer(y) == x {
            rg_affine_in_place(y, count, a, b)
        } else {
            rg_affine(x, y, count, a, b)
        }
    }

    /// The gradient with respect to the input: the output gradient times `scale[c]`.
    public static func backward(outputGradient: Tensor, scale: Tensor, workers: Workers = .default) throws(TensorError) -> Tensor {
        try forward(outputGradient, scale: scale, shift: Tensor.zeros(scale.shape), workers: workers)
    }

    /// ``backward(outputGradient:scale:workers:)`` written over the output gradient's own storage
    /// (the same bits; copied first if the storage is shared).
    static func backwardInPlace(_ gradient: inout Tensor, scale: Tensor, workers: Workers) throws(TensorError) {
        try forwardInPlace(&gradient, scale: scale, shift: Tensor.zeros(scale.shape), workers: workers)
    }

    /// Folds batch-norm statistics into `(scale, shift)`:
    /// `scale = γ / √(var + ε)`, `shift = β − mean · scale`.
    public static func foldBatchNorm(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, epsilon: Float) throws(TensorError) -> (scale: Tensor, shift: Tensor) {
        let channels = weight.count
        for (name, t) in [("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance)] where t.shape != [channels] {
            throw .shapeMismatch(operation: "batchNorm \(name)", expected: [channels], actual: t.shape)
        }
        guard runningVariance.scalars.allSatisfy({ $0 + epsilon > 0 }) else {
            throw .invalidArgument(operation: "batchNorm", reason: "running_var + eps must be positive")
        }
        var scale = [Float](repeating: 0, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            // Double precision keeps the fold as close as possible to PyTorch's float32 evaluation.
            let s = Double(weight.scalars[c]) / (Double(runningVariance.scalars[c]) + Double(epsilon)).squareRoot()
            scale[c] = Float(s)
            shift[c] = Float(Double(bias.scalars[c]) - Double(runningMean.scalars[c]) * s)
        }
        return (Tensor(uncheckedShape: [channels], scalars: scale), Tensor(uncheckedShape: [channels], scalars: shift))
    }
}
