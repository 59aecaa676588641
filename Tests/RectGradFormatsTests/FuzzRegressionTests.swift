import Foundation
import Testing
import RectGradFormats

/// The inputs under `Fixtures/fuzz-regressions/<format>/`: each once crashed, trapped or
/// exhausted memory in a reader (found by the libFuzzer harnesses of `Fuzz/` or written by hand
/// for a reported bug). Each must now fail with the reader's typed error.
private func regressionInputs(_ format: String) throws -> [URL] {
    let directory = try fixture("fuzz-regressions/\(format)")
    return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        .filter { !$0.lastPathComponent.hasPrefix(".") && $0.pathExtension != "md" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

@Test func everyFormatHasRegressionInputs() throws {
    for format in ["safetensors", "numpy", "pth"] {
        #expect(try !regressionInputs(format).isEmpty, "\(format) has no regression inputs")
    }
}

@Test func safetensorsRegressionsFailWithTypedErrors() throws {
    for url in try regressionInputs("safetensors") {
        #expect(throws: WeightsError.self, "\(url.lastPathComponent)") { try SafetensorsFile.read(contentsOf: url) }
        #expect(throws: WeightsError.self, "\(url.lastPathComponent)") { try SafetensorsFile.decode(Data(contentsOf: url)) }
    }
}

@Test func numPyRegressionsFailWithTypedErrors() throws {
    for url in try regressionInputs("numpy") {
        #expect(throws: NumPyError.self, "\(url.lastPathComponent)") { try NumPyFile.read(contentsOf: url) }
    }
}

@Test func checkpointRegressionsFailWithTypedErrors() throws {
    for url in try regressionInputs("pth") {
        #expect(throws: CheckpointError.self, "\(url.lastPathComponent)") { try PyTorchCheckpoint.read(contentsOf: url) }
    }
}
