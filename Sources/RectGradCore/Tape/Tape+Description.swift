import Foundation

extension Tape: CustomStringConvertible {
    /// One line per node: id, operation, inputs, output shape, name.
    ///
    /// ```
    /// %0 = input() → [1, 3, 32, 32] 'input'
    /// %3 = conv2d(%0, %1, %2) stride 1, padding 1 → [1, 32, 32, 32] 'conv1'
    /// ```
    public var description: String {
        var lines = ["Tape: \(nodes.count) nodes, \(activationCount) activations"]
        for (id, node) in nodes.enumerated() {
            let arguments = node.inputs.map { "%\($0)" }.joined(separator: ", ")
            let detail = node.operation.detail
            var line = "%\(id) = \(node.operation.name)(\(arguments))"
            if !detail.isEmpty { line += " \(detail)" }
            line += " → \(node.shape)"
            if !node.name.isEmpty { line += " '\(node.name)'" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The recorded graph in Graphviz `dot` syntax (parameters drawn as small grey boxes).
    public func graphviz() -> String {
        var lines = ["digraph tape {", "  rankdir=TB;", "  node [shape=box, fontname=\"Helvetica\"];"]
        for (id, node) in nodes.enumerated() {
            let label = [node.operation.name, node.name, "\(node.shape)"].filter { !$0.isEmpty }.joined(separator: "\\n")
            var style = ""
            if case .leaf(.parameter) = node.operation { style = ", style=filled, fillcolor=\"#eeeeee\", fontsize=9" }
            if case .activation = node.operation { style = ", style=filled, fillcolor=\"#fde2c8\"" }
            lines.append("  n\(id) [label=\"\(label.replacingOccurrences(of: "\"", with: "'"))\"\(style)];")
            for input in node.inputs { lines.append("  n\(input) -> n\(id);") }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}
