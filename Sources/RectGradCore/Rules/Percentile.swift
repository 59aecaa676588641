/// How a percentile is read off a set of scores.
public enum PercentileInterpolation: String, Hashable, Sendable, CaseIterable {
    /// The published code's rule (TensorFlow 1.4–1.6 `percentile`, interpolation `'nearest'`):
    /// with scores sorted descending, `idx = round_half_even(f32(n − 1) · (1 − q/100))` with every
    /// operation in float32, and the threshold is `d[idx]`.
    case nearestFloat32 = "nearest"
    /// NumPy's default: linear interpolation between the two closest ranks, `pos = q/100 · (n − 1)`
    /// on the ascending order.
    case linear
}

/// Order statistics in O(n) expected time, never a full sort.
///
/// Large arrays are bracketed first: a small systematic sample is sorted, two sample values
/// around the wanted rank bound a narrow range, and one counting pass counts the values below,
/// at and between the bounds, keeping only those strictly between (typically a few percent). The
/// order statistic is then selected among those (quickselect with median-of-three pivots), or is
/// one of the bounds. The counts are exact, so the result is exactly the order statistic; when
/// the sample misleads (the rank falls outside the bracket) or a value is NaN, the whole array
/// is selected in instead.
public enum Percentile {
    /// The index into the **descending** order that the published nearest rule selects.
    public static func nearestDescendingIndex(count n: Int, percentile q: Double) -> Int {
        guard n > 0 else { return 0 }
        let fraction = Float(q) / Float(100)
        let complement = Float(1) - fraction
        let position = Float(n - 1) * complement
        let index = Int(position.rounded(.toNearestOrEven))
        return Swift.min(Swift.max(index, 0), n - 1)
    }

    /// The q-th percentile of `values` (q in [0, 100]) under `interpolation`.
    /// `values` is used as scratch space and left permuted. Returns NaN when empty.
    public static func value(of values: inout [Float], percentile q: Double, interpolation: PercentileInterpolation, workers: Workers = .default) -> Float {
        let n = values.count
        guard n > 0 else { return .nan }
        switch interpolation {
        case .nearestFloat32:
            let rank = n - 1 - nearestDescendingIndex(count: n, percentile: q)
            let bracketed = values.withUnsafeBufferPointer { buffer -> Float? in
                guard let base = buffer.baseAddress else { return nil }
                return orderStatistic(StoredScores(base: base), count: n, rank: rank, workers: workers)
            }
            return bracketed ?? selectUnchecked(&values, rank: rank)
        case .linear:
            let position = Swift.min(Swift.max(q / 100, 0), 1) * Double(n - 1)
            let lower = Int(position.rounded(.down))
            let fraction = position - Double(lower)
            let low = selectUnchecked(&values, rank: lower)
            guard fraction > 0, lower + 1 < n else { return low }
            // After selection every element above `lower` is ≥ low; the next order statistic is their minimum.
            var high = Float.infinity
            for i in (lower + 1)..<n where values[i] < high { high = values[i] }
            // NumPy's lerp: a + (b − a)·t, in Double.
            return Float(Double(low) + (Double(high) - Double(low)) * fraction)
        }
    }

    /// The element of ascending rank `rank` (0 = smallest); partitions `values` around it.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for a rank outside `0..<values.count`.
    public static func select(_ values: inout [Float], rank: Int) throws(TensorError) -> Float {
        guard rank >= 0 && rank < values.count else {
            throw .invalidArgument(operation: "Percentile.select", reason: "rank \(rank) outside 0..<\(values.count)")
        }
        return selectUnchecked(&values, rank: rank)
    }

    /// ``select(_:rank:)`` for a rank already known to be in range.
    static func selectUnchecked(_ values: inout [Float], rank: Int) -> Float {
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return .nan }
            return quickselect(base, count: buffer.count, rank: rank)
        }
    }

    static func quickselect(_ a: UnsafeMutablePointer<Float>, count: Int, rank: Int) -> Float {
        var low = 0, high = count - 1
        while high > low {
            if high - low < 16 {
                // Insertion sort on a short range.
                for i in (low + 1)...high {
                    let value = a[i]
                    var j = i - 1
                    while j >= low && a[j] > value { a[j + 1] = a[j]; j -= 1 }
                    a[j + 1] = value
                }
                return a[rank]
            }
            // Median of three as pivot.
            let middle = low + (high - low) / 2
            if a[middle] < a[low] { a.swapAt(middle, low) }
            if a[high] < a[low] { a.swapAt(high, low) }
            if a[high] < a[middle] { a.swapAt(high, middle) }
            let pivot = a[middle]
            // Hoare partition; equal elements split between both sides, which keeps ties O(n).
            var i = low, j = high
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if rank <= j { high = j } else if rank >= i { low = i } else { return a[rank] }
        }
        return a[rank]
    }
}

