import Testing
import RectGradCore
import RectGradLayers
import RectGradZoo

/// The activation names a forward pass records.
func activationNames(_ network: Network, input: [Int]) throws -> [String] {
    let tape = Tape()
    _ = try network.logits(tape.input(Tensor.randomNormal(input, seed: 1)), on: tape)
    return tape.activationSites.map(\.name)
}

/// A VGG layout with every width replaced by 2 (same layer names, small tensors).
func narrowed(_ variant: VGG.Variant) -> VGG.Configuration {
    var configuration = variant.configuration
    configuration.features = configuration.features.map { feature in
        if case .convolution = feature { return .convolution(2) }
        return feature
    }
    configuration.classifierWidth = 4
    return configuration
}

@Test func vggLayerNamesAreTorchvisionIndices() throws {
    var generator = SeededGenerator(seed: 1)
    let plain = try VGG.network(narrowed(.vgg16), name: "vgg16", generator: &generator)
    let names = try activationNames(plain, input: [1, 3, 32, 32])
    #expect(names.count == 15)
    #expect(names.first == "features.1")
    #expect(names.dropLast(2).last == "features.29")
    #expect(names.suffix(2) == ["classifier.1", "classifier.4"])
    #expect(plain.parameters.map(\.name).suffix(6) == [
        "classifier.0.weight", "classifier.0.bias", "classifier.3.weight", "classifier.3.bias", "classifier.6.weight", "classifier.6.bias",
    ])
    #expect(plain.parameters.first { $0.name == "features.28.weight" } != nil)

    let normalized = try VGG.network(narrowed(.vgg16BN), name: "vgg16-bn", generator: &generator)
    let bnNames = try activationNames(normalized, input: [1, 3, 32, 32])
    #expect(bnNames.prefix(2) == ["features.2", "features.5"])
    #expect(bnNames.dropLast(2).last == "features.42")
    #expect(normalized.parameters.prefix(6).map(\.name) == [
        "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "features.1.running_mean", "features.1.running_var",
    ])
    // The adaptive pool maps any input of at least 32×32 to the classifier's 7×7.
    #expect(try normalized.logits(for: Tensor.randomNormal([2, 3, 40, 48], seed: 3)).shape == [2, 1000])
}

@Test func resnetActivationsAreNumberedPerCallInEachBlock() throws {
    var generator = SeededGenerator(seed: 2)
    let basic = try ResNet.network(.init(block: .basic, blockCounts: [2, 1], stageWidths: [2, 4], stemWidth: 2, classCount: 3), name: "r", generator: &generator)
    #expect(try activationNames(basic, input: [1, 3, 16, 16]) == [
        "relu", "layer1.0.relu1", "layer1.0.relu2", "layer1.1.relu1", "layer1.1.relu2", "layer2.0.relu1", "layer2.0.relu2",
    ])
    #expect(basic.parameters.map(\.name).contains("layer2.0.downsample.0.weight"))
    #expect(!basic.parameters.map(\.name).contains("layer1.0.downsample.0.weight"))

    let bottleneck = try ResNet.network(.init(block: .bottleneck, blockCounts: [1, 1], stageWidths: [2, 2], stemWidth: 2, classCount: 3), name: "r", generator: &generator)
    #expect(try activationNames(bottleneck, input: [1, 3, 16, 16]) == [
        "relu", "layer1.0.relu1", "layer1.0.relu2", "layer1.0.relu3", "layer2.0.relu1", "layer2.0.relu2", "layer2.0.relu3",
    ])
    // The first bottleneck changes 2 → 8 channels, so it has a projection shortcut too.
    let names = bottleneck.parameters.map(\.name)
    #expect(names.contains("layer1.0.downsample.1.running_var"))
    #expect(names.contains("layer1.0.conv3.weight"))
    #expect(bottleneck.parameters.first { $0.name == "layer2.0.conv2.weight" }?.value.shape == [2, 2, 3, 3])
    #expect(bottleneck.parameters.last?.value.shape == [3])
}

@Test func resnet18HasTorchvisionNamesAndShapes() throws {
    let network = try Zoo.network(named: "resnet18")
    let names = network.parameters.map(\.name)
    // torchvision's state dict has 122 entries, 20 of them `num_batches_tracked` counters.
    #expect(names.count == 102)
    #expect(names.prefix(6) == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "layer1.0.conv1.weight"])
    #expect(names.last == "fc.bias")
    #expect(network.parameters.first { $0.name == "layer4.1.conv2.weight" }?.value.shape == [512, 512, 3, 3])
    #expect(network.parameters.first { $0.name == "layer3.0.downsample.0.weight" }?.value.shape == [256, 128, 1, 1])
}

@Test func efficientNetLite0HasThePackageNames() throws {
    let network = try Zoo.network(named: "efficientnet-lite0")
    let shapes = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value.shape) })
    // 296 entries in the package's state dict minus the 49 `num_batches_tracked` counters.
    #expect(shapes.count == 247)
    #expect(shapes["_conv_stem.weight"] == [32, 3, 3, 3])
    #expect(shapes["_blocks.0._expand_conv.weight"] == nil)
    #expect(shapes["_blocks.0._depthwise_conv.weight"] == [32, 1, 3, 3])
    #expect(shapes["_blocks.1._expand_conv.weight"] == [96, 16, 1, 1])
    #expect(shapes["_blocks.15._project_conv.weight"] == [320, 1152, 1, 1])
    #expect(shapes["_conv_head.weight"] == [1280, 320, 1, 1])
    #expect(shapes["_fc.weight"] == [1000, 1280])
    let tape = Tape()
    let logits = try network.logits(tape.input(Tensor.randomNormal([1, 3, 64, 64], seed: 1)), on: tape)
    #expect(try tape.shape(logits) == [1, 1000])
    let sites = tape.activationSites
    #expect(sites.allSatisfy { $0.kind == .relu6 })
    #expect(sites.prefix(3).map(\.name) == ["_stem_relu", "_blocks.0._depthwise_relu", "_blocks.1._expand_relu"])
    #expect(sites.last?.name == "_head_relu")
    #expect(sites.count == 2 + 1 + 15 * 2)
}

@Test func invalidConfigurationsThrow() {
    var generator = SeededGenerator(seed: 1)
    #expect(throws: ZooError.self) {
        try CifarCNN.network(.init(convolutionWidths: [1, 1, 1], hiddenWidth: 1, classCount: 1, inputSize: 8), generator: &generator)
    }
    #expect(throws: ZooError.self) {
        try ResNet.network(.init(block: .basic, blockCounts: [1, 1], stageWidths: [4]), name: "r", generator: &generator)
    }
    #expect(throws: ZooError.self) {
        try EfficientNetLite.network(.init(stemWidth: 4, stages: [.init(repeats: 1, kernel: 4, stride: 1, expansion: 1, outputChannels: 4)], headWidth: 4, classCount: 2, inputSize: 8), name: "e", generator: &generator)
    }
}
