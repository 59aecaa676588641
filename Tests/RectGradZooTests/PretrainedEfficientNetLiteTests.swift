import Foundation
import Testing
import RectGradCore
import RectGradFormats
import RectGradLayers
import RectGradZoo

/// The converted pretrained weights of `model` where the rectgrad commands look for them
/// (`$RECTGRAD_CACHE_DIR/weights/`, `${XDG_CACHE_HOME:-~/.cache}/rectgrad/weights/`, the working
/// folder's `.cache/weights/`), or nil: `Scripts/fetch-efficientnet-lite.sh liteN` puts them there.
func cachedPretrainedWeights(_ model: String) -> URL? {
    let environment = ProcessInfo.processInfo.environment
    var folders: [URL] = []
    if let cache = environment["RECTGRAD_CACHE_DIR"], !cache.isEmpty {
        folders.append(URL(fileURLWithPath: cache).appendingPathComponent("weights"))
    }
    let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
    folders.append(base.appendingPathComponent("rectgrad/weights"))
    folders.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".cache/weights"))
    return folders.map { $0.appendingPathComponent("\(model).safetensors") }.first { FileManager.default.fileExists(atPath: $0.path) }
}

/// The deterministic image of `Scripts/fixtures/efficientnet_lite_packages.py` (`pattern_input`):
/// 8-bit values `(7h + 13w + ⌊5hw / 32⌋ + 85c) mod 256`, scaled by `v / 127.5 − 1` as there.
func patternInput(size: Int) throws -> Tensor {
    var scalars: [Float] = []
    scalars.reserveCapacity(3 * size * size)
    for c in 0..<3 {
        for h in 0..<size {
            for w in 0..<size { scalars.append(Float((7 * h + 13 * w + 5 * h * w / 32 + 85 * c) % 256) / 127.5 - 1) }
        }
    }
    return try Tensor(shape: [1, 3, size, size], scalars: scalars)
}

/// With the real pretrained weights, the zoo's network gives the logits of the package's PyTorch
/// model (float64) on the fixed image, and the same top-1 class.
private func expectPackageLogits(model: String, size: Int) throws {
    let weights = try #require(cachedPretrainedWeights(model))
    let network = try Zoo.entry(named: model).network(initialization: .zeros).loadingWeights(from: weights)
    let expected = try NumPyFile.read(contentsOf: fixture("pretrained/\(model)-pattern-logits.npy"))
    let logits = try network.logits(for: patternInput(size: size))
    #expect(logits.shape == [1, 1000])
    #expect(try logits.relativeL2Distance(to: expected) <= 1e-5)
    let top = { (t: Tensor) in t.scalars.indices.max { t.scalars[$0] < t.scalars[$1] } }
    #expect(top(logits) == top(expected))
}

// Skipped (not passed) where the weights were not fetched, as in CI.
@Test(.enabled(if: cachedPretrainedWeights("efficientnet-lite1") != nil, "needs efficientnet-lite1.safetensors in the weights cache (Scripts/fetch-efficientnet-lite.sh lite1)"))
func pretrainedLite1MatchesThePackagesModel() throws {
    try expectPackageLogits(model: "efficientnet-lite1", size: 240)
}

@Test(.enabled(if: cachedPretrainedWeights("efficientnet-lite2") != nil, "needs efficientnet-lite2.safetensors in the weights cache (Scripts/fetch-efficientnet-lite.sh lite2)"))
func pretrainedLite2MatchesThePackagesModel() throws {
    try expectPackageLogits(model: "efficientnet-lite2", size: 260)
}