extension Percentile {
    /// Below this many values the whole array is selected in directly.
    static let bracketingThreshold = 2048

    /// The element of ascending rank `rank` among `source`'s first `n` scores, by bracketing
    /// (see ``Percentile``); `nil` when the array is small, a score is NaN, or the sample's
    /// bracket missed the rank — the caller then selects in the materialised scores.
    ///
    /// - Parameter workers: the workers the counting pass is split across (for one large example;
    ///   pass ``Workers/serial`` when the caller already runs examples in parallel). The counts are
    ///   integers, so the result does not depend on the split.
    static func orderStatistic<Source: ScoreSource>(_ source: Source, count n: Int, rank k: Int, workers: Workers) -> Float? {
        guard var sample = RankSample(source, count: n, rank: k) else { return nil }
        for width in RankSample.widths {
            let bounds = sample.bounds(width: width)
            switch bracket(source, count: n, rank: k, low: bounds.low, high: bounds.high, expectedInside: bounds.expectedInside, workers: workers) {
            case .found(let value): return value
            case .notANumber: return nil
            case .missed: continue
            }
        }
        return nil
    }

    /// What one bracketing pass found.
    enum BracketOutcome {
        /// The order statistic.
        case found(Float)
        /// A score is NaN.
        case notANumber
        /// The rank lies outside the bracket, or more values fell inside than there was room for.
        case missed
    }

    /// Counts the scores below, at and between `low` and `high` and selects rank `k` if it lies
    /// within `[low, high]`.
    private static func bracket<Source: ScoreSource>(_ source: Source, count n: Int, rank k: Int, low: Float, high: Float, expectedInside: Int, workers: Workers) -> BracketOutcome {
        // Room for the values strictly inside the bracket: four times the expected number.
        let capacity = 4 * expectedInside + 256
        let parts = max(1, min(4 * workers.count, n / (1 << 15)))
        // Every part may hold all of them: the candidates can cluster in one part of an image.
        let slot = capacity
        let candidates = UnsafeMutablePointer<Float>.allocate(capacity: slot * parts)
        defer { candidates.deallocate() }
        var tallies = [BracketTally](repeating: BracketTally(), count: parts)
        tallies.withUnsafeMutableBufferPointer { tallies in
            guard let tallies = tallies.baseAddress else { return }
            workers.forEach(items: parts) { _, part in
                tallies[part] = tally(source, range: Parallel.range(part, of: parts, count: n), low: low, high: high,
                                      into: candidates + part * slot, capacity: slot)
            }
        }
        var total = BracketTally()
        for tally in tallies {
            total.below += tally.below
            total.atLow += tally.atLow
            total.inside += tally.inside
            total.atHigh += tally.atHigh
            total.notANumber += tally.notANumber
        }
        guard total.notANumber == 0 else { return .notANumber }
        if k < total.below { return .missed }
        if k < total.below + total.atLow { return .found(low) }
        if k < total.below + total.atLow + total.inside {
            guard tallies.allSatisfy({ $0.inside <= slot }) else { return .missed }
            // Gather the parts' candidates into one run and select among them.
            var gathered = tallies[0].inside
            for part in 1..<parts {
                (candidates + gathered).update(from: candidates + part * slot, count: tallies[part].inside)
                gathered += tallies[part].inside
            }
            let rank = k - total.below - total.atLow
            return .found(selectWithoutNaN(candidates, count: gathered, rank: rank))
        }
        if k < total.below + total.atLow + total.inside + total.atHigh { return .found(high) }
        return .missed
    }

