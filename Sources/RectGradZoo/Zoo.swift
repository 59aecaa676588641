import RectGradCore
import RectGradImage
import RectGradLayers

/// One model of the zoo: its name, what it expects and how to build it.
public struct ZooEntry: Sendable {
    /// The zoo name, e.g. `resnet50`.
    public let name: String
    /// A one-line description.
    public let summary: String
    /// The number of classes.
    public let classCount: Int
    /// The class names in logit order (ImageNet-1k or CIFAR-10).
    public let classNames: [String]
    /// How images become inputs (geometry and scaling).
    public let preprocessing: Preprocessing
    /// Learnable parameters (weights and biases; batch-norm running statistics excluded).
    public let parameterCount: Int
    private let build: @Sendable (WeightInitialization) throws(ZooError) -> Network

    /// Creates an entry.
    public init(
        name: String, summary: String, classNames: [String], preprocessing: Preprocessing, parameterCount: Int,
        build: @escaping @Sendable (WeightInitialization) throws(ZooError) -> Network
    ) {
        self.name = name
        self.summary = summary
        self.classCount = classNames.count
        self.classNames = classNames
        self.preprocessing = preprocessing
        self.parameterCount = parameterCount
        self.build = build
    }

    /// The input size, `[3, H, W]`.
    public var inputShape: [Int] { [3, preprocessing.inputSize.height, preprocessing.inputSize.width] }

    /// Builds the network with He-normal weights (zero biases, identity batch norms) from `seed`.
    public func network(seed: UInt64 = 0) throws(ZooError) -> Network {
        try build(.heNormal(seed: seed))
    }

    /// The model (network, preprocessing, class names) with He-normal weights from `seed`.
    public func model(seed: UInt64 = 0) throws(ZooError) -> Model {
        Model(name: name, network: try network(seed: seed), preprocessing: preprocessing, classNames: classNames)
    }

    /// Builds the network with the given initialisation (``WeightInitialization/zeros`` is a cheap
    /// skeleton for loading weights into).
    public func network(initialization: WeightInitialization) throws(ZooError) -> Network {
        try build(initialization)
    }
}

/// The model zoo: `cifar-cnn`, `vgg11`…`vgg19` (and `-bn`), `resnet18/34/50`,
/// `efficientnet-lite0/1/2`, `inception-v4`.
///
/// ```swift
/// let net = try Zoo.network(named: "resnet18", seed: 1)            // random (He) weights
/// let trained = try Zoo.network(named: "resnet18", weights: url)   // safetensors weights
/// ```
public enum Zoo {
    /// Every entry, in listing order.
    public static let entries: [ZooEntry] = {
        var list: [ZooEntry] = [cifarEntry]
        list += VGG.Variant.allCases.map(vggEntry)
        list += ResNet.Variant.allCases.map(resnetEntry)
        list += [efficientNetEntry, efficientNetLite1Entry, efficientNetLite2Entry]
        list.append(inceptionV4Entry)
        return list
    }()

    /// Every model name, in listing order.
    public static var names: [String] { entries.map(\.name) }

    /// The entry called `name`.
    /// - Throws: ``ZooError/unknownModel(_:available:)``.
    public static func entry(named name: String) throws(ZooError) -> ZooEntry {
        guard let entry = entries.first(where: { $0.name == name }) else { throw .unknownModel(name, available: names) }
        return entry
    }

    /// The network called `name` with He-normal weights drawn from `seed`.
    /// - Throws: ``ZooError/unknownModel(_:available:)``.
    public static func network(named name: String, seed: UInt64 = 0) throws(ZooError) -> Network {
        try entry(named: name).network(seed: seed)
    }

    private static let cifarEntry = ZooEntry(
        name: "cifar-cnn", summary: "The paper's CIFAR-10 network (4 conv, 2 dense)",
        classNames: CIFAR10Classes.names, preprocessing: .symmetric(inputSize: 32),
        parameterCount: CifarCNN.Configuration.standard.parameterCount
    ) { (initialization: WeightInitialization) throws(ZooError) in
        try CifarCNN.network(.standard, name: "cifar-cnn", initialization: initialization)
    }

