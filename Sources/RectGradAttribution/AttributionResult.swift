import RectGradCore

/// The completeness check of a baseline method: `Σ attribution` against `S(x) − S(baseline)`,
/// per example. Integrated gradients approach it as the step count grows; DeepLIFT meets it exactly
/// on networks of ReLUs, convolutions and dense layers (up to the max-pool's ordinary gradient).
public struct Completeness: Sendable, Equatable {
    /// `Σ attribution` per example (in Double).
    public var attributionSums: [Double]
    /// `S(x) − S(baseline)` per example.
    public var outputDifferences: [Double]

    /// Creates a completeness record.
    public init(attributionSums: [Double], outputDifferences: [Double]) {
        self.attributionSums = attributionSums
        self.outputDifferences = outputDifferences
    }

    /// `Σ attribution − (S(x) − S(baseline))` per example.
    public var gaps: [Double] { zip(attributionSums, outputDifferences).map { $0 - $1 } }

    /// The largest `|gap| / max(|S(x) − S(b)|, floor)` over the examples.
    public func maximumRelativeGap(floor: Double = 1e-6) -> Double {
        zip(gaps, outputDifferences).map { abs($0) / max(abs($1), floor) }.max() ?? 0
    }
}

/// What `AttributionSession.attribute(_:)` returns.
public struct AttributionResult: Sendable {
    /// The method's name (e.g. `rectgrad`).
    public var methodName: String
    /// The attribution, with the input's shape `[N, C, H, W]`.
    public var map: Tensor
    /// The logits at the input, `[N, classes]`.
    public var logits: Tensor
    /// The explained class of each example.
    public var targets: [Int]
    /// The completeness check, for methods with a baseline (integrated gradients, DeepLIFT).
    public var completeness: Completeness?
    /// What the last backward pass did (rules applied per activation, masked convolutions, PRR
    /// max-pools); `nil` for occlusion.
    public var report: BackwardReport?
    /// The number of backward passes run.
    public var backwardPasses: Int
    /// The number of forward passes run for this method (the session's recorded forward is not counted).
    public var forwardPasses: Int

    /// Creates a result.
    public init(methodName: String, map: Tensor, logits: Tensor, targets: [Int], completeness: Completeness? = nil, report: BackwardReport? = nil, backwardPasses: Int = 0, forwardPasses: Int = 0) {
        self.methodName = methodName
        self.map = map
        self.logits = logits
        self.targets = targets
        self.completeness = completeness
        self.report = report
        self.backwardPasses = backwardPasses
        self.forwardPasses = forwardPasses
    }
}
