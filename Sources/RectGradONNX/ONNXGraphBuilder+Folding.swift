import RectGradCore

extension ONNXGraphBuilder {
    /// The value of node `index` computed at import when its inputs are known (shape
    /// arithmetic, constants); `nil` when the operator is not folded.
    func fold(_ index: Int, attributes: ONNXAttributes) throws(ONNXError) -> ONNXConstant? {
        let context = context(index)
        let node = graph.node[index]
        func constant(_ position: Int) throws(ONNXError) -> ONNXConstant {
            guard let value = try constantInput(position, of: index) else { throw .invalidNode(context, reason: "input \(position) is missing") }
            return value
        }
        func checked(_ shape: [Int]) throws(ONNXError) -> Int {
            do { return try options.limits.elementCount(of: shape, tensor: "output of \(context.name)") } catch {
                throw .invalidNode(context, reason: "\(error)")
            }
        }
        switch node.opType {
        case "Constant":
            if let proto = try attributes.tensor("value") {
                do { return try decoder.decode(proto, name: context.name) } catch { throw .invalidNode(context, reason: "\(error)") }
            }
            if let value = try attributes.float("value_float") { return ONNXConstant(shape: [], floats: [value]) }
            if let values = try attributes.floats("value_floats") { return ONNXConstant(shape: [values.count], floats: values) }
            if let value = try attributes.int("value_int") { return ONNXConstant(shape: [], integers: [Int64(value)]) }
            if let values = try attributes.ints("value_ints") { return ONNXConstant(shape: [values.count], integers: values.map { Int64($0) }) }
            throw .unsupportedOperator(context, reason: "the constant's value attribute is missing or of an unsupported kind")
        case "Identity", "Dropout":
            return try constant(0)
        case "Shape":
            let dims: [Int]
            switch try input(0, of: index) {
            case .variable(let value): dims = shape(of: value)
            case .constant(let value): dims = value.shape
            case nil: throw .invalidNode(context, reason: "input 0 is missing")
            }
            let rank = dims.count
            func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
            let start = clamp(try attributes.int("start", default: 0))
            let end = clamp(try attributes.int("end", default: rank))
            let slice = start < end ? Array(dims[start..<end]) : []
            return ONNXConstant(shape: [slice.count], integers: slice.map { Int64($0) })
        case "Cast":
            let value = try constant(0)
            guard let target = try attributes.int("to"), let type = ONNXTensorDecoder.DataType(rawValue: Int32(clamping: target)) else {
                throw .invalidNode(context, reason: "Cast to an unsupported type")
            }
            if type.isFloatingPoint { return ONNXConstant(shape: value.shape, floats: value.floats) }
            if let integers = value.integers { return ONNXConstant(shape: value.shape, integers: integers) }
            var converted: [Int64] = []
            for element in value.floats {
                guard element.isFinite, abs(element) < 9.2e18 else { throw .invalidNode(context, reason: "cannot cast \(element) to an integer") }
                converted.append(Int64(element.rounded(.towardZero)))
            }
            return ONNXConstant(shape: value.shape, integers: converted)
        case "ConstantOfShape":
            let dims = try constant(0)
            guard let integers = dims.integers else { throw .invalidNode(context, reason: "the shape must be integers") }
            let shape = integers.map { Int(clamping: $0) }
            let count = try checked(shape)
            let fill = try attributes.tensor("value").map { proto throws(ONNXError) -> ONNXConstant in
                do { return try decoder.decode(proto, name: context.name) } catch { throw .invalidNode(context, reason: "\(error)") }
            } ?? ONNXConstant(shape: [1], floats: [0])
            guard fill.count == 1 else { throw .invalidNode(context, reason: "the fill value must have one element") }
            if let integers = fill.integers { return ONNXConstant(shape: shape, integers: [Int64](repeating: integers[0], count: count)) }
            return ONNXConstant(shape: shape, floats: [Float](repeating: fill.floats[0], count: count))
        case "Flatten", "Reshape", "Squeeze", "Unsqueeze":
            let value = try constant(0)
            let (shape, _) = try reshapedShape(index, attributes: attributes, input: value.shape, isVariable: false)
            var result = value
            result.shape = shape
            return result
        case "Transpose":
            let value = try constant(0)
            let (shape, permutation) = try reshapedShape(index, attributes: attributes, input: value.shape, isVariable: false)
            let sourceStrides = Self.strides(value.shape)
            let order = Self.gatherOrder(shape: shape) { position in
                zip(position, permutation ?? []).reduce(0) { $0 + $1.0 * sourceStrides[$1.1] }
            }
            return value.selecting(order, shape: shape)
        case "Gather":
            let data = try constant(0)
            let indices = try constant(1)
            guard let positions = indices.integers else { throw .invalidNode(context, reason: "indices must be integers") }
            let rank = data.shape.count
            guard rank >= 1 else { throw .invalidNode(context, reason: "cannot gather from a scalar") }
            let rawAxis = try attributes.int("axis", default: 0)
            let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
            guard axis >= 0, axis < rank else { throw .invalidNode(context, reason: "axis \(rawAxis) is out of range") }
            let size = data.shape[axis]
            var resolved: [Int] = []
            for raw in positions {
                let position = raw < 0 ? Int(clamping: raw) + size : Int(clamping: raw)
                guard position >= 0, position < size else { throw .invalidNode(context, reason: "index \(raw) is out of range for size \(size)") }
                resolved.append(position)
            }
            let outer = data.shape[..<axis].reduce(1, *)
            let inner = data.shape[(axis + 1)...].reduce(1, *)
            let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
            _ = try checked(shape)
            var order: [Int] = []
            for o in 0..<outer { for p in resolved { for i in 0..<inner { order.append((o * size + p) * inner + i) } } }
            return data.selecting(order, shape: shape)
        case "Concat":
            var parts: [ONNXConstant] = []
            for position in node.input.indices { parts.append(try constant(position)) }
            guard let first = parts.first else { throw .invalidNode(context, reason: "no inputs") }
            let rank = first.shape.count
            let rawAxis = try attributes.int("axis") ?? 0
            let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
            guard axis >= 0, axis < rank else { throw .invalidNode(context, reason: "axis \(rawAxis) is out of range") }
            for part in parts {
                guard part.shape.count == rank, part.isFloat == first.isFloat,
                      part.shape.indices.allSatisfy({ $0 == axis || part.shape[$0] == first.shape[$0] }) else {
                    throw .invalidNode(context, reason: "inputs of shapes \(parts.map(\.shape)) do not concatenate along axis \(axis)")
                }
            }
            var shape = first.shape
            shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
            _ = try checked(shape)
            let outer = first.shape[..<axis].reduce(1, *)
            var floats: [Float] = []
            var integers: [Int64] = []
            for o in 0..<outer {
                for part in parts {
                    let block = part.shape[axis...].reduce(1, *)
                    if let values = part.integers { integers += values[(o * block)..<((o + 1) * block)] } else {
                        floats += part.floats[(o * block)..<((o + 1) * block)]
                    }
                }
            }
            return first.isFloat ? ONNXConstant(shape: shape, floats: floats) : ONNXConstant(shape: shape, integers: integers)
        case "Slice":
            return try foldSlice(index, data: constant(0))
        case "Add", "Sub", "Mul", "Div":
            return try foldArithmetic(index, constant(0), constant(1))
        case "Neg":
            let value = try constant(0)
            if let integers = value.integers { return ONNXConstant(shape: value.shape, integers: integers.map { 0 &- $0 }) }
            return ONNXConstant(shape: value.shape, floats: value.floats.map { -$0 })
        default:
            return nil
        }
    }

