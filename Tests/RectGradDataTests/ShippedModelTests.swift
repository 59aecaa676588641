import Foundation
import Testing
import RectGradCore
import RectGradData
import RectGradFormats
import RectGradZoo

/// The shipped weights: from the module's resources when the package declares them, else from
/// the source tree.
private func shippedWeights(file: String = #filePath) throws -> URL {
    if let url = ShippedModel.weightsURL { return url }
    let url = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/RectGradData/Resources").appendingPathComponent(ShippedModel.resourceFileName)
    try #require(FileManager.default.fileExists(atPath: url.path), "missing \(url.path)")
    return url
}

@Suite struct ShippedModelTests {
    /// Forward passes only: 500 held-out images (the test split never repeats a training image).
    @Test func theShippedModelClassifiesHeldOutImages() throws {
        let network = try Zoo.network(named: ShippedModel.architecture, weights: shippedWeights())
        let test = try ShapesDataset(split: .test, count: 500, seed: ShippedModel.recipe.seed)
        let accuracy = try Evaluation.accuracy(of: network, on: test)
        #expect(accuracy >= 0.95, "accuracy \(accuracy)")
        // Held-out images of another seed are classified as well.
        let other = try ShapesDataset(split: .test, count: 200, seed: 12_345)
        #expect(try Evaluation.accuracy(of: network, on: other) >= 0.95)
    }

    @Test func theFileRecordsHowItWasTrained() throws {
        let file = try SafetensorsFile.read(contentsOf: shippedWeights())
        let recipe = ShippedModel.recipe
        #expect(file.metadata["model"] == ShippedModel.architecture)
        #expect(file.metadata["dataset"] == "shapes")
        #expect(file.metadata["seed"] == String(recipe.seed))
        #expect(file.metadata["epochs"] == String(recipe.epochs))
        #expect(file.metadata["train_count"] == String(recipe.trainCount))
        #expect(file.metadata["test_count"] == String(recipe.testCount))
        #expect(file.metadata["test_accuracy"] == String(format: "%.4f", ShippedModel.testAccuracy))
        #expect(ShippedModel.testAccuracy >= 0.95)
    }
}
