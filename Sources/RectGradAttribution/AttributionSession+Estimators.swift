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
            // The gradient's storage becomes the map: multiplied in place, never copied.
            var (gradient, report) = try gradients(at: x, rowExamples: rowExamples, rules: rules, recorded: recorded, counter: &counter)
            try gradient.withUnsafeMutableBufferPointer { values in
                try multiply(values, at: x, rowExamples: rowExamples, by: multiplier)
            }
            return Estimate(map: try gradient.reshaped(x.shape), report: report)
        case .integratedGradients(let steps, let baseline):
            let points = (1...steps).map { (Float($0) / Float(steps), 1 / Double(steps)) }
            return try integratedGradients(points: points, baseline: baseline, rules: rules, at: x, rowExamples: rowExamples, counter: &counter)
        case .integratedGradientsGaussLegendre(let count, let baseline):
            let points = GaussLegendre.nodes(count).map { (Float($0.node), $0.weight) }
            return try integratedGradients(points: points, baseline: baseline, rules: rules, at: x, rowExamples: rowExamples, counter: &counter)
        case .smoothGrad(let samples, let noiseLevel, let seed, let inner):
            return try smoothGrad(samples: samples, noiseLevel: noiseLevel, seed: seed, inner: inner, rules: rules, at: x, rowExamples: rowExamples, counter: &counter)
        case .noiseTunnel(let statistic, let samples, let noiseLevel, let seed, let inner):
            return try smoothGrad(samples: samples, noiseLevel: noiseLevel, seed: seed, inner: inner, statistic: statistic, rules: rules, at: x, rowExamples: rowExamples, counter: &counter)
        case .occlusion(let window, let stride, let baseline):
            return try occlusion(window: window, stride: stride, baseline: baseline, at: x, rowExamples: rowExamples, recorded: recorded, counter: &counter)
        case .gradientSHAP(let samples, let baselines, let seed):
            return try gradientSHAP(samples: samples, baselines: baselines, seed: seed, rules: rules, at: x, rowExamples: rowExamples, counter: &counter)
        case .gradCAM(let layer):
            return try gradCAM(layer: layer, rules: rules, at: x, rowExamples: rowExamples, recorded: recorded, counter: &counter)
        case .guidedGradCAM(let layer):
            return try guidedGradCAM(layer: layer, rules: rules, at: x, rowExamples: rowExamples, recorded: recorded, counter: &counter)
        case .neuronGradient(let layer, let neuron):
            return try neuronGradient(layer: layer, neuron: neuron, rules: rules, at: x, rowExamples: rowExamples, recorded: recorded, counter: &counter)
        case .layerIntegratedGradients(let layer, let quadrature, let baseline):
            return try layerIntegratedGradientsMap(layer: layer, quadrature: quadrature, baseline: baseline, rules: rules, at: x, rowExamples: rowExamples, recorded: recorded, counter: &counter)
        }
    }

    // MARK: Integrated gradients

    /// `(x − b) · Σ_k w_k · dS/dx at b + α_k(x − b)` for the path points `(α_k, w_k)`.
    func integratedGradients(points: [(alpha: Float, weight: Double)], baseline: Baseline, rules: BackwardRules, at x: Tensor, rowExamples: [Int], counter: inout PassCounter) throws -> Estimate {
        let steps = points.count
        let rows = BroadcastRows(try baseline.values(for: input.shape))
        let size = rows.rowSize
        let inputRows = rowExamples.count
        var sums = [Double](repeating: 0, count: x.count)
        let report = try x.withUnsafeBufferPointer { xs in
            try rows.batch.withUnsafeBufferPointer { bs in
                try forEachChunk(
                    rowCount: inputRows * steps, exampleOfRow: { rowExamples[$0 / steps] }, rules: rules, counter: &counter,
                    fill: { row, buffer in
                        let (r, k) = (row / steps, row % steps)
                        let alpha = points[k].alpha
                        let b = rows.offset(ofExample: rowExamples[r])
                        for i in 0..<size { buffer[i] = bs[b + i] + alpha * (xs[r * size + i] - bs[b + i]) }
                    },
                    consume: { first, _, gradient in
                        for row in 0..<(gradient.count / size) {
                            let r = (first + row) / steps
                            let weight = points[(first + row) % steps].weight
                            for i in 0..<size { sums[r * size + i] += weight * Double(gradient[row * size + i]) }
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
                        values[r * size + i] = Float(difference * sums[r * size + i])
                    }
                }
            }
        }
        return Estimate(map: try Tensor(shape: x.shape, scalars: values), report: report)
    }

    // MARK: GradientSHAP

    func gradientSHAP(samples: Int, baselines: [Baseline], seed: UInt64, rules: BackwardRules, at x: Tensor, rowExamples: [Int], counter: inout PassCounter) throws -> Estimate {
        let sources = try baselines.map { BroadcastRows(try $0.values(for: input.shape)) }
        let inputRows = rowExamples.count
        let size = x.count / max(inputRows, 1)
        // The draws of every example, fixed before any pass: (baseline, α) per sample.
        var generators = Self.noiseGenerators(seed: seed, examples: rowExamples.map { noiseStreams?[$0] ?? $0 })
        var draws: [(source: Int, alpha: Float)] = []
        for r in 0..<inputRows {
            for _ in 0..<samples {
                let source = Int(generators[r].next() % UInt64(sources.count))
                draws.append((source, Float(Double(generators[r].next() >> 11) / Double(1 << 53))))
            }
        }
        var sums = [Double](repeating: 0, count: x.count)
        let report = try x.withUnsafeBufferPointer { xs in
            try forEachChunk(
                rowCount: inputRows * samples, exampleOfRow: { rowExamples[$0 / samples] }, rules: rules, counter: &counter,
                fill: { row, buffer in
                    let r = row / samples
                    let (source, alpha) = draws[row]
                    let b = sources[source].offset(ofExample: rowExamples[r])
                    sources[source].batch.withUnsafeBufferPointer { bs in
                        for i in 0..<size { buffer[i] = bs[b + i] + alpha * (xs[r * size + i] - bs[b + i]) }
                    }
                },
                consume: { first, _, gradient in
                    for row in 0..<(gradient.count / size) {
                        let r = (first + row) / samples
                        let source = draws[first + row].source
                        let b = sources[source].offset(ofExample: rowExamples[r])
                        sources[source].batch.withUnsafeBufferPointer { bs in
                            for i in 0..<size {
                                sums[r * size + i] += Double(gradient[row * size + i]) * (Double(xs[r * size + i]) - Double(bs[b + i]))
                            }
                        }
                    }
                }
            )
        }
        let values = sums.map { Float($0 / Double(samples)) }
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

    func smoothGrad(samples: Int, noiseLevel: Float, seed: UInt64, inner: Estimator, statistic: NoiseStatistic = .mean, rules: BackwardRules, at x: Tensor, rowExamples: [Int], counter: inout PassCounter) throws -> Estimate {
        let inputRows = rowExamples.count
        let size = x.count / max(inputRows, 1)
        var generators = Self.noiseGenerators(seed: seed, examples: rowExamples.map { noiseStreams?[$0] ?? $0 })
        let scales = Self.noiseScales(x, rowCount: inputRows, noiseLevel: noiseLevel)
        var sums = [Double](repeating: 0, count: x.count)
        var squares = [Double](repeating: 0, count: x.count)
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
                        let count = gradient.count / size
                        let examples = (first..<(first + count)).map { rowExamples[$0 / samples] }
                        let values = try multiplied(gradient, at: points, rowExamples: examples, by: multiplier)
                        for row in 0..<count {
                            let r = (first + row) / samples
                            for i in 0..<size {
                                let value = Double(values[row * size + i])
                                sums[r * size + i] += value
                                squares[r * size + i] += value * value
                            }
                        }
                    }
                )
            }
        } else {
            // Any other estimator: run it on each noisy copy of the batch (its map may have fewer
            // channels than the input, as Grad-CAM's).
            var mapShape = x.shape
            for sample in 0..<samples {
                var noisy = x.scalars
                for r in 0..<inputRows {
                    for i in 0..<size { noisy[r * size + i] += scales[r] * Float(generators[r].nextGaussian()) }
                }
                let estimate = try map(inner, rules: rules, at: try Tensor(shape: x.shape, scalars: noisy), rowExamples: rowExamples, recorded: false, counter: &counter)
                report = estimate.report
                if sample == 0 {
                    mapShape = estimate.map.shape
                    sums = [Double](repeating: 0, count: estimate.map.count)
                    squares = sums
                }
                for i in 0..<sums.count {
                    let value = Double(estimate.map[flat: i])
                    sums[i] += value
                    squares[i] += value * value
                }
            }
            return Estimate(map: try Tensor(shape: mapShape, scalars: Self.statistic(statistic, sums: sums, squares: squares, samples: samples)), report: report)
        }
        return Estimate(map: try Tensor(shape: x.shape, scalars: Self.statistic(statistic, sums: sums, squares: squares, samples: samples)), report: report)
    }

    /// The noise tunnel's statistic from the per-element sums and sums of squares of `samples` maps.
    static func statistic(_ statistic: NoiseStatistic, sums: [Double], squares: [Double], samples: Int) -> [Float] {
        let n = Double(samples)
        switch statistic {
        case .mean: return sums.map { Float($0 / n) }
        case .meanOfSquares: return squares.map { Float($0 / n) }
        case .variance: return zip(sums, squares).map { sum, square in Float(max(square / n - (sum / n) * (sum / n), 0)) }
        }
    }

    // MARK: Occlusion

    /// The start positions of a window of extent `window` slid by `stride` over `extent` elements
    /// (Captum's positions: `ceil((extent − window) / stride) + 1` windows, the last one clipped).
    static func windowStarts(extent: Int, window: Int, stride: Int) -> [Int] {
        (0..<Estimator.windowCount(extent: extent, window: window, stride: stride)).map { $0 * stride }
    }

    func occlusion(window: [Int], stride steps: [Int], baseline: Baseline, at x: Tensor, rowExamples: [Int], recorded: Bool, counter: inout PassCounter) throws -> Estimate {
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
        let replacement = BroadcastRows(try baseline.values(for: input.shape))
        guard replacement.batch.isFinite else { throw AttributionError.invalidParameter(name: "baseline", reason: "contains NaN or infinity") }
        let replacementValues = replacement.batch.scalars
        var coverage = [Float](repeating: 0, count: size)
        for indices in covered { for i in indices { coverage[i] += 1 } }

        // S(x) of every row.
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
                let offset = replacement.offset(ofExample: rowExamples[r])
                for i in covered[w] { scalars[row * size + i] = replacementValues[offset + i] }
            }
            let occluded = try network.logits(for: try Tensor(shape: [count] + exampleShape, scalars: scalars), workers: workers)
            counter.forward += 1
            for row in 0..<count {
                let (r, w) = ((first + row) / perRow, (first + row) % perRow)
                let difference = Float(score(baseLogits, row: r, example: rowExamples[r]) - score(occluded, row: row, example: rowExamples[r]))
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
