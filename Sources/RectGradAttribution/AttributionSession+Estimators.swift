import RectGradCore
import RectGradLayers

/// The estimators: plain gradient, integrated gradients, SmoothGrad and occlusion.
extension AttributionSession {
    /// An estimator's map and the report of its last backward pass.
    struct Estimate {
        var map: Tensor
        var report: BackwardReport?
    }

    /// The attribution of `x` (row `r` explains example `rowExamples[r]`) by `estimator` under `rules`.
    /// `recorded` says that `x` is the session's input, whose forward pass can be replayed.
    func map(_ estimator: Estimator, rules: BackwardRules, at x: Tensor, rowExamples: [Int], recorded: Bool, counter: inout PassCounter) throws -> Estimate {
        switch estimator {
        case .gradient(let multiplier):
            let pass = try gradients(at: x, rowExamples: rowExamples, rules: rules, recorded: recorded, counter: &counter)
            var values = pass.gradient.scalars
            try multiply(&values, at: x, rowExamples: rowExamples, by: multiplier)
            return Estimate(map: try Tensor(shape: x.shape, scalars: values), report: pass.report)
        case .integratedGradients(let steps, let baseline):
            return try integratedGradients(steps: steps, baseline: baseline, rules: rules, at: x, rowExamples: rowExamples, counter: &counter)
        case .smoothGrad(let samples, let noiseLevel, let seed, let inner):
            return try smoothGrad(samples: samples, noiseLevel: noiseLevel, seed: seed, inner: inner, rules: rules, at: x, rowExamples: rowExamples, counter: &counter)
        case .occlusion(let window, let stride, let value):
            return try occlusion(window: window, stride: stride, value: value, at: x, rowExamples: rowExamples, recorded: recorded, counter: &counter)
        }
    }

    // MARK: Integrated gradients

