import RectGradCore
import RectGradLayers

/// One input, many methods: the forward pass of the input is recorded once and every rule-based
/// single-pass method (saliency, gradient × input, guided backprop, DeconvNet, the RectGrad family,
/// ε-LRP, DeepLIFT) replays the backward of that recording under its own rules. DeepLIFT adds one
/// forward pass of its reference input, cached per baseline. Path and noise estimators (integrated
/// gradients, SmoothGrad) and occlusion run their own forward passes in chunks of `chunkSize` rows.
///
/// ```swift
/// let session = try AttributionSession(network: network, input: images)
/// let maps = try session.attribute([.saliency, .guidedBackprop, .rectGrad()])
/// ```
///
/// A session holds a `RectGradCore/Tape`; use it from one task at a time.
public final class AttributionSession {
    /// The network.
    public let network: Network
    /// The input batch `[N, C, H, W]`.
    public let input: Tensor
    /// The logits at the input, `[N, classes]`.
    public let logits: Tensor
    /// The explained class of each example.
    public let targets: [Int]
    /// The function of the logits each map explains (default: the target's logit).
    public let output: ExplainedOutput
    /// The largest number of rows (examples × path points or noise samples, or occluded copies) put
    /// through the network at once by the multi-pass estimators; bounds their memory.
    public let chunkSize: Int
    /// The threads every pass of the session runs on (they change the speed, not the maps).
    public let workers: Workers
    /// The memory every pass of the session reuses (``RectGradCore/TensorBufferPool``).
    public let buffers: TensorBufferPool

    /// The default chunk size: about 2²⁰ input values per chunk (6 rows at 3×224×224), at most 32 rows.
    public static func defaultChunkSize(exampleShape: [Int]) -> Int {
        let values = max(exampleShape.reduce(1, *), 1)
        return max(1, min(32, 1_048_576 / values))
    }

    /// Called after every chunk of rows a multi-pass method (integrated gradients, SmoothGrad,
    /// occlusion) puts through the network, on the calling thread; `nil` (the default) reports
    /// nothing. For progress displays: it cannot change the result.
    public var onProgress: ((AttributionProgress) -> Void)?

    /// The noise stream of each example for the sampling methods (SmoothGrad and its variants,
    /// GradientSHAP), or `nil` (the default) for each example's index in the batch; set with
    /// ``useNoiseStreams(_:)``. An example's draws depend on the method's seed and its stream only,
    /// so giving every example stream 0 makes its noise the one it has when explained alone,
    /// whichever batch and position it is in (dataset runs do this).
    public private(set) var noiseStreams: [Int]?

    /// Chooses the noise stream of each example for the sampling methods (``noiseStreams``).
    /// - Throws: ``AttributionError/invalidParameter(name:reason:)`` unless there is one
    ///   non-negative stream per example.
    public func useNoiseStreams(_ streams: [Int]?) throws(AttributionError) {
        if let streams {
            guard streams.count == exampleCount else {
                throw .invalidParameter(name: "noise-streams", reason: "one stream per example is needed, got \(streams.count) for \(exampleCount)")
            }
            guard streams.allSatisfy({ $0 >= 0 }) else { throw .invalidParameter(name: "noise-streams", reason: "streams must not be negative") }
        }
        noiseStreams = streams
    }

    /// The name of the method `attribute(_:)` is running, for ``onProgress``.
    var currentMethod = ""

    let tape: Tape
    let inputVariable: Variable
    let logitsVariable: Variable
    /// The network with batch norms merged into their convolutions, for LRP composites (made once).
    var canonicalNetwork: Network?
    /// Forward passes of baselines: reference activations for DeepLIFT and logits for completeness.
    var baselinePasses: [(baseline: Baseline, rows: BroadcastRows, activations: ReferenceActivations, logits: Tensor)] = []

    /// Records the forward pass of `input` and resolves the targets.
    ///
    /// - Parameters:
    ///   - network: the classifier.
    ///   - input: the batch, `[N, C, H, W]`.
    ///   - targets: the predicted class (default), one class for all, or one class per example.
    ///   - chunkSize: rows per forward pass for integrated gradients, SmoothGrad and occlusion
    ///     (default: ``defaultChunkSize(exampleShape:)``).
    ///   - workers: the threads the passes run on (default: one per active core).
    ///   - buffers: the pool the session's passes take their large buffers from and give them
    ///     back to (default: a pool of the session's own); pass one pool to successive sessions
    ///     so that each reuses the memory of the one before (no page faults after the first).
    ///   - output: what is explained of each target: its logit (default), probability,
    ///     log-probability, or its difference from another class's logit.
    /// - Throws: ``AttributionError`` for an input that does not fit, a target outside the class
    ///   range, a chunk size below 1, or a forward pass that overflows (naming the first layer
    ///   with a non-finite value).
    public init(network: Network, input: Tensor, targets: TargetSelection = .predicted, chunkSize: Int? = nil, workers: Workers = .default, buffers: TensorBufferPool? = nil, output: ExplainedOutput = .logit) throws {
        let chunkSize = chunkSize ?? Self.defaultChunkSize(exampleShape: Array(input.shape.dropFirst()))
        guard chunkSize >= 1 else { throw AttributionError.invalidParameter(name: "chunk-size", reason: "must be ≥ 1, got \(chunkSize)") }
        do { try network.validateInputShape(input.shape) } catch { throw AttributionError.inputShapeMismatch(error.description) }
        guard input.isFinite else { throw AttributionError.inputShapeMismatch("the input contains NaN or infinity") }
        self.network = network
        self.input = input
        self.chunkSize = chunkSize
        self.workers = workers
        let buffers = buffers ?? TensorBufferPool()
        self.buffers = buffers
        let tape = Tape(workers: workers, buffers: buffers)
        let x = tape.input(input)
        let y = try network.logits(x, on: tape)
        self.tape = tape
        self.inputVariable = x
        self.logitsVariable = y
        self.logits = try tape.value(y)
        guard logits.isFinite else { throw AttributionError.nonFinite(stage: "forward pass", layer: tape.firstNonFiniteLayer()) }
        self.targets = try targets.resolve(logits: logits)
        try output.validate(examples: logits.shape[0], classCount: logits.shape[1])
        self.output = output
    }

