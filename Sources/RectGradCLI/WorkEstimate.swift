import RectifiedGradient

/// The forward and backward passes a set of methods will run on a batch, estimated from their
/// estimators before any work starts (so `--steps 1000000000` is refused at once, not after hours).
struct WorkEstimate: CustomStringConvertible {
    /// More passes than this are refused unless `--force`.
    static let limit = 200_000
    /// From this many passes on, the estimate is printed before the work starts.
    static let reportThreshold = 1_000

    /// The estimated passes (forward or backward over the whole batch, counted per example).
    var passes: Int

    /// The passes of `methods` on an input of `shape`, run for `classSets` sets of targets (`--top-k`).
    init(methods: [AttributionMethod], input shape: [Int], classSets: Int = 1) {
        let (examples, overflow) = max(shape.first ?? 1, 1).multipliedReportingOverflow(by: max(classSets, 1))
        guard !overflow else { passes = Int.max; return }
        let exampleShape = Array(shape.dropFirst())
        var total = 0
        for method in methods {
            let perExample = method.estimator.passesPerExample(exampleShape: exampleShape)
            let (product, overflow) = perExample.multipliedReportingOverflow(by: examples)
            total = overflow ? Int.max : total.addingReportingOverflow(product).overflow ? Int.max : total + product
        }
        passes = total
    }

    var description: String {
        passes == Int.max ? "this would take more passes than can be counted" : "estimated \(CLIInputs.grouped(passes)) forward/backward passes"
    }
}

/// Turns NaN or infinity in `predict`'s logits into an error naming where it came from (instead of
/// a probability of `-nan %` with exit status 0). Attribution sessions check their own passes.
enum NonFinite {
    /// Checks `logits` of `input`; when they are not finite, re-records the forward pass to name
    /// the first layer that produced a non-finite value.
    static func check(_ logits: Tensor, model: Model, input: Tensor, workers: Workers) throws {
        guard !logits.isFinite else { return }
        if !input.isFinite { throw CommandFailure("the input holds NaN or infinite values") }
        let tape = Tape(workers: workers)
        _ = try model.network.logits(tape.input(input), on: tape)
        try tape.checkFinite()
        throw TapeError.nonFinite(layer: "the logits")
    }
}
