import Foundation
import Testing
import RectGradCore
import RectGradFormats

/// The tensors `Scripts/fixtures/make_pth_fixtures.py` writes, stated by hand.
private let formulaTensors: [String: Tensor] = {
    func tensor(_ shape: [Int], _ values: [Float]) -> Tensor {
        (try? Tensor(shape: shape, scalars: values)) ?? .zeros([0])
    }
    return [
        "a": tensor([2, 3], [0, 0.25, 0.5, 0.75, 1, 1.25]),
        "a_t": tensor([3, 2], [0, 0.75, 0.25, 1, 0.5, 1.25]),
        "slice": tensor([3], [-2, -1, 0]),
        "half": tensor([3], [1, -2, 0.5]),
        "bf16": tensor([2], [1, -3.5]),
        "double": tensor([1, 1], [Float(0.1)]),
    ]
}()

@Test(arguments: ["pth/formulas.pth", "pth/formulas-legacy.pth"])
func convertsBothContainerFormats(path: String) throws {
    let file = try PyTorchCheckpoint.read(contentsOf: fixture(path))
    #expect(file.tensors.map(\.name) == ["a", "a_t", "slice", "half", "bf16", "double"])
    #expect(file.dictionary == formulaTensors)
    #expect(file.skippedNames == ["bn.num_batches_tracked"])
}

@Test(arguments: ["pth/module.pth", "pth/module-legacy.pth"])
func convertsAModuleStateDictLikePyTorch(path: String) throws {
    let file = try PyTorchCheckpoint.read(contentsOf: fixture(path))
    let expected = try SafetensorsFile.read(contentsOf: fixture("pth/module-expected.safetensors"))
    #expect(file.tensors == expected.tensors)
    #expect(file.tensors.map(\.name) == ["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "4.weight", "4.bias"])
}

@Test func convertsToASafetensorsFile() throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-pth-\(UInt64.random(in: 0...UInt64.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: output) }
    try PyTorchCheckpoint.convert(fixture("pth/formulas.pth"), to: output)
    #expect(try SafetensorsFile.read(contentsOf: output).dictionary == formulaTensors)
}

private func reason(_ path: String) throws -> CheckpointError.Reason? {
    let url = try fixture(path)
    do { _ = try PyTorchCheckpoint.read(contentsOf: url); return nil } catch { return error.reason }
}

private func reason(bytes: [UInt8]) -> CheckpointError.Reason? {
    do { _ = try PyTorchCheckpoint.decode(Data(bytes)); return nil } catch { return error.reason }
}

@Test func refusesEveryGlobalOutsideTheAllowList() throws {
    #expect(try reason("pth/malicious.pth") == .forbiddenGlobal("posix.system"))
    #expect(try reason("pth/malicious-legacy.pth") == .forbiddenGlobal("posix.system"))
    // A GLOBAL for builtins.eval in a bare pickle.
    let eval: [UInt8] = [0x80, 0x02] + Array("cbuiltins\neval\n".utf8) + [0x58, 1, 0, 0, 0, 0x31, 0x85, 0x52, 0x2E]
    #expect(reason(bytes: eval) == .forbiddenGlobal("builtins.eval"))
    // A torch global that is not part of a state dict.
    let load: [UInt8] = [0x80, 0x02] + Array("ctorch\nload\n".utf8) + [0x2E]
    #expect(reason(bytes: load) == .forbiddenGlobal("torch.load"))
}

@Test func refusesMalformedCheckpoints() throws {
    #expect(try reason("pth/integer.pth") == .unsupportedTensorType(tensor: "labels", storage: "LongStorage"))
    guard case .invalidArchive(let message)? = try reason("pth/compressed.pth") else {
        Issue.record("a compressed archive must be refused")
        return
    }
    #expect(message.contains("compressed"))
    #expect(reason(bytes: Array("hello".utf8)) == .notACheckpoint)
    #expect(reason(bytes: []) == .notACheckpoint)

    // A zip archive with one payload byte flipped fails its CRC check.
    var zip = [UInt8](try Data(contentsOf: fixture("pth/formulas.pth")))
    let payload = try #require(zip.indices.first { zip[$0] == 0x80 && zip[$0 + 1] == 0x02 })
    zip[payload + 3] ^= 0xFF
    guard case .invalidArchive(let crc)? = reason(bytes: zip) else {
        Issue.record("a corrupted entry must be refused")
        return
    }
    #expect(crc.contains("CRC"))

    // Truncated legacy files: inside the pickle and inside the storages.
    let legacy = [UInt8](try Data(contentsOf: fixture("pth/formulas-legacy.pth")))
    for length in [1, 20, 300, legacy.count - 3] {
        #expect(reason(bytes: Array(legacy.prefix(length))) != nil, "prefix of \(length) bytes")
    }
    // A truncated zip archive loses its central directory.
    guard case .invalidArchive? = reason(bytes: Array(zip.prefix(zip.count / 2))) else {
        Issue.record("a truncated archive must be refused")
        return
    }
    // An unknown opcode (EXT1).
    #expect(reason(bytes: [0x80, 0x02, 0x82, 0x01, 0x2E]) == .unsupportedOpcode(opcode: 0x82, offset: 2))
    // A pickle that is not a dict of tensors.
    #expect(reason(bytes: [0x80, 0x02] + legacyHeader() + [0x80, 0x02, 0x4B, 0x05, 0x2E, 0x80, 0x02, 0x5D, 0x2E])
        == .notAStateDict("the pickled object is a int, not a dict"))
}

/// The first three pickles of a legacy checkpoint: magic number, protocol 1001, system info.
private func legacyHeader() -> [UInt8] {
    let magic: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    return magic + [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E, 0x80, 0x02, 0x7D, 0x2E]
}

@Test func checkpointErrorsNameTheFile() throws {
    let url = try fixture("pth/malicious.pth")
    do {
        _ = try PyTorchCheckpoint.read(contentsOf: url)
        Issue.record("expected an error")
    } catch {
        #expect(error.file == url.path)
        #expect(error.description.contains("posix.system"))
    }
}
