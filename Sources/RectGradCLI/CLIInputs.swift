import ArgumentParser
import Foundation
import RectifiedGradient

/// Errors of the command-line tool that are not errors of a library module.
enum CLIError: Error, CustomStringConvertible {
    /// An input array that does not fit the model.
    case inputDoesNotFit(model: String, expected: [Int], actual: [Int], file: String)

    var description: String {
        switch self {
        case .inputDoesNotFit(let model, let expected, let actual, let file):
            return "\(file) holds an array of shape \(actual), but \(model) expects [N, \(expected.map(String.init).joined(separator: ", "))]"
        }
    }
}

/// Shared helpers for reading inputs, building networks and writing outputs.
enum CLIInputs {
    /// The zoo entry called `name`.
    static func entry(named name: String) throws -> ZooEntry {
        try Zoo.entry(named: name)
    }

    /// The network of `entry` with the weights in `weightsPath`, or He-normal weights from `seed`.
    static func network(for entry: ZooEntry, weights weightsPath: String?, seed: UInt64, allowExtraNames: Bool) throws -> Network {
        guard let weightsPath else { return try entry.network(seed: seed) }
        return try entry.network(weights: SafetensorsFile.read(contentsOf: URL(fileURLWithPath: weightsPath)), source: weightsPath, allowExtraNames: allowExtraNames)
    }

    /// Reads an NCHW `.npy` input and checks it against the network.
    static func readInput(_ path: String, for network: Network) throws -> Tensor {
        let tensor = try NumPyFile.read(contentsOf: URL(fileURLWithPath: path))
        do { try network.validateInputShape(tensor.shape) } catch {
            throw CLIError.inputDoesNotFit(
                model: network.name, expected: [network.inputChannels, network.inputSize.height, network.inputSize.width],
                actual: tensor.shape, file: path
            )
        }
        return tensor
    }

    /// Decodes PNG or JPEG files, resizes them to the model's input size and scales them as its
    /// ``Preprocessing`` says, giving one `[N, 3, H, W]` batch.
    static func readImages(_ paths: [String], preprocessing: Preprocessing, orientation: OrientationHandling) throws -> Tensor {
        let inputs = try paths.map { path in
            try preprocessing.networkInput(from: decodeImage(path, orientation: orientation)).tensor
        }
        return try Tensor.concatenate(inputs)
    }

    /// Decodes the PNG or JPEG at `path`.
    static func decodeImage(_ path: String, orientation: OrientationHandling) throws -> RGBImage {
        try ImageDecoding.decode(contentsOf: URL(fileURLWithPath: path), options: .init(orientation: orientation))
    }

    /// The help of the `--orientation` option of the commands that read images.
    static let orientationHelp = ArgumentHelp(
        "'exif' turns JPEGs upright by their EXIF orientation, as photo viewers show them; 'ignore' keeps the stored pixels, as torchvision's loaders do.",
        valueName: "exif|ignore")

    /// The `--orientation` value, or a validation error naming the option.
    static func orientation(parsing text: String) throws -> OrientationHandling {
        guard let handling = OrientationHandling(rawValue: text) else {
            throw ValidationError("--orientation must be 'exif' or 'ignore', got '\(text)'.")
        }
        return handling
    }

    /// Writes a tensor as a float32 `.npy` file.
    static func writeArray(_ tensor: Tensor, to path: String) throws {
        try NumPyFile.write(tensor, to: URL(fileURLWithPath: path))
    }

    /// The `k` most probable classes of each row of `[N, K]` logits: `(class, probability, logit)`.
    static func topClasses(_ logits: Tensor, k: Int) -> [[(index: Int, probability: Double, logit: Float)]] {
        guard logits.rank == 2 else { return [] }
        let classes = logits.shape[1]
        return (0..<logits.shape[0]).map { row in
            let values = (0..<classes).map { logits[row, $0] }
            let largest = Double(values.max() ?? 0)
            let exponentials = values.map { Foundation.exp(Double($0) - largest) }
            let total = exponentials.reduce(0, +)
            let order = (0..<classes).sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
            return order.prefix(k).map { ($0, exponentials[$0] / total, values[$0]) }
        }
    }

    /// Prints a note to standard error (for notes that must not mix with the results).
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("note: \(message)\n".utf8))
    }

    /// `1234567` → `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (i, character) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { result += "," }
            result.append(character)
        }
        return result
    }
}
