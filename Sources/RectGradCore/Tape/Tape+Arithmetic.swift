extension Tape {
    /// Element-wise difference `a − b`, shapes broadcasting as in NumPy and ONNX (``Broadcast``).
    public func subtract(_ a: Variable, _ b: Variable, name: String = "") throws(TapeError) -> Variable {
        try arithmetic(.subtract, a, b, name: name)
    }

    /// Element-wise product `a · b` with broadcasting, e.g. a squeeze-and-excitation gate
    /// `[N, C, H, W] · [N, C, 1, 1]`. A product, not an activation: gradients reach both factors
    /// by the product rule, and no activation rule applies here.
    public func multiply(_ a: Variable, _ b: Variable, name: String = "") throws(TapeError) -> Variable {
        try arithmetic(.multiply, a, b, name: name)
    }

    /// Element-wise quotient `a / b` with broadcasting (a zero divisor gives ±∞ or NaN, which
    /// ``checkFinite()`` reports).
    public func divide(_ a: Variable, _ b: Variable, name: String = "") throws(TapeError) -> Variable {
        try arithmetic(.divide, a, b, name: name)
    }

    /// `a ∘ b` for any ``Broadcast/Operation`` (``add(_:_:name:)`` records the same sum).
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` naming the operation and both shapes
    ///   when they do not broadcast.
    public func arithmetic(_ operation: Broadcast.Operation, _ a: Variable, _ b: Variable, name: String = "") throws(TapeError) -> Variable {
        if operation == .add { return try add(a, b, name: name) }
        return try record(.arithmetic(operation), inputs: [a, b], name: name) { (v) throws(TensorError) in
            try Broadcast.apply(operation, v[0], v[1], workers: workers)
        }
    }

    /// The gradients of both operands of a broadcast operation, each summed back to its shape.
    func arithmeticBackward(_ operation: Broadcast.Operation, node: Node, upstream: Tensor, wants: (Int) -> Bool) throws(TensorError) -> [(Int, Tensor)] {
        let a = valueOfNode(node.inputs[0]), b = valueOfNode(node.inputs[1])
        var result: [(Int, Tensor)] = []
        if wants(0) {
            let full: Tensor = switch operation {
            case .add, .subtract: upstream
            case .multiply: try Broadcast.apply(.multiply, upstream, b, workers: workers)
            case .divide: try Broadcast.apply(.divide, upstream, b, workers: workers)
            }
            result.append((node.inputs[0], try Broadcast.sum(full, toShape: a.shape)))
        }
        if wants(1) {
            let gradient: Tensor
            switch operation {
            case .add: gradient = try Broadcast.sum(upstream, toShape: b.shape)
            case .subtract: gradient = try Broadcast.sum(upstream, toShape: b.shape).scaled(by: -1, workers: workers)
            case .multiply: gradient = try Broadcast.sum(try Broadcast.apply(.multiply, upstream, a, workers: workers), toShape: b.shape)
            case .divide:
                // d(a/b)/db = −(a/b)/b = −y/b.
                let weighted = try Broadcast.apply(.multiply, upstream, node.storedValue, workers: workers)
                gradient = try Broadcast.sum(try Broadcast.apply(.divide, weighted, b, workers: workers), toShape: b.shape).scaled(by: -1, workers: workers)
            }
            result.append((node.inputs[1], gradient))
        }
        return result
    }
}
