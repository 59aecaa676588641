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

/// A failure while a command runs (not a usage mistake): printed as `Error: <message>`, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String

    init(_ message: String) { description = message }
}

/// Shared helpers for reading inputs and writing outputs.
enum CLIInputs {
    /// Reads an NCHW `.npy` input and checks it against the network.
    static func readInput(_ path: String, for network: Network, option: String = "--input") throws -> Tensor {
        try FileAccess.checkInputFile(path, option: option)
        let tensor = try NumPyFile.read(contentsOf: URL(fileURLWithPath: path))
        do { try network.validateInputShape(tensor.shape) } catch {
            throw CLIError.inputDoesNotFit(
                model: network.name, expected: [network.inputChannels, network.inputSize.height, network.inputSize.width],
                actual: tensor.shape, file: path
            )
        }
        return tensor
    }

    /// Decodes PNG or JPEG files and prepares them as the model's ``Preprocessing`` says, giving
    /// one `[N, 3, H, W]` batch.
    static func readImages(_ paths: [String], for model: Model, orientation: OrientationHandling) throws -> Tensor {
        try model.input(from: paths.map { try decodeImage($0, orientation: orientation) })
    }

    /// Decodes the PNG or JPEG at `path`.
    static func decodeImage(_ path: String, orientation: OrientationHandling) throws -> RGBImage {
        try FileAccess.checkInputFile(path, option: "")
        return try ImageDecoding.decode(contentsOf: URL(fileURLWithPath: path), options: .init(orientation: orientation))
    }

    /// The help of the `--orientation` option of the commands that read images.
    static let orientationHelp = ArgumentHelp(
        "'exif' turns JPEGs upright by their EXIF orientation, as photo viewers show them; 'ignore' keeps the stored pixels, as torchvision's loaders do.",
        valueName: "exif|ignore")

    /// Writes a tensor as a float32 `.npy` file (atomically).
    static func writeArray(_ tensor: Tensor, to path: String, option: String) throws {
        try FileAccess.write(NumPyFile.encode(tensor), to: path, option: option)
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