    /// The element of ascending rank `rank` among `count` values none of which is NaN; partitions
    /// them around it. Each step splits the range by a median-of-three pivot into the values below
    /// it and the others without branching (Lomuto), and, when the rank is not below, splits off
    /// the values equal to the pivot as well, so ties cannot stall it.
    static func selectWithoutNaN(_ a: UnsafeMutablePointer<Float>, count: Int, rank: Int) -> Float {
        var low = 0, high = count
        while high - low > 16 {
            let x = a[low], y = a[low + (high - low) / 2], z = a[high - 1]
            let pivot = max(min(x, y), min(max(x, y), z))
            let less = partition(a, low..<high) { $0 < pivot }
            if rank < less {
                high = less
                continue
            }
            let notGreater = partition(a, less..<high) { $0 <= pivot }
            if rank < notGreater { return pivot }
            low = notGreater
        }
        // Insertion sort on a short range.
        if high - low > 1 {
            for i in (low + 1)..<high {
                let value = a[i]
                var j = i - 1
                while j >= low && a[j] > value { a[j + 1] = a[j]; j -= 1 }
                a[j + 1] = value
            }
        }
        return a[rank]
    }

    /// Moves the values of `range` satisfying `isLeft` to its front, branch-free; returns the end
    /// of that front part.
    @inline(__always)
    private static func partition(_ a: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ isLeft: (Float) -> Bool) -> Int {
        var store = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            let value = a[i]
            a[i] = a[store]
            a[store] = value
            // The Bool's byte (0 or 1) as the step: no branch to mispredict.
            store &+= Int(unsafeBitCast(isLeft(value), to: UInt8.self))
            i &+= 1
        }
        return store
    }

    /// Counts of one part of a bracketing pass.
    struct BracketTally {
        /// Scores below the lower bound.
        var below = 0
        /// Scores equal to the lower bound (when the bounds are equal, every score at them).
        var atLow = 0
        /// Scores strictly between the bounds (copied out while they fit).
        var inside = 0
        /// Scores equal to the upper bound.
        var atHigh = 0
        /// NaN scores.
        var notANumber = 0
    }

    /// One pass over `range`: the counts, and the scores strictly between the bounds written to
    /// `candidates` while fewer than `capacity` have been found.
    private static func tally<Source: ScoreSource>(_ source: Source, range: Range<Int>, low: Float, high: Float, into candidates: UnsafeMutablePointer<Float>, capacity: Int) -> BracketTally {
        // Eight lanes: two SSE registers per value, so the four counters stay in registers.
        typealias Counts = SIMD8<Int32>
        let lowVector = SIMD8<Float>(repeating: low), highVector = SIMD8<Float>(repeating: high)
        var below = Counts(), atLow = Counts()
        let laneBits = Counts(1, 2, 4, 8, 16, 32, 64, 128)
        var inside = 0
        var result = BracketTally()
        @inline(__always) func classify(_ value: Float) {
            // Only for scores in (low, high], and NaN: rare, so the main loop only counts those
            // below and at `low` (many can tie there, e.g. at zero).
            if value.isNaN {
                result.notANumber += 1
            } else if value == high {
                result.atHigh += 1
            } else {
                if inside < capacity { candidates[inside] = value }
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
                // A true lane is −1: subtracting the mask counts it.
                below &-= unsafeBitCast(belowLow, to: Counts.self)
                atLow &-= unsafeBitCast(atLowBound, to: Counts.self)
                // Lanes in (low, high] or NaN are rare: test all eight at once, then visit those.
                let outside = unsafeBitCast(belowLow .| atLowBound .| (v .> highVector), to: Counts.self)
                let both = unsafeBitCast(outside.lowHalf & outside.highHalf, to: SIMD2<UInt64>.self)
                if both[0] & both[1] != UInt64.max {
                    var bits = (~outside & laneBits).wrappedSum()
                    let values = v
                    repeat {
                        classify(values[Int(bits.trailingZeroBitCount)])
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
            if value < low {
                result.below += 1
            } else if value == low {
                result.atLow += 1
            } else if !(value > high) {
                classify(value)
            }
            i += 1
        }
        result.inside = inside
        return result
    }
}

/// A stratified sample of scores and the bounds it suggests around a wanted rank.
struct RankSample {
    /// Bracket widths tried, in standard deviations of the sample rank: the second only when
    /// the rank fell outside the first.
    static let widths: [Double] = [3, 12]

    private var sample: [Float]
    private let count: Int
    private let position: Double
    private let deviation: Double

    /// Samples `source`'s first `n` scores for rank `k`; `nil` when there are too few scores
    /// (below ``Percentile/bracketingThreshold``), the rank is out of range, or a sampled score
    /// is NaN.
    init?<Source: ScoreSource>(_ source: Source, count n: Int, rank k: Int) {
        guard n >= Percentile.bracketingThreshold, k >= 0, k < n else { return nil }
        // Runs of eight neighbouring scores, one run at a pseudo-random position in each of m/8
        // equal strata: a fixed stride could line up with the rows of a feature map (e.g.
        // always hit its border column), and a run costs one or two cache misses instead of eight.
        let run = 8
        let m = min(16384, max(256, Int(8 * Double(n).squareRoot()))) / run * run
        let strata = m / run
        let sample = [Float](unsafeUninitializedCapacity: m) { buffer, initialized in
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for j in 0..<strata {
                let start = j * n / strata, end = (j + 1) * n / strata
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                // A position in 0..<choices from the state's upper 32 bits, without a division.
                let choices = UInt64(max(end - start - run + 1, 1))
                let first = start + Int(((state >> 32) &* choices) >> 32)
                for offset in 0..<run { buffer[j * run + offset] = source.scalar(first + offset) }
            }
            initialized = m
        }
        guard !sample.contains(where: { $0.isNaN }) else { return nil }
        self.sample = sample
        count = n
        let fraction = (Double(k) + 0.5) / Double(n)
        position = fraction * Double(m)
        deviation = (Double(m) * fraction * (1 - fraction)).squareRoot()
    }

    /// The sample's order statistics `width` standard deviations (plus four places) either side
    /// of the rank's position (±infinity past the ends), and the expected number of scores
    /// between them.
    mutating func bounds(width: Double) -> (low: Float, high: Float, expectedInside: Int) {
        let m = sample.count
        let spread = Int((width * deviation).rounded(.up)) + 4
        let lowIndex = Int(position.rounded(.down)) - spread
        let highIndex = Int(position.rounded(.up)) + spread
        let (low, high) = sample.withUnsafeMutableBufferPointer { buffer -> (Float, Float) in
            guard let base = buffer.baseAddress else { return (-.infinity, .infinity) }
            let low = lowIndex < 0 ? -Float.infinity : Percentile.selectWithoutNaN(base, count: m, rank: lowIndex)
            // After selecting `lowIndex`, everything from it on is at least `low`.
            let from = max(lowIndex, 0)
            let high = highIndex >= m ? Float.infinity : Percentile.selectWithoutNaN(base + from, count: m - from, rank: highIndex - from)
            return (low, high)
        }
        let expected = Double(count) * Double(min(highIndex, m) - max(lowIndex, 0) + 1) / Double(m)
        return (low, high, Int(expected))
    }
}

/// Scores read by index: stored values, or RectGrad's importances computed on the fly.
protocol ScoreSource {
    /// The score at `i`.
    func scalar(_ i: Int) -> Float
    /// The scores at `i..<i + 8`.
    func vector(_ i: Int) -> SIMD8<Float>
}

/// Scores stored in memory.
struct StoredScores: ScoreSource {
    let base: UnsafePointer<Float>
    @inline(__always) func scalar(_ i: Int) -> Float { base[i] }
    @inline(__always) func vector(_ i: Int) -> SIMD8<Float> { UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self) }
}

/// The signed importance `a · R`.
struct SignedImportance: ScoreSource {
    let a: UnsafePointer<Float>, r: UnsafePointer<Float>
    @inline(__always) func scalar(_ i: Int) -> Float { a[i] * r[i] }
    @inline(__always) func vector(_ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(r + i).loadUnaligned(as: SIMD8<Float>.self)
    }
}

/// The absolute importance `|a · R|` (the sign bit cleared, as `abs`).
struct AbsoluteImportance: ScoreSource {
    let a: UnsafePointer<Float>, r: UnsafePointer<Float>
    @inline(__always) func scalar(_ i: Int) -> Float { abs(a[i] * r[i]) }
    @inline(__always) func vector(_ i: Int) -> SIMD8<Float> {
        let product = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(r + i).loadUnaligned(as: SIMD8<Float>.self)
        return unsafeBitCast(unsafeBitCast(product, to: SIMD8<UInt32>.self) & SIMD8<UInt32>(repeating: 0x7FFF_FFFF), to: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]; self[i] = self[j]; self[j] = t
    }
}
