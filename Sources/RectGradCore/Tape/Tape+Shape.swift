extension Tape {
    /// Concatenates values along `axis` (default 1, the channels of NCHW: Inception blocks,
    /// DenseNet); every other dimension must agree. The backward hands each input its slice.
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` for an empty list, an axis outside the
    ///   rank, or shapes that differ outside `axis` (the error lists every shape).
    public func concatenate(_ values: [Variable], axis: Int = 1, name: String = "") throws(TapeError) -> Variable {
        var shapes: [[Int]] = []
        for value in values { shapes.append(try node(value).shape) }
        let d: Int
        do throws(TensorError) {
            guard let first = shapes.first else { throw TensorError.invalidArgument(operation: "concat", reason: "nothing to concatenate") }
            d = try ShapeKernels.normalisedAxis(axis, rank: first.count, operation: "concat")
            for shape in shapes {
                var expected = first
                if shape.count == first.count { expected[d] = shape[d] }
                guard shape == expected else {
                    throw TensorError.invalidArgument(operation: "concat", reason: "along axis \(axis) the other dimensions must agree; shapes \(shapes.map { "\($0)" }.joined(separator: ", "))")
                }
            }
        } catch { throw .operationFailed(layer: name, error) }
        return try record(.concatenate(axis: d), inputs: values, name: name) { (v) throws(TensorError) in
            try Tensor.concatenate(v, axis: d)
        }
    }

    /// Pads with a constant: `before[d]` elements of `value` in front of and `after[d]` behind
    /// dimension `d` (one entry per dimension, as ONNX Pad's `pads` split in two halves).
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` for negative or missing pads or a NaN value.
    public func pad(_ x: Variable, before: [Int], after: [Int], value: Float = 0, name: String = "") throws(TapeError) -> Variable {
        try record(.pad(before: before, after: after), inputs: [x], name: name) { (v) throws(TensorError) in
            try ShapeKernels.pad(v[0], before: before, after: after, value: value)
        }
    }

    /// Pads the height and width of an NCHW value with zeros (`top`, `bottom`, `left`, `right`):
    /// explicit padding, e.g. TensorFlow's asymmetric "same" padding before a convolution.
    public func pad2d(_ x: Variable, top: Int, bottom: Int, left: Int, right: Int, value: Float = 0, name: String = "") throws(TapeError) -> Variable {
        try pad(x, before: [0, 0, top, left], after: [0, 0, bottom, right], value: value, name: name)
    }

    /// Reorders dimensions: dimension `d` of the result is dimension `permutation[d]` of `x`.
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` unless `permutation` permutes the rank.
    public func transpose(_ x: Variable, permutation: [Int], name: String = "") throws(TapeError) -> Variable {
        try record(.transpose(permutation: permutation), inputs: [x], name: name) { (v) throws(TensorError) in
            try ShapeKernels.transpose(v[0], permutation: permutation)
        }
    }

    /// Flattens to two dimensions: those before `axis` and those from `axis` on (ONNX Flatten;
    /// `axis` 1 is ``flatten(_:name:)``).
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` for an axis outside `0...rank`.
    public func flatten(_ x: Variable, axis: Int, name: String = "") throws(TapeError) -> Variable {
        let shape = try node(x).shape
        let d = axis < 0 ? axis + shape.count : axis
        guard (0...shape.count).contains(d) else {
            throw .operationFailed(layer: name, .invalidArgument(operation: "flatten", reason: "axis \(axis) is outside 0...\(shape.count) for shape \(shape)"))
        }
        return try reshape(x, to: [shape[..<d].reduce(1, *), shape[d...].reduce(1, *)], name: name)
    }

    /// Softmax along `axis` as a recorded operation with its true backward `y · (g − Σ g·y)`.
    /// An explanation should still seed the pre-softmax logits (the explained scalar of every method).
    public func softmax(_ x: Variable, axis: Int = -1, name: String = "") throws(TapeError) -> Variable {
        let rank = try node(x).shape.count
        let d: Int
        do { d = try ShapeKernels.normalisedAxis(axis, rank: rank, operation: "softmax") } catch { throw .operationFailed(layer: name, error) }
        return try record(.softmax(axis: d), inputs: [x], name: name) { (v) throws(TensorError) in
            try Softmax.forward(v[0], axis: d)
        }
    }
}
