import RectGradCore

/// GELU as exporters before opset 20 write it, `x · 0.5 · (1 + erf(x / √2))` in five nodes
/// (Div or Mul by 1/√2, Erf, Add 1, and two Mul in one of three association orders), found by
/// its wiring before lowering and recorded as one GELU activation site named after the Erf node.
struct ONNXGELUPattern {
    /// The name of the value GELU is applied to.
    var input: String
    /// The Erf node (its name is the site's name).
    var erf: Int
    /// The pattern's other nodes, in topological order (lowered one by one if the constants
    /// turn out not to be GELU's).
    var inner: [Int]
    /// Constant values the pattern needs: `(value name, expected value)`.
    var constants: [(name: String, expected: Float)]
}

extension ONNXGraphBuilder {
    /// Finds every erf-GELU pattern by its wiring (each intermediate value read by exactly one
    /// node and not a graph output) and marks its inner nodes as absorbed; the constants are
    /// checked when the pattern's last node is lowered.
    mutating func findGELUPatterns() {
        var producer: [String: Int] = [:]
        for (index, node) in graph.node.enumerated() {
            for output in node.output where !output.isEmpty { producer[output] = index }
        }
        let graphOutputs = Set(graph.output.map(\.name))
        func soleReader(_ value: String) -> Int? {
            guard !graphOutputs.contains(value), let readers = consumers[value], readers.count == 1 else { return nil }
            return readers[0]
        }
        func isConstant(_ value: String) -> Bool {
            if case .constant? = values[value] { return true }
            return producer[value].map { graph.node[$0].opType == "Constant" } ?? false
        }
        func binary(_ index: Int, _ opType: String) -> (String, String)? {
            let node = graph.node[index]
            guard node.opType == opType, node.input.count == 2, node.output.count >= 1, node.domain.isEmpty || node.domain == "ai.onnx" else { return nil }
            return (node.input[0], node.input[1])
        }
        /// The other operand of a binary node, given one of its operands.
        func other(_ pair: (String, String), than value: String) -> String? {
            pair.0 == value ? pair.1 : pair.1 == value ? pair.0 : nil
        }
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        for (erf, node) in graph.node.enumerated() where node.opType == "Erf" && node.input.count == 1 && node.output.count == 1 {
            let scaled = node.input[0]
            guard soleReader(scaled) == erf, let divide = producer[scaled] else { continue }
            var constants: [(name: String, expected: Float)] = []
            let x: String
            if let (a, b) = binary(divide, "Div") {
                guard isConstant(b), !isConstant(a) else { continue }
                x = a
                constants.append((b, Float(2.0.squareRoot())))
            } else if let (a, b) = binary(divide, "Mul") {
                guard isConstant(a) != isConstant(b) else { continue }
                x = isConstant(a) ? b : a
                constants.append((isConstant(a) ? a : b, Float(0.5.squareRoot())))
            } else {
                continue
            }
            guard let erfOutput = node.output.first, let add = soleReader(erfOutput), let addPair = binary(add, "Add"),
                  let one = other(addPair, than: erfOutput), isConstant(one),
                  let addOutput = graph.node[add].output.first, let first = soleReader(addOutput),
                  let firstPair = binary(first, "Mul"), let factor = other(firstPair, than: addOutput),
                  let firstOutput = graph.node[first].output.first
            else { continue }
            constants.append((one, 1))
            var inner = [divide, erf, add]
            let end: Int
            if factor == x || isConstant(factor) {
                // (x · (1 + erf)) · 0.5 or (0.5 · (1 + erf)) · x
                guard let second = soleReader(firstOutput), let secondPair = binary(second, "Mul"),
                      let last = other(secondPair, than: firstOutput) else { continue }
                if factor == x {
                    guard isConstant(last) else { continue }
                    constants.append((last, 0.5))
                } else {
                    guard last == x else { continue }
                    constants.append((factor, 0.5))
                }
                inner.append(first)
                end = second
            } else {
                // (x · 0.5) · (1 + erf)
                guard let half = producer[factor], soleReader(factor) == first, let halfPair = binary(half, "Mul"),
                      let halfConstant = other(halfPair, than: x), isConstant(halfConstant) else { continue }
                constants.append((halfConstant, 0.5))
                inner.append(half)
                end = first
            }
            guard geluPatterns[end] == nil, inner.allSatisfy({ !absorbed.contains($0) }) else { continue }
            inner.sort { (position[$0] ?? 0) < (position[$1] ?? 0) }
            geluPatterns[end] = ONNXGELUPattern(input: x, erf: erf, inner: inner, constants: constants)
            absorbed.formUnion(inner)
        }
    }

    /// Records `pattern`, ending at node `end`, as one GELU site when its constants are GELU's
    /// (relative tolerance 1e-6) and its input is computed; `false` leaves it to the caller.
    mutating func lowerGELU(_ pattern: ONNXGELUPattern, end: Int) throws(ONNXError) -> Bool {
        for (name, expected) in pattern.constants {
            guard case .constant(let constant)? = values[name], constant.isFloat, constant.count == 1,
                  abs(constant.floats[0] - expected) <= 1e-6 * abs(expected) else { return false }
        }
        guard case .variable(let x)? = values[pattern.input] else { return false }
        let output = try emit(.activation(.gelu(.erf)), inputs: [x], node: pattern.erf, opType: "Div+Erf+Add+Mul (GELU)")
        try bind(.variable(output), of: end)
        return true
    }
}
