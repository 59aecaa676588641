import RectGradCore
import RectGradFormats
import RectGradLayers

/// How the tensors of a weights file compare with an architecture's parameters, by name and shape
/// (`num_batches_tracked` counters ignored): everything that differs, not only the first difference.
public struct WeightsFit: Sendable, Equatable, CustomStringConvertible {
    /// Parameters of the architecture the file lacks, in architecture order.
    public var missing: [String]
    /// Tensors of the file the architecture does not have, sorted.
    public var unexpected: [String]
    /// Tensors present in both with different shapes, e.g. `fc.weight [1000, 512] (file: [10, 512])`.
    public var misshapen: [String]

    /// Whether the file holds exactly the architecture's parameters (extra tensors allowed when
    /// `allowingExtra`).
    public func fits(allowingExtra: Bool = false) -> Bool {
        missing.isEmpty && misshapen.isEmpty && (allowingExtra || unexpected.isEmpty)
    }

    /// Compares `file` with the parameters of `network`.
    public init(file: SafetensorsFile, network: Network) {
        let tensors = Self.tensors(of: file)
        let expected = network.parameters
        let known = Set(expected.map(\.name))
        missing = expected.filter { tensors[$0.name] == nil }.map(\.name)
        unexpected = tensors.keys.filter { !known.contains($0) }.sorted()
        misshapen = expected.compactMap { parameter in
            guard let shape = tensors[parameter.name]?.shape, shape != parameter.value.shape else { return nil }
            return "\(parameter.name) \(parameter.value.shape) (file: \(shape))"
        }
    }

    /// The tensors of `file` by name, without batch-norm counters.
    static func tensors(of file: SafetensorsFile) -> [String: Tensor] {
        var values: [String: Tensor] = [:]
        for tensor in file.tensors where !tensor.name.hasSuffix("num_batches_tracked") { values[tensor.name] = tensor.value }
        return values
    }

    /// `3 missing (a, b, c), 1 unexpected (d)`, each list cut after `limit` names.
    public func summary(limit: Int = 5) -> String {
        func list(_ names: [String], _ label: String) -> String? {
            guard !names.isEmpty else { return nil }
            let shown = names.prefix(limit).joined(separator: ", ")
            return "\(names.count) \(label) (\(shown)\(names.count > limit ? ", …" : ""))"
        }
        let parts = [list(missing, "missing"), list(unexpected, "unexpected"), list(misshapen, "with another shape")].compactMap { $0 }
        return parts.isEmpty ? "every tensor fits" : parts.joined(separator: "; ")
    }

    public var description: String { summary() }
}

extension ZooEntry {
    /// How `file` compares with this architecture (built sharing the file's tensors, zeros for the
    /// others, so a fitting file costs no second copy).
    /// - Throws: ``ZooError`` if the architecture cannot be built.
    public func fit(of file: SafetensorsFile) throws(ZooError) -> WeightsFit {
        WeightsFit(file: file, network: try network(initialization: .sharing(file.dictionary)))
    }
}

extension Zoo {
    /// The entries whose parameters `file` holds exactly (names and shapes). Cheap: only entries
    /// whose parameter count is within the file's scalar count (which also holds batch-norm
    /// statistics) are built, sharing the file's tensors.
    public static func entries(fitting file: SafetensorsFile) -> [ZooEntry] {
        let scalars = WeightsFit.tensors(of: file).values.reduce(0) { $0 + $1.count }
        return entries.filter { entry in
            // Running means and variances add far less than a tenth to the learnable parameters.
            guard entry.parameterCount <= scalars, scalars - entry.parameterCount <= entry.parameterCount / 10 else { return false }
            return (try? entry.fit(of: file).fits()) == true
        }
    }
}
