import Testing
import Foundation
import RectGradCore
import RectGradImage
import RectGradLayers
import RectGradZoo
import _RectGradTestSupport

/// Learnable parameters of a built network (batch-norm running statistics excluded).
func learnableCount(_ network: Network) -> Int {
    network.parameters.filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }.reduce(0) { $0 + $1.value.count }
}

@Test func zooListsEveryModelOfTheSpec() {
    #expect(Zoo.names == [
        "cifar-cnn", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11-bn", "vgg13-bn", "vgg16-bn", "vgg19-bn",
        "resnet18", "resnet34", "resnet50", "efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2", "inception-v4",
    ])
}

@Test func unknownModelNamesTheAvailableOnes() {
    #expect(throws: ZooError.unknownModel("vgg17", available: Zoo.names)) { try Zoo.network(named: "vgg17") }
}

@Test func cifarCNNHasTheSpecifiedLayersAndNames() throws {
    let network = try Zoo.network(named: "cifar-cnn", seed: 3)
    #expect(network.parameters.map(\.name) == [
        "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias",
        "conv4.weight", "conv4.bias", "dense5.weight", "dense5.bias", "dense6.weight", "dense6.bias",
    ])
    #expect(network.parameters.map(\.value.shape) == [
        [32, 3, 3, 3], [32], [32, 32, 3, 3], [32], [64, 32, 3, 3], [64], [64, 64, 3, 3], [64], [256, 4096], [256], [10, 256], [10],
    ])
    let x = Tensor.randomUniform([2, 3, 32, 32], low: -1, high: 1, seed: 4)
    let tape = Tape()
    let logits = try network.logits(tape.input(x), on: tape)
    #expect(try tape.shape(logits) == [2, 10])
    #expect(tape.activationSites.map(\.name) == ["relu1", "relu2", "relu3", "relu4", "relu5"])
    // 3·32·9+32 + 32·32·9+32 + 32·64·9+64 + 64·64·9+64 + 4096·256+256 + 256·10+10
    #expect(try Zoo.entry(named: "cifar-cnn").parameterCount == 1_116_970)
    #expect(learnableCount(network) == 1_116_970)
    #expect(throws: LayerError.self) { try network.logits(for: Tensor.zeros([1, 3, 28, 28])) }
}

@Test func initialisationIsSeededAndHeScaled() throws {
    let a = try Zoo.network(named: "cifar-cnn", seed: 7), b = try Zoo.network(named: "cifar-cnn", seed: 7)
    let c = try Zoo.network(named: "cifar-cnn", seed: 8)
    #expect(a.parameters == b.parameters)
    #expect(a.parameters != c.parameters)
    // He-normal: the std of dense5's weights is √(2 / 4096) ≈ 0.0221.
    let weight = try #require(a.parameters.first { $0.name == "dense5.weight" }).value
    let std = (weight.scalars.reduce(0.0) { $0 + Double($1 * $1) } / Double(weight.count)).squareRoot()
    #expect(abs(std - (2.0 / 4096).squareRoot()) < 0.001)
    #expect(try #require(a.parameters.first { $0.name == "dense5.bias" }).value == .zeros([256]))
}

