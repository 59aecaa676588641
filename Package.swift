// swift-tools-version:6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "RectifiedGradient",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "RectGradCore", targets: ["RectGradCore"]),
        .library(name: "RectGradLayers", targets: ["RectGradLayers"]),
        .library(name: "RectGradFormats", targets: ["RectGradFormats"]),
        .library(name: "RectGradZoo", targets: ["RectGradZoo"]),
        .library(name: "RectGradAttribution", targets: ["RectGradAttribution"]),
        .library(name: "RectGradImage", targets: ["RectGradImage"]),
        .library(name: "RectGradData", targets: ["RectGradData"]),
        .library(name: "RectGradExperiments", targets: ["RectGradExperiments"]),
        .library(name: "RectGradReport", targets: ["RectGradReport"]),
        .library(name: "RectGradONNX", targets: ["RectGradONNX"]),
        .library(name: "RectifiedGradient", targets: ["RectifiedGradient"]),
        .executable(name: "rectgrad", targets: ["RectGradCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation` (DocC); a command plugin, nothing is linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // Protocol-buffer runtime for reading ONNX files (the generated `onnx.pb.swift` is committed).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // OpenBLAS through its C interface (<cblas.h>).
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Element-wise loops in C: plain loops stay fast in a dependent's unoptimised debug build.
        .target(name: "CElementwise"),
        // Tensor, kernels, the reverse-mode tape and its backward rules.
        .target(name: "RectGradCore", dependencies: ["COpenBLAS", "CElementwise"], swiftSettings: strictSwift),
        // Thin layer modules on the tape and the optimiser.
        .target(name: "RectGradLayers", dependencies: ["RectGradCore"], swiftSettings: strictSwift),
        // File formats read and written without Python: safetensors, NumPy .npy, PyTorch .pth.
        .target(name: "RectGradFormats", dependencies: ["RectGradCore"], swiftSettings: strictSwift),
        // Architectures, their preprocessing and class names (`Model`), weights loading.
        .target(name: "RectGradZoo", dependencies: ["RectGradCore", "RectGradLayers", "RectGradFormats", "RectGradImage"], swiftSettings: strictSwift),
        // Attribution methods on top of the tape's backward rules.
        .target(name: "RectGradAttribution", dependencies: ["RectGradCore", "RectGradLayers"], swiftSettings: strictSwift),
        // libpng / libjpeg with error codes instead of exits and longjmps escaping to Swift.
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg")]
        ),
        // Image decoding, resizing, heatmaps and PNG encoding.
        .target(name: "RectGradImage", dependencies: ["RectGradCore", "CImageCodecs"], swiftSettings: strictSwift),
        // The built-in procedural dataset with object masks, and training.
        .target(
            name: "RectGradData",
            dependencies: ["RectGradCore", "RectGradLayers", "RectGradImage"],
            resources: [.copy("Resources/cifar-cnn-shapes.safetensors")],
            swiftSettings: strictSwift
        ),
        // The paper's experiments: remove-and-retrain / keep-and-retrain, feature-map occlusion.
        .target(
            name: "RectGradExperiments",
            dependencies: ["RectGradCore", "RectGradLayers", "RectGradZoo", "RectGradAttribution", "RectGradData", "RectGradImage"],
            swiftSettings: strictSwift
        ),
        // ONNX import: a ModelProto (read with the committed, generated `onnx.pb.swift`) mapped onto the tape.
        .target(
            name: "RectGradONNX",
            dependencies: ["RectGradCore", "RectGradLayers", "RectGradZoo", "RectGradImage", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strictSwift
        ),
        // Rendering: heatmap figures, charts, tables, self-contained HTML, the demo.
        .target(
            name: "RectGradReport",
            dependencies: ["RectGradCore", "RectGradLayers", "RectGradFormats", "RectGradZoo", "RectGradAttribution", "RectGradImage", "RectGradData", "RectGradExperiments"],
            swiftSettings: strictSwift
        ),
        // Umbrella module re-exporting the public modules.
        .target(
            name: "RectifiedGradient",
            dependencies: ["RectGradCore", "RectGradLayers", "RectGradFormats", "RectGradZoo", "RectGradAttribution", "RectGradImage", "RectGradData", "RectGradExperiments", "RectGradReport", "RectGradONNX"],
            swiftSettings: strictSwift
        ),
        // The `rectgrad` command-line tool.
        .executableTarget(
            name: "RectGradCLI",
            dependencies: [
                "RectifiedGradient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        // Test helpers: seeded data, tiny models, approximate comparisons.
        .target(name: "_RectGradTestSupport", dependencies: ["RectGradCore", "RectGradLayers"], swiftSettings: strictSwift),
        .testTarget(
            name: "RectGradCoreTests",
            dependencies: ["RectGradCore", "CElementwise", "_RectGradTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "RectGradLayersTests", dependencies: ["RectGradLayers", "_RectGradTestSupport"], swiftSettings: strictSwift),
        .testTarget(
            name: "RectGradFormatsTests",
            dependencies: ["RectGradFormats", "_RectGradTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "RectGradZooTests",
            dependencies: ["RectGradZoo", "RectGradFormats", "RectGradImage", "_RectGradTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "RectGradAttributionTests",
            dependencies: ["RectGradAttribution", "RectGradZoo", "RectGradFormats", "_RectGradTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "RectGradImageTests",
            dependencies: ["RectGradImage", "_RectGradTestSupport"],
            resources: [.copy("Corpus")],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "RectGradDataTests", dependencies: ["RectGradData", "RectGradZoo", "RectGradFormats", "_RectGradTestSupport"], swiftSettings: strictSwift),
        .testTarget(
            name: "RectGradExperimentsTests",
            dependencies: ["RectGradExperiments", "RectGradReport", "_RectGradTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "RectGradONNXTests",
            dependencies: ["RectGradONNX", "RectGradAttribution", "RectGradFormats", "_RectGradTestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "RectGradReportTests", dependencies: ["RectGradReport", "_RectGradTestSupport"], swiftSettings: strictSwift),
        .testTarget(name: "RectGradCLITests", dependencies: ["RectGradCLI", "RectifiedGradient", "_RectGradTestSupport"], swiftSettings: strictSwift),
    ]
)
