import ArgumentParser
import RectifiedGradient

/// `rectgrad models`: the zoo with parameter counts and input sizes.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model zoo with parameter counts and expected input sizes.",
        discussion: """
        PARAMETERS counts weights and biases (batch-norm running statistics excluded). INPUT is the \
        network's input size. Below the table, every model's preprocessing: how a photo reaches the \
        input size and how pixels in 0...255 are scaled. Weights are given with --weights \
        FILE.safetensors, or found in the weights cache (below), or shipped (cifar-cnn).
        """
    )

    @Flag(name: .long, help: "Print only the model names, one per line.")
    var namesOnly = false

    @Option(name: .long, help: ArgumentHelp("List the layers (with their parameters) and the activation sites of one model: the names that per-layer backward rules select (LayerSelector .name, .namePrefix, .ordinal).", valueName: "name"))
    var layers: String?

    @Option(name: .long, help: ArgumentHelp("Import an ONNX classifier and list its layers (ONNX node, operator, tape operation, output shape) and activation sites.", valueName: "file.onnx"))
    var inspect: String?

    func validate() throws {
        if let layers {
            do { _ = try Zoo.entry(named: layers) } catch { throw ValidationError("--layers: \(error)") }
        }
    }

    func run() throws {
        if let inspect {
            try self.inspect(inspect)
            return
        }
        if let layers {
            try listLayers(of: Zoo.entry(named: layers))
            return
        }
        if namesOnly {
            for name in Zoo.names { print(name) }
            return
        }
        let header = ["NAME", "PARAMETERS", "INPUT", "CLASSES", "WEIGHTS"]
        let rows = Zoo.entries.map { entry -> [String] in
            let size = entry.preprocessing.inputSize
            let found = WeightsCache.defaultWeights(for: entry.name)
            let weights = found.map { $0 == ShippedModel.weightsURL ? "shipped (trained on the shapes dataset)" : $0.path } ?? "none (use --weights or --random-weights)"
            return [entry.name, CLIInputs.grouped(entry.parameterCount), "3x\(size.height)x\(size.width)", String(entry.classCount), weights]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            let cells = row.enumerated().map { column, cell -> String in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                // Right-align the numbers.
                return column == 1 || column == 3 ? padding + cell : cell + padding
            }
            print(cells.joined(separator: "  ").trimmingTrailingSpaces())
        }
        print("")
        print("Preprocessing:")
        var seen: [(Preprocessing, [String])] = []
        for entry in Zoo.entries {
            if let index = seen.firstIndex(where: { $0.0 == entry.preprocessing }) { seen[index].1.append(entry.name) } else { seen.append((entry.preprocessing, [entry.name])) }
        }
        for (preprocessing, names) in seen {
            print("  \(names.joined(separator: ", ")):")
            print("    \(preprocessing.inputSize.height)×\(preprocessing.inputSize.width) RGB; \(preprocessing.resize)")
            print("    \(preprocessing.scaling)")
        }
        print("  (--resize stretch on predict, attribute and explain resizes straight to the input size instead.)")
        print("")
        print("Weights cache: \(WeightsCache.directory.path) (set RECTGRAD_CACHE_DIR or XDG_CACHE_HOME to move it)")
    }
}

extension ModelsCommand {
    /// `--layers NAME`: the parameterised layers and the activation sites (random weights: only
    /// names and shapes are shown).
    func listLayers(of entry: ZooEntry) throws {
        let network = try entry.network(initialization: .zeros)
        print(network.description)
        print("")
        print("Layers with parameters:")
        for (layer, parameters) in network.parameterizedLayers {
            print("  \(layer): " + parameters.map { "\($0.name) \($0.shape)" }.joined(separator: ", "))
        }
        try ModelsCommand.printActivationSites(of: network)
    }
}

extension ModelsCommand {
    /// Prints a network's activation sites (ordinal, kind, name), the names `LayerSelector` takes.
    static func printActivationSites(of network: Network) throws {
        let sites = try network.activationSites()
        print("")
        print("Activation sites (\(sites.count)): ordinal, kind, name")
        let width = String(max(sites.count - 1, 0)).count
        for site in sites {
            let ordinal = String(site.ordinal)
            print("  " + String(repeating: " ", count: width - ordinal.count) + ordinal + "  \(site.kind)  \(site.name)")
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
