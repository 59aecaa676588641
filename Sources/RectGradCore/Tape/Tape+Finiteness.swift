extension Tape {
    /// The first recorded node (in recording order) whose value holds a NaN or an infinity:
    /// its name and operation, e.g. `'features.0' (conv2d)`, or `nil` when every value is finite.
    ///
    /// An input or parameter leaf that is already non-finite is reported as such.
    public func firstNonFiniteLayer() -> String? {
        // By index: reading a value may apply a pending batch norm, which writes `nodes`.
        for id in nodes.indices where isReadable(id) && !valueOfNode(id).isFinite {
            let operation = nodes[id].operation.name
            return nodes[id].name.isEmpty ? operation : "'\(nodes[id].name)' (\(operation))"
        }
        return nil
    }

    /// Checks that every recorded value is finite.
    /// - Throws: ``TapeError/nonFinite(layer:)`` naming the first layer that produced a NaN or an
    ///   infinity, so an overflow is an error instead of a plausible-looking map of zeros.
    public func checkFinite() throws(TapeError) {
        if let layer = firstNonFiniteLayer() { throw .nonFinite(layer: layer) }
    }
}
