import RectGradCore
import RectGradLayers

/// The forward and backward passes the estimators are built from.
extension AttributionSession {
    /// A recorded forward pass.
    struct Recording {
        var tape: Tape
        var input: Variable
        var logits: Variable
    }

    /// Records a forward pass of `batch` on a fresh tape.
    func record(_ batch: Tensor, counter: inout PassCounter) throws -> Recording {
        let tape = Tape(workers: workers, buffers: buffers)
        let x = tape.input(batch)
        let y = try network.logits(x, on: tape)
        counter.forward += 1
        return Recording(tape: tape, input: x, logits: y)
    }

    /// Records a forward pass of `batch` through the network with its batch norms merged into
    /// the preceding convolutions (zennit's canonizer; the same outputs up to rounding).
    func recordCanonical(_ batch: Tensor, counter: inout PassCounter) throws -> Recording {
        if canonicalNetwork == nil { canonicalNetwork = try network.foldingBatchNorm() }
        guard let folded = canonicalNetwork else { return try record(batch, counter: &counter) }
        let tape = Tape(workers: workers, buffers: buffers)
        let x = tape.input(batch)
        let y = try folded.logits(x, on: tape)
        counter.forward += 1
        return Recording(tape: tape, input: x, logits: y)
    }

    /// The seed rows on the logits of a recording: row `r` is `dS/dz` of example `rowExamples[r]`'s
    /// target at that row's logits (one-hot for the logit).
    func seed(rowExamples: [Int], logits rowLogits: Tensor) throws -> Tensor {
        let classes = logits.shape[1]
        var scalars = [Float](repeating: 0, count: rowExamples.count * classes)
        for (row, example) in rowExamples.enumerated() {
            let values = (0..<classes).map { Double(rowLogits[flat: row * classes + $0]) }
            let gradient = output.seed(values, target: targets[example], example: example)
            for k in 0..<classes { scalars[row * classes + k] = gradient[k] }
        }
        return try Tensor(shape: [rowExamples.count, classes], scalars: scalars)
    }

    /// The seed rows for `recording` (its logits read from its tape).
    func seed(rowExamples: [Int], on recording: Recording) throws -> Tensor {
        try seed(rowExamples: rowExamples, logits: try recording.tape.value(recording.logits))
    }

    /// `S` of row `row` of `rowLogits`, explaining `example`'s target.
    func score(_ rowLogits: Tensor, row: Int, example: Int) -> Double {
        let classes = logits.shape[1]
        let values = (0..<classes).map { Double(rowLogits[flat: row * classes + $0]) }
        return output.score(values, target: targets[example], example: example)
    }

    /// `dS/dx` under `rules` at `batch` (row `r` explains example `rowExamples[r]`'s target).
    /// With `recorded`, `batch` is the session's input and its recorded forward pass is replayed.
    /// Rules that need a reference pass (DeepLIFT) are bound to it first.
    func gradients(at batch: Tensor, rowExamples: [Int], rules: BackwardRules, recorded: Bool, counter: inout PassCounter) throws -> (gradient: Tensor, report: BackwardReport) {
        let backwardRules = try rules.binding { baseline in
            try referenceActivations(baseline, rowExamples: rowExamples, counter: &counter)
        }
        let recording: Recording
        if rules.linearLayers?.canonizesBatchNorm == true {
            recording = try recordCanonical(batch, counter: &counter)
        } else {
            recording = recorded ? Recording(tape: tape, input: inputVariable, logits: logitsVariable) : try record(batch, counter: &counter)
        }
        let result = try recording.tape.backward(
            from: recording.logits, seed: try seed(rowExamples: rowExamples, on: recording),
            withRespectTo: [recording.input], rules: backwardRules
        )
        counter.backward += 1
        guard let gradient = result[recording.input] else {
            throw AttributionError.unsupportedCombination("the backward pass returned no input gradient")
        }
        return (gradient, result.report)
    }

    /// The forward pass of a baseline over the session's input shape (batch 1 when the baseline
    /// is shared by every example), cached.
    func baselinePass(_ baseline: Baseline, counter: inout PassCounter) throws -> (baseline: Baseline, rows: BroadcastRows, activations: ReferenceActivations, logits: Tensor) {
        if let cached = baselinePasses.first(where: { $0.baseline == baseline }) { return cached }
        let values = try baseline.values(for: input.shape)
        let recording = try record(values, counter: &counter)
        let pass = (baseline, BroadcastRows(values), ReferenceActivations(recordedOn: recording.tape), try recording.tape.value(recording.logits))
        baselinePasses.append(pass)
        return pass
    }

