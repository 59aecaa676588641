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

/// A folder, a device or a missing file given to a reader is named in words, not as a Foundation
/// domain and code.
@Test func readersNameFoldersDevicesAndMissingFiles() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-formats-folder-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let missing = folder.appendingPathComponent("missing.bin")
    let device = URL(fileURLWithPath: "/dev/zero")
    let cases: [(URL, String)] = [(folder, "it is a folder, not a file"), (device, "it is not a regular file"), (missing, "no such file")]
    for (url, words) in cases {
        let messages = [
            describe { () throws -> Void in _ = try NumPyFile.read(contentsOf: url) },
            describe { () throws -> Void in _ = try SafetensorsFile.read(contentsOf: url) },
            describe { () throws -> Void in _ = try PyTorchCheckpoint.read(contentsOf: url) },
        ]
        for message in messages {
            #expect(message.contains(url.path) && message.contains(words), "\(message)")
            #expect(!message.contains("NSCocoaErrorDomain"), "\(message)")
        }
    }
}

/// The description of the error `body` throws (empty when it throws none).
private func describe(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return ""
}