    /// The number of examples.
    public var exampleCount: Int { input.shape[0] }

    /// Runs one method on the session's input.
    /// - Throws: ``AttributionError`` for invalid parameters or a map or completeness gap that is
    ///   not finite (``AttributionError/nonFinite(stage:layer:)``), or the tape's errors.
    public func attribute(_ method: AttributionMethod) throws -> AttributionResult {
        try method.validate()
        currentMethod = method.name
        var counter = PassCounter()
        let rows = Array(0..<exampleCount)
        let estimate = try map(method.estimator, rules: method.rules, at: input, rowExamples: rows, recorded: true, counter: &counter)
        guard estimate.map.isFinite else { throw AttributionError.nonFinite(stage: "method \(method.name)", layer: nil) }
        var completeness: Completeness?
        if let baseline = method.estimator.completenessBaseline {
            let pass = try baselinePass(baseline, counter: &counter)
            let perExample = input.count / exampleCount
            var sums: [Double] = [], differences: [Double] = []
            estimate.map.withUnsafeBufferPointer { a in
                for example in 0..<exampleCount {
                    var total = 0.0
                    for i in (example * perExample)..<((example + 1) * perExample) { total += Double(a[i]) }
                    sums.append(total)
                    let row = pass.rows.isBroadcast ? 0 : example
                    differences.append(score(logits, row: example, example: example) - score(pass.logits, row: row, example: example))
                }
            }
            guard differences.allSatisfy(\.isFinite) else {
                throw AttributionError.nonFinite(stage: "forward pass of the baseline of \(method.name)", layer: nil)
            }
            completeness = Completeness(attributionSums: sums, outputDifferences: differences)
        }
        return AttributionResult(
            methodName: method.name, map: estimate.map, logits: logits, targets: targets, completeness: completeness,
            report: estimate.report, backwardPasses: counter.backward, forwardPasses: counter.forward
        )
    }

    /// Runs several methods on the session's input, sharing its recorded forward pass.
    public func attribute(_ methods: [AttributionMethod]) throws -> [AttributionResult] {
        try methods.map { try attribute($0) }
    }
}

/// How far a multi-pass method has got: rows (path points, noisy copies or occluded copies of
/// the examples) through the network out of the pass's total. A SmoothGrad over another
/// multi-pass estimator reports each inner pass from zero.
public struct AttributionProgress: Sendable, Equatable, CustomStringConvertible {
    /// The method's name.
    public var method: String
    /// Rows done.
    public var completedRows: Int
    /// Rows in all.
    public var totalRows: Int

    /// Creates a progress value.
    public init(method: String, completedRows: Int, totalRows: Int) {
        self.method = method
        self.completedRows = completedRows
        self.totalRows = totalRows
    }

    /// `integrated-gradients: 96/200 rows`.
    public var description: String { "\(method): \(completedRows)/\(totalRows) rows" }
}

/// Counts the passes a method runs.
struct PassCounter {
    var forward = 0
    var backward = 0
}

extension Network {
    /// Attributes the network's decision on `input` with `method`: the library's one verb.
    ///
    /// - Parameters:
    ///   - input: the batch `[N, C, H, W]`.
    ///   - method: any ``AttributionMethod`` (e.g. `.rectGrad()`, `.integratedGradients()`).
    ///   - targets: the predicted class (default), one class for all, or one class per example.
    ///   - chunkSize: rows per forward pass for the multi-pass estimators (default: about 2²⁰ input
    ///     values per chunk, see ``AttributionSession/defaultChunkSize(exampleShape:)``).
    ///   - workers: the threads the passes compute on (default: one per core).
    /// - Throws: ``AttributionError`` for invalid parameters, targets or inputs.
    public func attribute(_ input: Tensor, method: AttributionMethod, targets: TargetSelection = .predicted, chunkSize: Int? = nil, workers: Workers = .default) throws -> AttributionResult {
        try method.validate()
        return try AttributionSession(network: self, input: input, targets: targets, chunkSize: chunkSize, workers: workers).attribute(method)
    }
}
