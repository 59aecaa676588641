import RectGradAttribution
import RectGradCore
import RectGradLayers

/// The paper's threshold sweep (its Figure 1): RectGrad at several percentiles q and
/// RectGrad-const at several thresholds τ, each map of every image from one recorded forward pass.
///
/// ```swift
/// let sweep = ThresholdSweep()                       // q ∈ {0, 10, 20, 80, 90, 95, 99}, τ = 0
/// let maps = try sweep.run(input: images, network: network)   // maps[image][setting]
/// ```
public struct ThresholdSweep: Sendable {
    /// One column of the sweep.
    public enum Setting: Sendable, Hashable, CustomStringConvertible {
        /// RectGrad with the percentile `q`.
        case rectGrad(percentile: Double)
        /// RectGrad-const with the threshold `τ`.
        case rectGradConstant(tau: Float)

        /// `q = 90`, `τ = 0`.
        public var description: String {
            switch self {
            case .rectGrad(let q): return "q = \(Self.number(q))"
            case .rectGradConstant(let tau): return "τ = \(Self.number(Double(tau)))"
            }
        }

        /// `rectgrad-q90`, `rectgrad-const-tau0`: for file names.
        public var fileLabel: String {
            switch self {
            case .rectGrad(let q): return "rectgrad-q\(Self.number(q))"
            case .rectGradConstant(let tau): return "rectgrad-const-tau\(Self.number(Double(tau)))"
            }
        }

        /// `90` for 90.0, `99.5` otherwise.
        static func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
    }

    /// The paper's percentiles: q ∈ {0, 10, 20, 80, 90, 95, 99}.
    public static let paperPercentiles: [Double] = [0, 10, 20, 80, 90, 95, 99]

    /// The columns, in order (default: the paper's percentiles, then τ = 0).
    public var settings: [Setting]
    /// The importance score, percentile interpolation and padding rule of every setting
    /// (`percentile` and `tau` are taken from the settings).
    public var parameters: MethodParameters
    /// The threads of the passes.
    public var workers: Workers

    /// Creates a sweep.
    public init(
        settings: [Setting] = paperPercentiles.map { .rectGrad(percentile: $0) } + [.rectGradConstant(tau: 0)],
        parameters: MethodParameters = MethodParameters(), workers: Workers = .default
    ) {
        self.settings = settings
        self.parameters = parameters
        self.workers = workers
    }

    /// The method of one setting.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `percentiles` or `taus`
    ///   for a value outside its range.
    public func method(_ setting: Setting) throws(ExperimentError) -> AttributionMethod {
        var parameters = self.parameters
        do {
            switch setting {
            case .rectGrad(let q):
                parameters.percentile = q
                return try MethodName.rectGrad.method(parameters)
            case .rectGradConstant(let tau):
                parameters.tau = tau
                return try MethodName.rectGradConstant.method(parameters)
            }
        } catch {
            let option: String
            if case .rectGrad = setting { option = "percentiles" } else { option = "taus" }
            throw .invalidOption(name: option, reason: "\(setting): \(error)")
        }
    }

    /// Checks every setting.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` naming `percentiles` or `taus`
    ///   for a value outside its range, and `settings` for none or a repeated one.
    public func validate() throws(ExperimentError) {
        guard !settings.isEmpty else { throw .invalidOption(name: "settings", reason: "give at least one percentile or τ") }
        var seen = Set<Setting>()
        for setting in settings {
            _ = try method(setting)
            guard seen.insert(setting).inserted else { throw .invalidOption(name: "settings", reason: "\(setting) is given twice") }
        }
    }

    /// The maps of every example of `input` (`[N, C, H, W]`, already preprocessed), explained for
    /// `targets` (default: the predicted classes): `maps[example][setting]`, each `[1, C, H, W]`.
    /// - Throws: ``ExperimentError`` for invalid settings; the attribution's errors.
    public func run(input: Tensor, network: Network, targets: TargetSelection = .predicted) throws -> ThresholdSweepResult {
        try validate()
        let session = try AttributionSession(network: network, input: input, targets: targets, workers: workers)
        var maps = Array(repeating: [Tensor](), count: session.exampleCount)
        for setting in settings {
            let map = try session.attribute(try method(setting)).map
            let exampleShape = [1] + Array(map.shape.dropFirst())
            for example in 0..<session.exampleCount {
                maps[example].append(try map.example(example).reshaped(exampleShape))
            }
        }
        return ThresholdSweepResult(settings: settings, logits: session.logits, targets: session.targets, maps: maps)
    }
}

/// The maps of a ``ThresholdSweep``.
public struct ThresholdSweepResult: Sendable {
    /// The columns.
    public var settings: [ThresholdSweep.Setting]
    /// The logits of the input, `[N, classes]`.
    public var logits: Tensor
    /// The explained class of each example.
    public var targets: [Int]
    /// `maps[example][setting]`, each `[1, C, H, W]`.
    public var maps: [[Tensor]]
}
