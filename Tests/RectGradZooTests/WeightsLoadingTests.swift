import Foundation
import Testing
import RectGradCore
import RectGradFormats
import RectGradLayers
import RectGradZoo

/// A tiny cifar-style network: conv1…conv4 of width 2, hidden 4, 3 classes, 4×4 input.
private func tinyNetwork() throws -> Network {
    var generator = SeededGenerator(seed: 5)
    return try CifarCNN.network(.init(convolutionWidths: [2, 2, 2, 2], hiddenWidth: 4, classCount: 3, inputSize: 4), name: "tiny", generator: &generator)
}

@Test func loadsWeightsStrictlyIntoAnArchitecture() throws {
    let network = try tinyNetwork()
    let other = try network.loadingParameters(Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value.scaled(by: 2)) }))
    let file = other.safetensors
    let loaded = try network.loadingWeights(SafetensorsFile.decode(file.encoded()), source: "w.safetensors")
    #expect(loaded.parameters == other.parameters)

    func reason(_ tensors: [NamedParameter], allowExtra: Bool = false) -> WeightsError.Reason? {
        do {
            _ = try network.loadingWeights(SafetensorsFile(tensors: tensors), source: "w.safetensors", allowExtraNames: allowExtra)
            return nil
        } catch { return error.reason }
    }
    let all = other.parameters
    #expect(reason(all.filter { $0.name != "conv3.bias" }) == .missingTensor("conv3.bias"))
    let extra = all + [NamedParameter(name: "conv9.weight", value: .zeros([1]))]
    #expect(reason(extra) == .unexpectedTensors(["conv9.weight"]))
    #expect(reason(extra, allowExtra: true) == nil)
    #expect(reason(all + [NamedParameter(name: "bn.num_batches_tracked", value: .zeros([]))]) == nil)
    var reshaped = all
    reshaped[0].value = .zeros([2, 3, 1, 9])
    #expect(reason(reshaped) == .shapeMismatch(tensor: "conv1.weight", expected: [2, 3, 3, 3], actual: [2, 3, 1, 9]))
    var infinite = all
    infinite[1].value[flat: 0] = .infinity
    #expect(reason(infinite) == .nonFiniteTensor("conv1.bias"))
}

@Test func readsAndWritesFilesNamingThemInErrors() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-st-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("tiny.safetensors")
    let network = try tinyNetwork()
    try network.safetensors.write(to: url)
    #expect(try network.loadingWeights(from: url).parameters == network.parameters)

    let broken = directory.appendingPathComponent("broken.safetensors")
    try Data([1, 2, 3]).write(to: broken)
    #expect(throws: WeightsError(file: broken.path, reason: .truncatedHeaderLength(fileSize: 3))) {
        try network.loadingWeights(from: broken)
    }
    let error = WeightsError(file: broken.path, reason: .unsupportedDType(tensor: "fc.weight", dtype: "I32"))
    #expect(error.description.contains(broken.path) && error.description.contains("fc.weight"))
}

@Test func zooEntriesShareTheFileTensorsAndStayStrict() throws {
    // resnet18 (batch norms, shortcut convolutions, a dense head) built from a file's tensors:
    // the same parameters as loading the file into a zero skeleton, and the same errors.
    let entry = try Zoo.entry(named: "resnet18")
    let reference = try entry.network(seed: 3)
    let file = reference.safetensors
    let shared = try entry.network(weights: file, source: "w.safetensors")
    #expect(shared.parameters == reference.parameters)
    #expect(shared.parameters == (try entry.network(initialization: .zeros).loadingWeights(file, source: "w.safetensors")).parameters)

    func reason(_ tensors: [NamedParameter], allowExtra: Bool = false) -> WeightsError.Reason? {
        do {
            _ = try entry.network(weights: SafetensorsFile(tensors: tensors), source: "w.safetensors", allowExtraNames: allowExtra)
            return nil
        } catch let error as WeightsError { return error.reason } catch { return nil }
    }
    let all = reference.parameters
    #expect(reason(all.filter { $0.name != "layer2.0.conv1.weight" }) == .missingTensor("layer2.0.conv1.weight"))
    let reshaped = all.map { $0.name == "fc.weight" ? NamedParameter(name: $0.name, value: .zeros([10, 512])) : $0 }
    guard case .shapeMismatch(let tensor, _, _)? = reason(reshaped) else {
        Issue.record("a wrong fc.weight shape must be refused")
        return
    }
    #expect(tensor == "fc.weight")
    let extra = all + [NamedParameter(name: "head.extra", value: .zeros([2]))]
    #expect(reason(extra) != nil)
    #expect(reason(extra, allowExtra: true) == nil)
}
