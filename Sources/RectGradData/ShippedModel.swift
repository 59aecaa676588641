import Foundation

/// The model that ships with the package: the paper's `cifar-cnn` trained by this library on the
/// built-in ``ShapesDataset`` (standard style), stored as safetensors in the module's resources.
///
/// RectGradData does not read safetensors itself; load the weights with the zoo:
///
/// ```swift
/// guard let url = ShippedModel.weightsURL else { … }
/// let network = try Zoo.network(named: ShippedModel.architecture, weights: url)
/// let test = try ShapesDataset(split: .test, count: 500, seed: ShippedModel.recipe.seed)
/// ```
///
/// Reproduce the weights with `rectgrad train --model cifar-cnn --dataset shapes --out W.safetensors`
/// (the defaults of `rectgrad train` are ``recipe``).
public enum ShippedModel {
    /// How the shipped weights were trained.
    public struct Recipe: Hashable, Sendable {
        /// Training images.
        public var trainCount: Int
        /// Held-out images the accuracy was measured on.
        public var testCount: Int
        /// Seeds the images, the initial weights and the shuffling.
        public var seed: UInt64
        /// Passes over the training images.
        public var epochs: Int
        /// Examples per mini-batch.
        public var batchSize: Int
        /// Adam's learning rate.
        public var learningRate: Float
    }

    /// The zoo architecture of the weights.
    public static let architecture = "cifar-cnn"

    /// The training setting of the shipped weights (the defaults of `rectgrad train`).
    public static let recipe = Recipe(trainCount: 30_000, testCount: 2_000, seed: 1, epochs: 4, batchSize: 100, learningRate: 1e-3)

    /// The accuracy of the shipped weights on the `recipe.testCount` held-out images of seed `recipe.seed`.
    public static let testAccuracy = 0.977

    /// The resource's file name.
    public static let resourceFileName = "cifar-cnn-shapes.safetensors"

    /// The location of the shipped weights, or `nil` when they cannot be found.
    ///
    /// Looks in the resource bundle SwiftPM places next to the executable
    /// (`RectifiedGradient_RectGradData.resources/`), then in the package's source tree. Unlike
    /// `Bundle.module`, a missing bundle (for example a binary copied elsewhere) gives `nil`, never a trap.
    public static var weightsURL: URL? {
        let fileManager = FileManager.default
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            let directory = executable.deletingLastPathComponent()
            for bundle in ["RectifiedGradient_RectGradData.resources", "RectifiedGradient_RectGradData.bundle"] {
                candidates.append(directory.appendingPathComponent(bundle).appendingPathComponent(resourceFileName))
                candidates.append(directory.deletingLastPathComponent().appendingPathComponent(bundle).appendingPathComponent(resourceFileName))
            }
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources").appendingPathComponent(resourceFileName))
        return candidates.first { fileManager.fileExists(atPath: $0.path) }
    }
}
