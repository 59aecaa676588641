import ArgumentParser
import RectifiedGradient

/// `rectgrad models`: the zoo with parameter counts and input sizes.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model zoo with parameter counts and expected input sizes.",
        discussion: """
        PARAMETERS counts weights and biases (batch-norm running statistics excluded). INPUT is the \
        size images are resized to; PREPROCESSING is how pixels in 0...255 are scaled. Pretrained \
        weights are loaded with `rectgrad predict --weights FILE.safetensors`.
        """
    )

    @Flag(name: .long, help: "Print only the model names, one per line.")
    var namesOnly = false

    func run() throws {
        if namesOnly {
            for name in Zoo.names { print(name) }
            return
        }
        let header = ["NAME", "PARAMETERS", "INPUT", "CLASSES", "PREPROCESSING"]
        let rows = Zoo.entries.map { entry -> [String] in
            let size = entry.preprocessing.inputSize
            let scaling = entry.preprocessing.isSymmetric ? "pixel / 127.5 - 1" : "ImageNet mean/std"
            return [entry.name, CLIInputs.grouped(entry.parameterCount), "3x\(size.height)x\(size.width)", String(entry.classCount), scaling]
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
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