    func integratedGradients(steps: Int, baseline: Baseline, rules: BackwardRules, at x: Tensor, rowExamples: [Int], counter: inout PassCounter) throws -> Estimate {
        let rows = BroadcastRows(try baseline.values(for: input.shape))
        let size = rows.rowSize
        let inputRows = rowExamples.count
        var sums = [Double](repeating: 0, count: x.count)
        let report = try x.withUnsafeBufferPointer { xs in
            try rows.batch.withUnsafeBufferPointer { bs in
                try forEachChunk(
                    rowCount: inputRows * steps, exampleOfRow: { rowExamples[$0 / steps] }, rules: rules, counter: &counter,
                    fill: { row, buffer in
                        let (r, k) = (row / steps, row % steps + 1)
                        let alpha = Float(k) / Float(steps)
                        let b = rows.offset(ofExample: rowExamples[r])
                        for i in 0..<size { buffer[i] = bs[b + i] + alpha * (xs[r * size + i] - bs[b + i]) }
                    },
                    consume: { first, _, gradient in
                        for row in 0..<(gradient.count / size) {
                            let r = (first + row) / steps
                            for i in 0..<size { sums[r * size + i] += Double(gradient[row * size + i]) }
                        }
                    }
                )
            }
        }
        var values = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xs in
            rows.batch.withUnsafeBufferPointer { bs in
                for r in 0..<inputRows {
                    let b = rows.offset(ofExample: rowExamples[r])
                    for i in 0..<size {
                        let difference = Double(xs[r * size + i]) - Double(bs[b + i])
                        values[r * size + i] = Float(difference * sums[r * size + i] / Double(steps))
                    }
                }
            }
        }
        return Estimate(map: try Tensor(shape: x.shape, scalars: values), report: report)
    }

    // MARK: SmoothGrad

    /// One noise generator per example, so that an example's noise does not depend on the chunk
    /// size; `examples` are the examples' noise streams (``AttributionSession/noiseStreams``).
    static func noiseGenerators(seed: UInt64, examples: [Int]) -> [SeededGenerator] {
        examples.map { example in
            var mixer = SeededGenerator(seed: UInt64(example) &+ 0x5851_F42D_4C95_7F2D)
            return SeededGenerator(seed: seed ^ mixer.next())
        }
    }

    /// The noise standard deviation of each row: `noiseLevel · (max − min)` of that row.
    static func noiseScales(_ x: Tensor, rowCount: Int, noiseLevel: Float) -> [Float] {
        let size = x.count / max(rowCount, 1)
        return x.withUnsafeBufferPointer { xs in
            (0..<rowCount).map { r in
                var low = Float.infinity, high = -Float.infinity
                for i in 0..<size { low = min(low, xs[r * size + i]); high = max(high, xs[r * size + i]) }
                return noiseLevel * (high - low)
            }
        }
    }

    func smoothGrad(samples: Int, noiseLevel: Float, seed: UInt64, inner: Estimator, rules: BackwardRules, at x: Tensor, rowExamples: [Int], counter: inout PassCounter) throws -> Estimate {
        let inputRows = rowExamples.count
        let size = x.count / max(inputRows, 1)
        var generators = Self.noiseGenerators(seed: seed, examples: rowExamples.map { noiseStreams?[$0] ?? $0 })
        let scales = Self.noiseScales(x, rowCount: inputRows, noiseLevel: noiseLevel)
        var sums = [Double](repeating: 0, count: x.count)
        var report: BackwardReport?

        if case .gradient(let multiplier) = inner {
            // The noisy copies of every example go through the network in chunks.
            report = try x.withUnsafeBufferPointer { xs in
                try forEachChunk(
                    rowCount: inputRows * samples, exampleOfRow: { rowExamples[$0 / samples] }, rules: rules, counter: &counter,
                    fill: { row, buffer in
                        let r = row / samples
                        for i in 0..<size { buffer[i] = xs[r * size + i] + scales[r] * Float(generators[r].nextGaussian()) }
                    },
                    consume: { first, points, gradient in
                        var values = gradient
                        let count = gradient.count / size
                        let examples = (first..<(first + count)).map { rowExamples[$0 / samples] }
                        try multiply(&values, at: points, rowExamples: examples, by: multiplier)
                        for row in 0..<count {
                            let r = (first + row) / samples
                            for i in 0..<size { sums[r * size + i] += Double(values[row * size + i]) }
                        }
                    }
                )
            }
        } else {
            // Any other estimator: run it on each noisy copy of the batch.
            for _ in 0..<samples {
                var noisy = x.scalars
                for r in 0..<inputRows {
                    for i in 0..<size { noisy[r * size + i] += scales[r] * Float(generators[r].nextGaussian()) }
                }
                let estimate = try map(inner, rules: rules, at: try Tensor(shape: x.shape, scalars: noisy), rowExamples: rowExamples, recorded: false, counter: &counter)
                report = estimate.report
                for i in 0..<sums.count { sums[i] += Double(estimate.map[flat: i]) }
            }
        }
        let values = sums.map { Float($0 / Double(samples)) }
        return Estimate(map: try Tensor(shape: x.shape, scalars: values), report: report)
    }

    // MARK: Occlusion

    /// The start positions of a window of extent `window` slid by `stride` over `extent` elements
    /// (Captum's positions: `ceil((extent − window) / stride) + 1` windows, the last one clipped).
    static func windowStarts(extent: Int, window: Int, stride: Int) -> [Int] {
        (0..<Estimator.windowCount(extent: extent, window: window, stride: stride)).map { $0 * stride }
    }

    func occlusion(window: [Int], stride steps: [Int], value: Float, at x: Tensor, rowExamples: [Int], recorded: Bool, counter: inout PassCounter) throws -> Estimate {
        let exampleShape = Array(x.shape.dropFirst())
        guard window.count == exampleShape.count else {
            throw AttributionError.invalidParameter(name: "window", reason: "needs \(exampleShape.count) extents (one per dimension of an example \(exampleShape)), got \(window)")
        }
        for (extent, size) in zip(exampleShape, window) where size > extent {
            throw AttributionError.invalidParameter(name: "window", reason: "\(window) exceeds the example shape \(exampleShape)")
        }
        let starts = (0..<window.count).map { Self.windowStarts(extent: exampleShape[$0], window: window[$0], stride: steps[$0]) }
        // Every window as the flat element indices it covers.
        var windows: [[Int]] = [[]]
        var strides = [Int](repeating: 1, count: exampleShape.count)
        for d in stride(from: exampleShape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * exampleShape[d + 1] }
        for d in 0..<exampleShape.count {
            windows = windows.flatMap { partial in starts[d].map { partial + [$0] } }
        }
        let covered: [[Int]] = windows.map { corner in
            var indices = [0]
            for d in 0..<exampleShape.count {
                let range = corner[d]..<min(corner[d] + window[d], exampleShape[d])
                indices = indices.flatMap { base in range.map { base + $0 * strides[d] } }
            }
            return indices
        }
        let size = exampleShape.reduce(1, *)
        var coverage = [Float](repeating: 0, count: size)
        for indices in covered { for i in indices { coverage[i] += 1 } }

        // S(x) of every row.
        let classes = logits.shape[1]
        let baseLogits: Tensor
        if recorded {
            baseLogits = logits
        } else {
            let recording = try record(x, counter: &counter)
            baseLogits = try recording.tape.value(recording.logits)
        }
        let inputRows = rowExamples.count
        let perRow = covered.count
        var totals = [Float](repeating: 0, count: x.count)
        let xs = x.scalars
        var first = 0
        while first < inputRows * perRow {
            let count = min(chunkSize, inputRows * perRow - first)
            var scalars = [Float](repeating: 0, count: count * size)
            for row in 0..<count {
                let (r, w) = ((first + row) / perRow, (first + row) % perRow)
                for i in 0..<size { scalars[row * size + i] = xs[r * size + i] }
                for i in covered[w] { scalars[row * size + i] = value }
            }
            let occluded = try network.logits(for: try Tensor(shape: [count] + exampleShape, scalars: scalars))
            counter.forward += 1
            for row in 0..<count {
                let (r, w) = ((first + row) / perRow, (first + row) % perRow)
                let target = targets[rowExamples[r]]
                let difference = baseLogits[flat: r * classes + target] - occluded[flat: row * classes + target]
                for i in covered[w] { totals[r * size + i] += difference }
            }
            first += count
            reportProgress(first, of: inputRows * perRow)
        }
        for r in 0..<inputRows {
            for i in 0..<size { totals[r * size + i] = coverage[i] > 0 ? totals[r * size + i] / coverage[i] : 0 }
        }
        return Estimate(map: try Tensor(shape: x.shape, scalars: totals), report: nil)
    }
}
