import ArgumentParser
import Foundation
import RectifiedGradient

/// `rectgrad convert-pth`: PyTorch state dict → safetensors, without PyTorch.
struct ConvertPthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert-pth",
        abstract: "Convert a PyTorch state dict (.pth) to safetensors without PyTorch.",
        discussion: """
        Reads both torch.save formats (zip and legacy) with a restricted unpickler that refuses \
        every Python global a state dict does not use, so untrusted files cannot run code. Tensors \
        are written as F32 unless --dtype says F16 or BF16 (half the size; round to nearest even; \
        a value out of the type's range is an error); integer num_batches_tracked counters are dropped. With --model the \
        names and shapes are checked against a zoo architecture before anything is written.
        """
    )

    @Argument(help: ArgumentHelp("The PyTorch state dict.", valueName: "in.pth"))
    var inputPath: String

    @Argument(help: ArgumentHelp("The safetensors file to write.", valueName: "out.safetensors"))
    var outputPath: String

    @Option(name: .long, help: ArgumentHelp("Check names and shapes against this zoo model first.", valueName: "name"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("The element type written.", valueName: "f32|f16|bf16"))
    var dtype = "f32"

    @Flag(name: .long, help: "Replace an existing output file.")
    var overwrite = false

    func validate() throws {
        guard SafetensorsStorageType(rawValue: dtype.uppercased()) != nil else {
            throw ValidationError("--dtype must be f32, f16 or bf16, got '\(dtype)'.")
        }
        try FileAccess.checkInputFile(inputPath, option: "")
        try FileAccess.checkOutputFile(outputPath, option: "", overwrite: overwrite, inputs: [inputPath])
    }

    func run() throws {
        let file = try PyTorchCheckpoint.read(contentsOf: URL(fileURLWithPath: inputPath))
        if let model {
            _ = try Zoo.entry(named: model).network(weights: file, source: inputPath)
        }
        try FileAccess.write(file.encoded(as: SafetensorsStorageType(rawValue: dtype.uppercased()) ?? .f32), to: outputPath, option: "")
        let skipped = file.skippedNames.isEmpty ? "" : " (skipped \(file.skippedNames.count) num_batches_tracked counters)"
        print("wrote \(file.tensors.count) tensors to \(outputPath)\(skipped)")
    }
}
