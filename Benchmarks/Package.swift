// swift-tools-version:6.1
import PackageDescription

// Performance benchmarks of the RectifiedGradient package (package-benchmark):
//     cd Benchmarks && swift package --disable-sandbox benchmark
// One executable target per concern under Benchmarks/<Name>/<Name>.swift; add a new one with
// `benchmarkTarget("Name")` below.

// A path dependency is identified by its folder's name, which depends on where the repository
// is checked out.
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "RectifiedGradient"

func benchmarkTarget(_ name: String, products: [String] = ["RectGradCore"]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "BenchmarkSupport",
            .product(name: "Benchmark", package: "benchmark"),
        ] + products.map { .product(name: $0, package: root) },
        path: "Benchmarks/\(name)",
        swiftSettings: [.swiftLanguageMode(.v6)],
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "RectifiedGradientBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Seeded inputs, layer sizes and the GFLOP/s metric shared by the benchmark targets.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RectGradCore", package: root),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // 3×3 convolutions at the VGG-16 sizes: forward and gradient to the input.
        benchmarkTarget("ConvolutionBenchmarks"),
        // VGG-16's fully connected layers at batch 1.
        benchmarkTarget("DenseBenchmarks"),
        // RectGrad's percentile threshold next to the backward pass it is taken in.
        benchmarkTarget("PercentileBenchmarks"),
        // Whole-network forward passes of the zoo models.
        benchmarkTarget("ZooForward", products: ["RectGradCore", "RectGradLayers", "RectGradZoo"]),
        // Saliency, guided backprop and RectGrad on the zoo models; one forward, many backwards.
        benchmarkTarget("Attribution", products: ["RectGradCore", "RectGradLayers", "RectGradZoo", "RectGradAttribution"]),
        // A plain timing loop over whole-network passes (no harness: quick to build and to profile).
        .executableTarget(
            name: "PassTimer",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "RectGradCore", package: root),
                .product(name: "RectGradLayers", package: root),
                .product(name: "RectGradZoo", package: root),
                .product(name: "RectGradAttribution", package: root),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A warm process timing passes on request, alternated with its PyTorch peer by ratios.py.
        .executableTarget(
            name: "PassServer",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "RectGradCore", package: root),
                .product(name: "RectGradFormats", package: root),
                .product(name: "RectGradONNX", package: root),
                .product(name: "RectGradLayers", package: root),
                .product(name: "RectGradZoo", package: root),
                .product(name: "RectGradAttribution", package: root),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
