/// RectGrad's backward for one example in one pass over `a` and `R`.
///
/// The threshold `t` is bracketed by a sample (see ``Percentile``) before it is known: `low ≤ t ≤
/// high`. A unit whose importance is at most `low` is dropped whatever `t` is, and one above
/// `high` passes, so a single pass can count the importances for the selection *and* write the
/// gradient of every unit outside the bracket; it writes 0 for the units in `(low, high]` and
/// records them. Once `t` is selected, only those are revisited (the ones equal to `high` pass
/// unless `t = high`). The gradient is exactly `R · 1[importance > t]`, as the two-pass rule
/// computes it.
enum RectGradFusedPass {
    /// Writes the example's gradient into `y` and returns `true`; returns `false`, with `y`
    /// partly written, when the caller must select and mask the usual way (a small example, a
    /// NaN importance, or a sample that misled twice).
    ///
    /// - Parameters:
    ///   - source: the importances (`a·R` or `|a·R|`) of the example's `n` units.
    ///   - r: the example's upstream gradient `R`.
    ///   - k: the ascending rank of the threshold among the importances.
    ///   - workers: the workers the pass is split across (its counts are integers and every unit's
    ///     gradient is computed on its own, so the result does not depend on the split).
    static func run<Source: ScoreSource>(_ source: Source, r: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int, rank k: Int, workers: Workers) -> Bool {
        guard var sample = RankSample(source, count: n, rank: k) else { return false }
        for width in RankSample.widths {
            let bounds = sample.bounds(width: width)
            switch pass(source, r: r, into: y, count: n, rank: k, low: bounds.low, high: bounds.high,
                        expectedInside: bounds.expectedInside, workers: workers) {
            case .found: return true
            case .notANumber: return false
            case .missed: continue
            }
        }
        return false
    }

    /// One fused pass with the bounds `low ≤ high`.
    private static func pass<Source: ScoreSource>(_ source: Source, r: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int, rank k: Int, low: Float, high: Float, expectedInside: Int, workers: Workers) -> Percentile.BracketOutcome {
        let capacity = 4 * expectedInside + 256
        let parts = max(1, min(4 * workers.count, n / (1 << 16)))
        // Every part may hold all of them: the bracketed units can cluster in one part.
        let values = UnsafeMutablePointer<Float>.allocate(capacity: capacity * parts)
        defer { values.deallocate() }
        let indices = UnsafeMutablePointer<Int32>.allocate(capacity: capacity * parts)
        defer { indices.deallocate() }
        let highIndices = UnsafeMutablePointer<Int32>.allocate(capacity: capacity * parts)
        defer { highIndices.deallocate() }
        var tallies = [Percentile.BracketTally](repeating: Percentile.BracketTally(), count: parts)
        tallies.withUnsafeMutableBufferPointer { tallies in
            guard let tallies = tallies.baseAddress else { return }
            workers.forEach(items: parts) { _, part in
                tallies[part] = tally(source, r: r, into: y, range: Parallel.range(part, of: parts, count: n), low: low, high: high,
                                      values: values + part * capacity, indices: indices + part * capacity,
                                      highIndices: highIndices + part * capacity, capacity: capacity)
            }
        }
        var total = Percentile.BracketTally()
        for tally in tallies {
            total.below += tally.below
            total.atLow += tally.atLow
            total.inside += tally.inside
            total.atHigh += tally.atHigh
            total.notANumber += tally.notANumber
        }
        guard total.notANumber == 0 else { return .notANumber }
        // Units in (low, high] that did not fit were not recorded.
        let overflowed = tallies.contains { $0.inside > capacity || $0.atHigh > capacity }
        let threshold: Float
        if k < total.below {
            return .missed
        } else if k < total.below + total.atLow {
            threshold = low
        } else if k < total.below + total.atLow + total.inside {
            guard !overflowed else { return .missed }
            var gathered = tallies[0].inside
            for part in 1..<parts {
                (values + gathered).update(from: values + part * capacity, count: tallies[part].inside)
                gathered += tallies[part].inside
            }
            threshold = Percentile.selectWithoutNaN(values, count: gathered, rank: k - total.below - total.atLow)
        } else if k < total.below + total.atLow + total.inside + total.atHigh {
            threshold = high
        } else {
            return .missed
        }

        if overflowed {
            // Some undecided units were not recorded: mask the whole example.
            let t = Elementwise.Vector(repeating: threshold)
            workers.forRanges(count: n) { range in
                var i = range.lowerBound
                while i + 16 <= range.upperBound {
                    let scores = SIMD16(lowHalf: source.vector(i), highHalf: source.vector(i + 8))
                    Elementwise.store(Elementwise.load(r, i).replacing(with: 0, where: .!(scores .> t)), y, i)
                    i += 16
                }
                while i < range.upperBound {
                    y[i] = source.scalar(i) > threshold ? r[i] : 0
                    i += 1
                }
            }
        } else {
            // Only the recorded units are undecided (their slots hold 0): those strictly inside
            // pass above the threshold, those equal to `high` unless the threshold is `high`.
            for (part, tally) in tallies.enumerated() {
                let recorded = indices + part * capacity
                for j in 0..<tally.inside {
                    let i = Int(recorded[j])
                    if source.scalar(i) > threshold { y[i] = r[i] }
                }
                if threshold < high {
                    let atHigh = highIndices + part * capacity
                    for j in 0..<tally.atHigh { y[Int(atHigh[j])] = r[Int(atHigh[j])] }
                }
            }
        }
        return .found(threshold)
    }