    /// DeepLIFT's reference activations for a batch whose rows explain `rowExamples`.
    func referenceActivations(_ baseline: Baseline, rowExamples: [Int], counter: inout PassCounter) throws -> ReferenceActivations {
        let pass = try baselinePass(baseline, counter: &counter)
        if pass.rows.isBroadcast || rowExamples == Array(0..<exampleCount) { return pass.activations }
        // Per-example baselines under a chunk of path points or noise samples: gather the rows.
        let gathered = try gatherRows(pass.rows, rowExamples: rowExamples)
        return ReferenceActivations(recordedOn: try record(gathered, counter: &counter).tape)
    }

    /// The rows of `source` for each example in `rowExamples`, as a batch.
    func gatherRows(_ source: BroadcastRows, rowExamples: [Int]) throws -> Tensor {
        let size = source.rowSize
        var scalars = [Float](repeating: 0, count: rowExamples.count * size)
        source.batch.withUnsafeBufferPointer { s in
            for (row, example) in rowExamples.enumerated() {
                let offset = source.offset(ofExample: example)
                for i in 0..<size { scalars[row * size + i] = s[offset + i] }
            }
        }
        return try Tensor(shape: [rowExamples.count] + Array(input.shape.dropFirst()), scalars: scalars)
    }

    /// `gradient` with each row (explaining `rowExamples`) multiplied by the multiplier at `points`;
    /// the same storage, uncopied, when there is no multiplier.
    func multiplied(_ gradient: [Float], at points: Tensor, rowExamples: [Int], by multiplier: InputMultiplier) throws -> [Float] {
        if case .none = multiplier { return gradient }
        var values = gradient
        try values.withUnsafeMutableBufferPointer { values in
            try multiply(values, at: points, rowExamples: rowExamples, by: multiplier)
        }
        return values
    }

    /// Multiplies each row of `gradient` (explaining `rowExamples`) by the multiplier at `points`, in place.
    func multiply(_ gradient: UnsafeMutableBufferPointer<Float>, at points: Tensor, rowExamples: [Int], by multiplier: InputMultiplier) throws {
        switch multiplier {
        case .none:
            return
        case .input:
            points.withUnsafeBufferPointer { x in
                for i in 0..<gradient.count { gradient[i] *= x[i] }
            }
        case .differenceFromBaseline(let baseline):
            let rows = BroadcastRows(try baseline.values(for: input.shape))
            let size = rows.rowSize
            points.withUnsafeBufferPointer { x in
                rows.batch.withUnsafeBufferPointer { b in
                    for (row, example) in rowExamples.enumerated() {
                        let offset = rows.offset(ofExample: example)
                        for i in 0..<size { gradient[row * size + i] *= x[row * size + i] - b[offset + i] }
                    }
                }
            }
        }
    }

    /// Runs `rowCount` rows in chunks of at most ``chunkSize``: `fill(row, buffer)` writes a row's
    /// input, and `consume(firstRow, points, gradient)` receives each chunk's inputs and gradients.
    func forEachChunk(
        rowCount: Int, exampleOfRow: (Int) -> Int, rules: BackwardRules, counter: inout PassCounter,
        fill: (Int, UnsafeMutableBufferPointer<Float>) -> Void,
        consume: (Int, Tensor, [Float]) throws -> Void
    ) throws -> BackwardReport? {
        let exampleShape = Array(input.shape.dropFirst())
        let size = exampleShape.reduce(1, *)
        var report: BackwardReport?
        var first = 0
        while first < rowCount {
            let count = min(chunkSize, rowCount - first)
            var scalars = [Float](repeating: 0, count: count * size)
            scalars.withUnsafeMutableBufferPointer { buffer in
                for row in 0..<count {
                    guard let base = buffer.baseAddress else { return }
                    fill(first + row, UnsafeMutableBufferPointer(start: base + row * size, count: size))
                }
            }
            let points = try Tensor(shape: [count] + exampleShape, scalars: scalars)
            let rowExamples = (first..<(first + count)).map(exampleOfRow)
            let pass = try gradients(at: points, rowExamples: rowExamples, rules: rules, recorded: false, counter: &counter)
            report = pass.report
            try consume(first, points, pass.gradient.scalars)
            first += count
            reportProgress(first, of: rowCount)
        }
        return report
    }

    /// Calls ``AttributionSession/onProgress`` for the running method.
    func reportProgress(_ completed: Int, of total: Int) {
        onProgress?(AttributionProgress(method: currentMethod, completedRows: completed, totalRows: total))
    }
}
