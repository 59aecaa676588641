// swift-tools-version:6.1
import PackageDescription

// libFuzzer harnesses for the readers of untrusted files (safetensors, NumPy .npy, PyTorch .pth,
// PNG/JPEG, ONNX). A separate package, so that the main package's `swift build` and `swift test` never
// see them. Build and run them with Scripts/fuzz.sh (see Docs/fuzzing.md), which builds with
//     swift build -c release --package-path Fuzz --sanitize=fuzzer --sanitize=address \
//         -Xswiftc -sanitize=fuzzer,address [--product FuzzPyTorch]
// (the combined flag matters: see the script).
// Each harness defines `LLVMFuzzerTestOneInput` and no `main` (libFuzzer provides it), so a build
// without `--sanitize=fuzzer` does not link.

// A path dependency is identified by its folder's name, which depends on where the repository
// is checked out.
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "RectifiedGradient"

func harness(_ name: String, product: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: product, package: root)],
        swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "RectifiedGradientFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        harness("FuzzSafetensors", product: "RectGradFormats"),
        harness("FuzzNumPy", product: "RectGradFormats"),
        harness("FuzzPyTorch", product: "RectGradFormats"),
        harness("FuzzImage", product: "RectGradImage"),
        harness("FuzzONNX", product: "RectGradONNX"),
    ]
)