/// The counts torchvision reports (`sum(p.numel() for p in model.parameters())`); for the
/// EfficientNet-Lites, the package `efficientnet-lite-pytorch`'s `EfficientNet.from_name` (printed
/// by `Scripts/check-efficientnet-lite-parity.py`).
@Test(arguments: [
    ("vgg11", 132_863_336), ("vgg13", 133_047_848), ("vgg16", 138_357_544), ("vgg19", 143_667_240),
    ("vgg11-bn", 132_868_840), ("vgg13-bn", 133_053_736), ("vgg16-bn", 138_365_992), ("vgg19-bn", 143_678_248),
    ("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032), ("efficientnet-lite0", 4_652_008),
    ("efficientnet-lite1", 5_416_680), ("efficientnet-lite2", 6_092_072),
])
func parameterCountsMatchTheReference(name: String, count: Int) throws {
    #expect(try Zoo.entry(named: name).parameterCount == count)
}

@Test(arguments: ["resnet18", "efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"])
func analyticCountsMatchTheBuiltNetworks(name: String) throws {
    let network = try Zoo.network(named: name)
    #expect(learnableCount(network) == (try Zoo.entry(named: name)).parameterCount)
}

@Test func everyModelSaysHowPhotosBecomeInputs() throws {
    let cifar = try Zoo.entry(named: "cifar-cnn").preprocessing
    #expect(cifar == Preprocessing(inputSize: 32, resize: .stretch, scaling: .minusOneToOne))
    #expect(cifar.description == "32×32 RGB; resized to the input size (aspect ratio not kept); pixel / 127.5 − 1")
    // torchvision's evaluation transform: Resize(256), CenterCrop(224).
    let resnet = try Zoo.entry(named: "resnet50").preprocessing
    #expect(resnet == Preprocessing(inputSize: 224, resize: .centerCrop(shorterSide: 256), scaling: .imageNet))
    #expect(resnet.description.contains("shorter side resized to 256"))
    #expect(resnet.description.contains("mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)"))
    #expect(try Zoo.entry(named: "vgg16").preprocessing == resnet)
    let lite = try Zoo.entry(named: "efficientnet-lite0").preprocessing
    #expect(lite == Preprocessing(inputSize: 224, resize: .centerCrop(shorterSide: 256), scaling: .minusOneToOne))
}

@Test func modelsCarryTheirPreprocessingAndClassNames() throws {
    let entry = try Zoo.entry(named: "cifar-cnn")
    let model = try entry.model(seed: 2)
    #expect(model.name == "cifar-cnn" && model.classCount == 10 && model.preprocessing == entry.preprocessing)
    #expect(model.className(6) == "frog" && model.className(12) == "class 12")
    #expect(model.classIndex(named: "Frog") == 6 && model.classIndex(named: "tiger") == nil)
    let logits = try Tensor(shape: [1, 10], scalars: [0, 0, 0, 0, 0, 0, Float(log(3.0)), 0, 0, 0])
    let top = try model.topClasses(logits, k: 2)
    // exp(log 3) / (9 + 3) = 0.25; the other nine share 0.75 and tie: the lowest index comes first.
    #expect(top[0].map(\.index) == [6, 0] && top[0].map(\.name) == ["frog", "airplane"])
    #expect(abs(top[0][0].probability - 0.25) < 1e-7 && abs(top[0][1].probability - 1.0 / 12) < 1e-7)
    #expect(throws: TensorError.self) { try model.topClasses(Tensor.zeros([1, 9]), k: 1) }
    #expect(throws: TensorError.self) { try ClassScore.top(Tensor(shape: [1, 2], scalars: [.nan, 0]), k: 1) }
}

@Test func classNamesFollowTheStandardOrder() throws {
    #expect(ImageNetClasses.names.count == 1000)
    #expect(ImageNetClasses.names.first == "tench")
    #expect(ImageNetClasses.names[3] == "tiger shark")
    #expect(ImageNetClasses.names[292] == "tiger")
    #expect(ImageNetClasses.names.last == "toilet tissue")
    #expect(try Zoo.entry(named: "cifar-cnn").classNames == CIFAR10Classes.names)
    #expect(try Zoo.entry(named: "vgg16").classCount == 1000)
}

@Test func zeroInitialisationIsASkeletonWithTheSameLayout() throws {
    let entry = try Zoo.entry(named: "resnet18")
    let skeleton = try entry.network(initialization: .zeros)
    let random = try entry.network(initialization: .heNormal(seed: 2))
    #expect(skeleton.parameters.map(\.name) == random.parameters.map(\.name))
    #expect(skeleton.parameters.map(\.value.shape) == random.parameters.map(\.value.shape))
    #expect(try random.parameters == entry.network(seed: 2).parameters)
    let convolutions = skeleton.parameters.filter { $0.name.hasSuffix("conv1.weight") }
    #expect(!convolutions.isEmpty && convolutions.allSatisfy { $0.value.max() == 0 && $0.value.min() == 0 })

    // The builders' generator form and initialization form agree.
    var generator = SeededGenerator(seed: 9)
    let viaGenerator = try CifarCNN.network(.standard, generator: &generator)
    #expect(try viaGenerator.parameters == CifarCNN.network(.standard, initialization: .heNormal(seed: 9)).parameters)
}