    private static func vggEntry(_ variant: VGG.Variant) -> ZooEntry {
        let configuration = variant.configuration
        return ZooEntry(
            name: variant.rawValue, summary: "VGG-\(variant.depth)\(variant.batchNorm ? " with batch norm" : "") (torchvision)",
            classNames: ImageNetClasses.names, preprocessing: .imageNetEvaluation(inputSize: 224),
            parameterCount: configuration.parameterCount
        ) { (initialization: WeightInitialization) throws(ZooError) in
            try VGG.network(configuration, name: variant.rawValue, initialization: initialization)
        }
    }

    private static func resnetEntry(_ variant: ResNet.Variant) -> ZooEntry {
        let configuration = variant.configuration
        return ZooEntry(
            name: variant.rawValue, summary: "ResNet-\(variant.depth) (torchvision)",
            classNames: ImageNetClasses.names, preprocessing: .imageNetEvaluation(inputSize: 224),
            parameterCount: configuration.parameterCount
        ) { (initialization: WeightInitialization) throws(ZooError) in
            try ResNet.network(configuration, name: variant.rawValue, initialization: initialization)
        }
    }

    private static let inceptionV4Entry = ZooEntry(
        name: "inception-v4", summary: "Inception-v4, the paper's ImageNet network (timm's names; 299×299)",
        classNames: ImageNetClasses.names, preprocessing: .imageNetEvaluation(inputSize: 299, scaling: .minusOneToOne),
        parameterCount: InceptionV4.parameterCount
    ) { (initialization: WeightInitialization) throws(ZooError) in
        try InceptionV4.network(name: "inception-v4", initialization: initialization)
    }

    private static let efficientNetEntry = ZooEntry(
        name: "efficientnet-lite0", summary: "EfficientNet-Lite0 (ReLU6, no squeeze-excitation; pretrained weights via Scripts/fetch-efficientnet-lite0.sh)",
        classNames: ImageNetClasses.names, preprocessing: .imageNetEvaluation(inputSize: 224, scaling: .minusOneToOne),
        parameterCount: EfficientNetLite.Configuration.lite0.parameterCount
    ) { (initialization: WeightInitialization) throws(ZooError) in
        try EfficientNetLite.network(.lite0, name: "efficientnet-lite0", initialization: initialization)
    }

    /// TensorFlow's evaluation crop of EfficientNet-Lite: the shorter side resized to
    /// `inputSize + 32` (the crop padding of the reference implementation), a centred
    /// `inputSize × inputSize` crop, scaled to [−1, 1]. For Lite0 (224 of 256) it is
    /// ``RectGradImage/Preprocessing/imageNetEvaluation(inputSize:scaling:)``.
    private static func efficientNetLitePreprocessing(inputSize: Int) -> Preprocessing {
        Preprocessing(inputSize: .square(inputSize), resize: .centerCrop(shorterSide: inputSize + 32), scaling: .minusOneToOne)
    }

    private static let efficientNetLite1Entry = ZooEntry(
        name: "efficientnet-lite1",
        summary: "EfficientNet-Lite1 (240×240, TensorFlow SAME padding; pretrained weights via Scripts/fetch-efficientnet-lite.sh lite1)",
        classNames: ImageNetClasses.names, preprocessing: efficientNetLitePreprocessing(inputSize: 240),
        parameterCount: EfficientNetLite.Configuration.lite1.parameterCount
    ) { (initialization: WeightInitialization) throws(ZooError) in
        try EfficientNetLite.network(.lite1, name: "efficientnet-lite1", initialization: initialization)
    }

    private static let efficientNetLite2Entry = ZooEntry(
        name: "efficientnet-lite2",
        summary: "EfficientNet-Lite2 (260×260, TensorFlow SAME padding; pretrained weights via Scripts/fetch-efficientnet-lite.sh lite2)",
        classNames: ImageNetClasses.names, preprocessing: efficientNetLitePreprocessing(inputSize: 260),
        parameterCount: EfficientNetLite.Configuration.lite2.parameterCount
    ) { (initialization: WeightInitialization) throws(ZooError) in
        try EfficientNetLite.network(.lite2, name: "efficientnet-lite2", initialization: initialization)
    }
}

/// The CIFAR-10 class names in label order.
public enum CIFAR10Classes {
    /// `airplane`, `automobile`, `bird`, `cat`, `deer`, `dog`, `frog`, `horse`, `ship`, `truck`.
    public static let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
}