    /// Slice (opset 10+: starts, ends, axes and steps as inputs) of a constant.
    private func foldSlice(_ index: Int, data: ONNXConstant) throws(ONNXError) -> ONNXConstant {
        let context = context(index)
        func list(_ position: Int) throws(ONNXError) -> [Int]? {
            guard let value = try constantInput(position, of: index, required: false) else { return nil }
            guard let integers = value.integers else { throw .invalidNode(context, reason: "input \(position) must be integers") }
            return integers.map { Int(clamping: $0) }
        }
        let rank = data.shape.count
        guard let starts = try list(1), let ends = try list(2) else { throw .invalidNode(context, reason: "starts and ends are required") }
        let axes = try list(3) ?? Array(0..<starts.count)
        let steps = try list(4) ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw .invalidNode(context, reason: "starts, ends, axes and steps differ in length")
        }
        var ranges = data.shape.map { (start: 0, step: 1, count: $0) }
        for (k, rawAxis) in axes.enumerated() {
            let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
            guard axis >= 0, axis < rank else { throw .invalidNode(context, reason: "axis \(rawAxis) is out of range") }
            let size = data.shape[axis]
            let step = steps[k]
            guard step != 0 else { throw .invalidNode(context, reason: "step 0") }
            func resolve(_ value: Int, low: Int, high: Int) -> Int {
                let shifted = value < 0 ? value &+ size : value
                return min(max(shifted, low), high)
            }
            if step > 0 {
                let start = resolve(starts[k], low: 0, high: size)
                let end = resolve(ends[k], low: 0, high: size)
                ranges[axis] = (start, step, max(0, (end - start + step - 1) / step))
            } else {
                let start = resolve(starts[k], low: -1, high: size - 1)
                let end = resolve(ends[k], low: -1, high: size - 1)
                ranges[axis] = (start, step, max(0, (start - end + (-step) - 1) / (-step)))
            }
        }
        let shape = ranges.map(\.count)
        let strides = Self.strides(data.shape)
        let order = Self.gatherOrder(shape: shape) { position in
            position.indices.reduce(0) { $0 + (ranges[$1].start + position[$1] * ranges[$1].step) * strides[$1] }
        }
        return data.selecting(order, shape: shape)
    }

    /// Element-wise arithmetic on constants with NumPy broadcasting.
    private func foldArithmetic(_ index: Int, _ a: ONNXConstant, _ b: ONNXConstant) throws(ONNXError) -> ONNXConstant {
        let context = context(index)
        let opType = graph.node[index].opType
        let rank = max(a.shape.count, b.shape.count)
        let left = [Int](repeating: 1, count: rank - a.shape.count) + a.shape
        let right = [Int](repeating: 1, count: rank - b.shape.count) + b.shape
        var shape: [Int] = []
        for axis in 0..<rank {
            guard left[axis] == right[axis] || left[axis] == 1 || right[axis] == 1 else {
                throw .invalidNode(context, reason: "shapes \(a.shape) and \(b.shape) do not broadcast")
            }
            shape.append(left[axis] == 1 ? right[axis] : left[axis])
        }
        do { _ = try options.limits.elementCount(of: shape, tensor: "output of \(context.name)") } catch { throw .invalidNode(context, reason: "\(error)") }
        let leftStrides = Self.strides(left).enumerated().map { left[$0.offset] == 1 ? 0 : $0.element }
        let rightStrides = Self.strides(right).enumerated().map { right[$0.offset] == 1 ? 0 : $0.element }
        let leftOrder = Self.gatherOrder(shape: shape) { zip($0, leftStrides).reduce(0) { $0 + $1.0 * $1.1 } }
        let rightOrder = Self.gatherOrder(shape: shape) { zip($0, rightStrides).reduce(0) { $0 + $1.0 * $1.1 } }
        if let x = a.integers, let y = b.integers {
            var result: [Int64] = []
            for (i, j) in zip(leftOrder, rightOrder) {
                switch opType {
                case "Add": result.append(x[i] &+ y[j])
                case "Sub": result.append(x[i] &- y[j])
                case "Mul": result.append(x[i] &* y[j])
                default:
                    guard y[j] != 0 else { throw .invalidNode(context, reason: "integer division by zero") }
                    result.append(x[i] / y[j])
                }
            }
            return ONNXConstant(shape: shape, integers: result)
        }
        let x = a.floats, y = b.floats
        let result: [Float] = zip(leftOrder, rightOrder).map { i, j in
            switch opType {
            case "Add": return x[i] + y[j]
            case "Sub": return x[i] - y[j]
            case "Mul": return x[i] * y[j]
            default: return x[i] / y[j]
            }
        }
        return ONNXConstant(shape: shape, floats: result)
    }

    /// Row-major strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }

    /// For every position of `shape` in row-major order, the source offset `offset(position)`.
    static func gatherOrder(shape: [Int], offset: ([Int]) -> Int) -> [Int] {
        let count = shape.reduce(1, *)
        guard count > 0 else { return [] }
        var position = [Int](repeating: 0, count: shape.count)
        var order: [Int] = []
        order.reserveCapacity(count)
        for _ in 0..<count {
            order.append(offset(position))
            var axis = shape.count - 1
            while axis >= 0 {
                position[axis] += 1
                if position[axis] < shape[axis] { break }
                position[axis] = 0
                axis -= 1
            }
        }
        return order
    }
}

extension ONNXConstant {
    /// The elements at `order`, as a tensor of `shape`.
    func selecting(_ order: [Int], shape: [Int]) -> ONNXConstant {
        switch storage {
        case .float(let values): return ONNXConstant(shape: shape, floats: order.map { values[$0] })
        case .integer(let values): return ONNXConstant(shape: shape, integers: order.map { values[$0] })
        }
    }
}
