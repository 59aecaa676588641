import RectGradCore

extension ONNXGraphBuilder {
    /// The output shape of Flatten/Reshape/Squeeze/Unsqueeze/Transpose applied to `input`;
    /// for Transpose also the permutation.
    func reshapedShape(_ index: Int, attributes: ONNXAttributes, input: [Int], isVariable: Bool) throws(ONNXError) -> (shape: [Int], permutation: [Int]?) {
        let context = context(index)
        let opType = graph.node[index].opType
        let rank = input.count
        func normalized(_ axis: Int, rank: Int) throws(ONNXError) -> Int {
            let value = axis < 0 ? axis + rank : axis
            guard value >= 0, value < max(rank, 1) || (rank == 0 && value == 0) else {
                throw .invalidNode(context, reason: "axis \(axis) is out of range for rank \(rank)")
            }
            return value
        }
        func axesInput(_ attribute: String) throws(ONNXError) -> [Int]? {
            if opset < 13 { return try attributes.ints(attribute) }
            guard let constant = try constantInput(1, of: index, required: false) else { return nil }
            guard let integers = constant.integers else { throw .invalidNode(context, reason: "axes must be integers") }
            return integers.map { Int(clamping: $0) }
        }
        switch opType {
        case "Flatten":
            let axis = try attributes.int("axis", default: 1)
            let split = axis < 0 ? axis + rank : axis
            guard split >= 0, split <= rank else { throw .invalidNode(context, reason: "axis \(axis) is out of range for rank \(rank)") }
            return ([input[..<split].reduce(1, *), input[split...].reduce(1, *)], nil)
        case "Reshape":
            guard let target = try constantInput(1, of: index), let integers = target.integers, target.shape.count == 1 else {
                throw .dynamicShape(context, reason: "the target shape must be a constant 1-D integer tensor")
            }
            let allowZero = try attributes.int("allowzero", default: 0) != 0
            var output: [Int] = []
            var inferred: Int?
            for (axis, raw) in integers.enumerated() {
                guard let value = Int(exactly: raw), value >= -1, value <= options.limits.maximumTensorElements else {
                    throw .invalidNode(context, reason: "target shape \(integers) holds the invalid size \(raw)")
                }
                if value == 0 && !allowZero {
                    guard axis < rank else { throw .invalidNode(context, reason: "target shape \(integers) copies dimension \(axis) of a rank-\(rank) input") }
                    output.append(input[axis])
                } else if value == -1 {
                    guard inferred == nil else { throw .invalidNode(context, reason: "target shape \(integers) has two -1") }
                    inferred = axis
                    output.append(1)
                } else {
                    output.append(value)
                }
            }
            let total = input.reduce(1, *)
            if let inferred {
                let known = output.reduce(1, *)
                guard known > 0, total % known == 0 else { throw .invalidNode(context, reason: "cannot reshape \(input) to \(integers)") }
                output[inferred] = total / known
            }
            guard output.reduce(1, *) == total else { throw .invalidNode(context, reason: "cannot reshape \(input) (\(total) elements) to \(integers)") }
            if isVariable && integers.first.map({ ![0, 1, -1].contains($0) }) ?? true {
                throw .dynamicShape(context, reason: "reshaping \(input) to \(integers) changes the batch dimension")
            }
            return (output, nil)
        case "Squeeze":
            let axes = try axesInput("axes").map { (list) throws(ONNXError) -> [Int] in
                var result: [Int] = []
                for axis in list { result.append(try normalized(axis, rank: rank)) }
                return result
            } ?? input.indices.filter { input[$0] == 1 && !(isVariable && $0 == 0) }
            for axis in axes where input[axis] != 1 {
                throw .invalidNode(context, reason: "cannot squeeze axis \(axis) of size \(input[axis])")
            }
            if isVariable && axes.contains(0) { throw .dynamicShape(context, reason: "squeezing the batch dimension") }
            return (input.indices.filter { !axes.contains($0) }.map { input[$0] }, nil)
        case "Unsqueeze":
            guard let list = try axesInput("axes") else { throw .invalidNode(context, reason: "axes are required") }
            let outputRank = rank + list.count
            var axes: [Int] = []
            for axis in list { axes.append(try normalized(axis, rank: outputRank)) }
            guard Set(axes).count == axes.count else { throw .invalidNode(context, reason: "axes \(list) repeat") }
            if isVariable && axes.contains(0) { throw .dynamicShape(context, reason: "unsqueezing before the batch dimension") }
            var output: [Int] = []
            var source = input.makeIterator()
            for axis in 0..<outputRank { output.append(axes.contains(axis) ? 1 : (source.next() ?? 1)) }
            return (output, nil)
        case "Transpose":
            let permutation = try attributes.ints("perm") ?? Array((0..<rank).reversed())
            guard permutation.count == rank, Set(permutation) == Set(0..<rank) else {
                throw .invalidNode(context, reason: "perm \(permutation) is not a permutation of rank \(rank)")
            }
            return (permutation.map { input[$0] }, permutation)
        default:
            throw .unsupportedOperator(context, reason: "\(opType) is not a reshape")
        }
    }

    /// A reshape of a computed value that keeps the batch dimension first.
    mutating func lowerReshape(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) {
        let context = context(index)
        let x = try variableInput(0, of: index)
        let input = shape(of: x)
        let (output, permutation) = try reshapedShape(index, attributes: attributes, input: input, isVariable: true)
        if let permutation {
            // A transpose that only moves size-1 axes (and keeps the batch first) is a reshape.
            guard permutation.first == 0 else {
                throw .unsupportedOperator(context, reason: "Transpose with perm \(permutation) moves the batch dimension")
            }
            let moved = permutation.filter { $0 == 0 || input[$0] != 1 }
            if moved != moved.sorted() {
                try bind(.variable(emit(.transpose(permutation), inputs: [x], node: index)), of: index)
                return
            }
        }
        if graph.node[index].opType == "Flatten" {
            let axis = try attributes.int("axis", default: 1)
            let split = axis < 0 ? axis + input.count : axis
            guard split >= 1, input[1..<split].reduce(1, *) == 1 else {
                throw .dynamicShape(context, reason: "Flatten at axis \(axis) of \(input) folds the batch dimension")
            }
        }
        guard output.first == 1 else { throw .dynamicShape(context, reason: "the output \(output) does not keep the batch dimension first") }
        try bind(.variable(emit(.reshape(trailing: Array(output.dropFirst())), inputs: [x], node: index)), of: index)
    }
}