    /// One part of a fused pass: the counts of ``Percentile/BracketTally``, `y` written for every
    /// unit (`R` above `high`, else 0), the importances and indices of the units strictly inside
    /// and the indices of those equal to `high` (when `low < high`), while they fit in `capacity`.
    private static func tally<Source: ScoreSource>(_ source: Source, r: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, range: Range<Int>, low: Float, high: Float, values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>, highIndices: UnsafeMutablePointer<Int32>, capacity: Int) -> Percentile.BracketTally {
        typealias Counts = SIMD8<Int32>
        let lowVector = SIMD8<Float>(repeating: low), highVector = SIMD8<Float>(repeating: high)
        let laneBits = Counts(1, 2, 4, 8, 16, 32, 64, 128)
        var below = Counts(), atLow = Counts()
        var inside = 0
        var result = Percentile.BracketTally()
        @inline(__always) func classify(_ value: Float, at index: Int) {
            // Only for importances in (low, high], and NaN: rare, so the main loop only counts
            // those below and at `low` (many units can tie there, e.g. at zero).
            if value.isNaN {
                result.notANumber += 1
            } else if value == high {
                if result.atHigh < capacity { highIndices[result.atHigh] = Int32(truncatingIfNeeded: index) }
                result.atHigh += 1
            } else {
                if inside < capacity {
                    values[inside] = value
                    indices[inside] = Int32(truncatingIfNeeded: index)
                }
                inside += 1
            }
        }
        var i = range.lowerBound
        // Lane counts stay well within Int32: flushed every 2^24 vectors.
        while i + 8 <= range.upperBound {
            let stop = min(range.upperBound, i + (8 << 24))
            while i + 8 <= stop {
                let v = source.vector(i)
                let belowLow = v .< lowVector, atLowBound = v .== lowVector
                let aboveHigh = v .> highVector
                // A true lane is −1: subtracting the mask counts it.
                below &-= unsafeBitCast(belowLow, to: Counts.self)
                atLow &-= unsafeBitCast(atLowBound, to: Counts.self)
                let upstream = UnsafeRawPointer(r + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: SIMD8<Float>().replacing(with: upstream, where: aboveHigh), as: SIMD8<Float>.self)
                // Lanes in (low, high] or NaN are rare: test all eight at once.
                let outside = unsafeBitCast(belowLow .| atLowBound .| aboveHigh, to: Counts.self)
                let both = unsafeBitCast(outside.lowHalf & outside.highHalf, to: SIMD2<UInt64>.self)
                if both[0] & both[1] != UInt64.max {
                    var bits = (~outside & laneBits).wrappedSum()
                    repeat {
                        let lane = Int(bits.trailingZeroBitCount)
                        classify(v[lane], at: i + lane)
                        bits &= bits - 1
                    } while bits != 0
                }
                i += 8
            }
            result.below += Int(below.wrappedSum())
            result.atLow += Int(atLow.wrappedSum())
            below = Counts(); atLow = Counts()
        }
        while i < range.upperBound {
            let value = source.scalar(i)
            y[i] = value > high ? r[i] : 0
            if value < low {
                result.below += 1
            } else if value == low {
                result.atLow += 1
            } else if !(value > high) {
                classify(value, at: i)
            }
            i += 1
        }
        result.inside = inside
        return result
    }
}
