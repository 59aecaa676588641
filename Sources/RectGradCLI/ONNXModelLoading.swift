import ArgumentParser
import Foundation
import RectifiedGradient

/// `--model path/to/net.onnx`: an ONNX classifier instead of a zoo model.
enum ONNXModelFile {
    /// Whether a `--model` value names an ONNX file (it ends in `.onnx`).
    static func isONNXPath(_ value: String) -> Bool {
        value.lowercased().hasSuffix(".onnx")
    }

    /// Checks that the file exists and that no zoo weights options were given with it.
    static func validate(_ path: String, weights: String?, randomWeights: Bool) throws {
        try FileAccess.checkInputFile(path, option: "--model")
        if weights != nil { throw ValidationError("--weights does not apply to an ONNX model: its weights are in \(path).") }
        if randomWeights { throw ValidationError("--random-weights does not apply to an ONNX model: its weights are in \(path).") }
    }

    /// The imported model; the importer's notes (a dropped final Softmax, …) go to standard error.
    static func load(_ path: String, workers: Workers) throws -> LoadedModel {
        let imported: ONNXImportedModel
        do {
            imported = try ONNXImporter.importModel(contentsOf: URL(fileURLWithPath: path), options: ONNXImportOptions(workers: workers))
        } catch {
            throw CommandFailure("--model \(path): \(error)")
        }
        for note in imported.notes { CLIInputs.note("\(path): \(note)") }
        return LoadedModel(model: imported.model, weightsDescription: "the weights in \((path as NSString).lastPathComponent)")
    }
}

extension ModelsCommand {
    /// `--inspect FILE.onnx`: what the import made of the file — its operations with their
    /// output shapes, the parameterised layers and the activation sites (the names per-layer
    /// rules select).
    func inspect(_ path: String) throws {
        try FileAccess.checkInputFile(path, option: "--inspect")
        let imported: ONNXImportedModel
        do { imported = try ONNXImporter.importModel(contentsOf: URL(fileURLWithPath: path), options: ONNXImportOptions(workers: .serial)) } catch {
            throw CommandFailure("--inspect \(path): \(error)")
        }
        let network = imported.model.network
        print(network.description)
        print("ONNX opset \(imported.opset)\(imported.producer.isEmpty ? "" : ", exported by \(imported.producer)"); preprocessing \(imported.model.preprocessing.resize), \(imported.model.preprocessing.scaling)")
        for note in imported.notes { print("note: \(note)") }
        print("")
        print("Layers (\(imported.graph.operations.count)): name, ONNX operator, tape operation, output shape for one image")
        for operation in imported.graph.operations {
            print("  \(operation.name)  \(operation.opType)  \(operation.step.summary)  \(operation.outputShape)")
        }
        try ModelsCommand.printActivationSites(of: network)
    }
}
