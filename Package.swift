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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // OpenBLAS through its C interface (<cblas.h>).
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Tensor, kernels, the reverse-mode tape and its backward rules.
        .target(name: "RectGradCore", dependencies: ["COpenBLAS"], swiftSettings: strictSwift),
        // Test helpers: seeded data, tiny models, approximate comparisons.
        .target(name: "_RectGradTestSupport", dependencies: ["RectGradCore"], swiftSettings: strictSwift),
        .testTarget(
            name: "RectGradCoreTests",
            dependencies: ["RectGradCore", "_RectGradTestSupport"],
            swiftSettings: strictSwift
        ),
    ]
)
