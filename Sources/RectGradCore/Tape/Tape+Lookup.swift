/// Finding recorded values by the layer names they were recorded with, for layer attribution
/// (Grad-CAM, layer gradient × activation, neuron gradients).
extension Tape {
    /// The value recorded with `name` (a layer's output, e.g. `features.29` or `layer4.1.relu2`).
    /// When several nodes carry the name (a module called more than once), the **last** one is
    /// returned: the layer's final output. Leaves (inputs, parameters) are not layer outputs and
    /// are never returned.
    public func variable(named name: String) -> Variable? {
        guard !name.isEmpty else { return nil }
        for id in stride(from: nodes.count - 1, through: 0, by: -1) where nodes[id].name == name {
            if case .leaf = nodes[id].operation { continue }
            return Variable(id: id)
        }
        return nil
    }

    /// Every named layer output in recording order (without leaves), with its operation and
    /// shape: the names ``variable(named:)`` accepts.
    public var namedValues: [(name: String, operation: String, shape: [Int], variable: Variable)] {
        nodes.enumerated().compactMap { id, node in
            if case .leaf = node.operation { return nil }
            guard !node.name.isEmpty else { return nil }
            return (node.name, node.operation.name, node.shape, Variable(id: id))
        }
    }
}
