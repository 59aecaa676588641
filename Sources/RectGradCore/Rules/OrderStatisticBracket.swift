/// An order statistic found by bracketing, with what the pass left undecided.
///
/// A stratified sample of the scores suggests bounds `low ≤ high` around the wanted rank; one pass
/// counts the scores below, at and between the bounds, and records those strictly between (their
/// values and indices) and the indices of those equal to `high`, typically a few percent. The
/// percentile is then one of the bounds or selected among the recorded values. The counts are
/// exact, so the result is exactly the percentile; when the sample misleads (the ranks fall
/// outside the bracket) a wider bracket is tried once, and when a score is NaN there is no result.
///
/// A ``BracketVisitor`` sees every unit during the pass: a plain selection only counts
/// (``CountingOnly``); RectGrad writes the gradient of every unit the bracket already decides
/// (``RectGradFusedPass``).
struct OrderStatisticBracket {
    /// The percentile.
    let value: Float
    /// The bracket's upper bound (`value ≤ high`).
    let high: Float
    /// The undecided units.
    let record: BracketRecord

    /// Brackets the percentile at `position` among `source`'s first `n` scores; `nil` when there
    /// are too few scores (below ``bracketingThreshold``), a score is NaN, or both brackets missed.
    ///
    /// - Parameter workers: the workers the pass is split across (for one large example; pass
    ///   ``Workers/serial`` when the caller already runs examples in parallel). The counts are
    ///   integers, so the result does not depend on the split.
    /// - Parameter scratch: the pool the record's working memory comes from (and goes back to), if any.
    init?<Source: ScoreSource, Visitor: BracketVisitor>(_ source: Source, count n: Int, at position: RankPosition, workers: Workers, visitor: Visitor, scratch: TensorBufferPool? = nil) {
        guard var sample = RankSample(source, count: n, rank: position.lower) else { return nil }
        for width in RankSample.widths {
            let bounds = sample.bounds(width: width)
            let record = BracketRecord(
                source, count: n, low: bounds.low, high: bounds.high,
                capacity: 4 * bounds.expectedInside + 256, workers: workers, visitor: visitor, scratch: scratch
            )
            guard !record.hasNotANumber else { return nil }
            guard let low = record.statistic(rank: position.lower) else { continue }
            let next = position.needsNext ? record.statistic(rank: position.lower + 1) : low
            guard let next else { continue }
            value = position.interpolate(low, next)
            high = bounds.high
            self.record = record
            return
        }
        return nil
    }

    /// Below this many values the whole array is selected in directly.
    static let bracketingThreshold = 2048
}

/// What a bracketing pass does with each unit besides counting it. A unit above the bracket's
/// upper bound is above the percentile too, whatever it turns out to be, so a visitor can act on
/// it before the percentile is known.
protocol BracketVisitor {
    /// The smallest number of units worth a worker of its own.
    static var minimumPartSize: Int { get }
    /// Units `i..<i + 8`; `aboveHigh` marks those above the upper bound.
    func visit(_ i: Int, aboveHigh: SIMDMask<SIMD8<Int32>>)
    /// Unit `i` alone (the tail of a part).
    func visit(_ i: Int, aboveHigh: Bool)
}

/// The plain selection: counting only.
struct CountingOnly: BracketVisitor {
    static var minimumPartSize: Int { 1 << 15 }
    @inline(__always) func visit(_ i: Int, aboveHigh: SIMDMask<SIMD8<Int32>>) {}
    @inline(__always) func visit(_ i: Int, aboveHigh: Bool) {}
}

/// Counts of one part of a bracketing pass.
struct BracketTally {
    /// Scores below the lower bound.
    var below = 0
    /// Scores equal to the lower bound (when the bounds are equal, every score at them).
    var atLow = 0
    /// Scores strictly between the bounds (recorded while they fit).
    var inside = 0
    /// Scores equal to the upper bound (their indices recorded while they fit).
    var atHigh = 0
    /// NaN scores.
    var notANumber = 0

    static func + (x: BracketTally, y: BracketTally) -> BracketTally {
        BracketTally(below: x.below + y.below, atLow: x.atLow + y.atLow, inside: x.inside + y.inside,
                     atHigh: x.atHigh + y.atHigh, notANumber: x.notANumber + y.notANumber)
    }
}

/// One bracketing pass over the scores, split in parts: the counts of each part and, in a slot of
/// `capacity` per part, the values and indices of the units strictly inside the bracket and the
/// indices of those equal to its upper bound.
final class BracketRecord {
    let low: Float, high: Float
    let parts: Int, capacity: Int
    /// Per part: the counts.
    let tallies: UnsafeMutablePointer<BracketTally>
    /// Per part: the scores strictly inside (gathered to the front by ``statistic(rank:)``).
    let values: UnsafeMutablePointer<Float>
    /// Per part: the indices of the units strictly inside.
    let indices: UnsafeMutablePointer<Int32>
    /// Per part: the indices of the units equal to `high` (when `low < high`).
    let highIndices: UnsafeMutablePointer<Int32>
    /// The counts of all parts.
    let total: BracketTally
    /// Whether the inside values are gathered and partly ordered.
    private var gathered = false
    /// The memory of `values`, `indices` and `highIndices`.
    private let block: ScratchBlock
    /// Where `block` goes back when the record is released.
    private let pool: TensorBufferPool?

    /// Runs the pass; the recorded values and indices live in one block taken from `scratch` (a
    /// block of its own without a pool).
    init<Source: ScoreSource, Visitor: BracketVisitor>(_ source: Source, count n: Int, low: Float, high: Float, capacity: Int, workers: Workers, visitor: Visitor, scratch: TensorBufferPool? = nil) {
        let parts = workers.count > 1 ? Swift.max(1, Swift.min(4 * workers.count, n / Visitor.minimumPartSize)) : 1
        // Every part may hold all of them: undecided units can cluster in one part of an image.
        let tallies = UnsafeMutablePointer<BracketTally>.allocate(capacity: parts)
        let slots = capacity * parts
        let bytes = slots * (MemoryLayout<Float>.stride + 2 * MemoryLayout<Int32>.stride)
        let block = scratch?.takeScratch(bytes: bytes) ?? ScratchBlock(bytes: ScratchBlock.roundedSize(bytes))
        let values = block.base.bindMemory(to: Float.self, capacity: slots)
        let indices = (block.base + slots * MemoryLayout<Float>.stride).bindMemory(to: Int32.self, capacity: slots)
        let highIndices = (block.base + slots * (MemoryLayout<Float>.stride + MemoryLayout<Int32>.stride)).bindMemory(to: Int32.self, capacity: slots)
        workers.forEach(items: parts) { _, part in
            let slot = part * capacity
            (tallies + part).initialize(to: Self.tally(
                source, range: Parallel.range(part, of: parts, count: n), low: low, high: high, capacity: capacity,
                values: values + slot, indices: indices + slot, highIndices: highIndices + slot, visitor: visitor
            ))
        }
        self.low = low
        self.high = high
        self.parts = parts
        self.capacity = capacity
        self.tallies = tallies
        self.values = values
        self.indices = indices
        self.highIndices = highIndices
        self.block = block
        pool = scratch
        total = UnsafeBufferPointer(start: tallies, count: parts).reduce(BracketTally(), +)
    }

    deinit {
        tallies.deinitialize(count: parts)
        tallies.deallocate()
        pool?.giveBack(block)
    }

    /// Whether a score was NaN.
    var hasNotANumber: Bool { total.notANumber > 0 }

    /// Whether some units in `(low, high]` did not fit their part's slot and were not recorded.
    var overflowed: Bool {
        (0..<parts).contains { tallies[$0].inside > capacity || tallies[$0].atHigh > capacity }
    }

    /// The score of ascending rank `k`, or `nil` when it lies outside the bracket or among
    /// inside units that were not all recorded.
    func statistic(rank k: Int) -> Float? {
        let t = total
        if k < t.below { return nil }
        if k < t.below + t.atLow { return low }
        if k < t.below + t.atLow + t.inside {
            guard !(0..<parts).contains(where: { tallies[$0].inside > capacity }) else { return nil }
            if !gathered {
                var count = tallies[0].inside
                for part in 1..<parts {
                    (values + count).update(from: values + part * capacity, count: tallies[part].inside)
                    count += tallies[part].inside
                }
                gathered = true
            }
            return Percentile.select(values, count: t.inside, rank: k - t.below - t.atLow)
        }
        if k < t.below + t.atLow + t.inside + t.atHigh { return high }
        return nil
    }

    /// Calls `body` with the index of every recorded unit strictly inside the bracket, and
    /// `atHigh` with the index of every recorded unit equal to `high` (with no overflow: all of them).
    @inline(__always)
    func forEachUndecided(inside body: (Int) -> Void, atHigh: (Int) -> Void) {
        for part in 0..<parts {
            let slot = part * capacity
            for j in 0..<Swift.min(tallies[part].inside, capacity) { body(Int(indices[slot + j])) }
            for j in 0..<Swift.min(tallies[part].atHigh, capacity) { atHigh(Int(highIndices[slot + j])) }
        }
    }

    /// One pass over `range`: the counts, and the units in `(low, high]` recorded while fewer than
    /// `capacity` have been found; `visitor` sees every unit.
    private static func tally<Source: ScoreSource, Visitor: BracketVisitor>(
        _ source: Source, range: Range<Int>, low: Float, high: Float, capacity: Int,
        values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>, highIndices: UnsafeMutablePointer<Int32>,
        visitor: Visitor
    ) -> BracketTally {
        // Eight lanes: two SSE registers per value, so the counters stay in registers.
        typealias Counts = SIMD8<Int32>
        let lowVector = SIMD8<Float>(repeating: low), highVector = SIMD8<Float>(repeating: high)
        let laneBits = Counts(1, 2, 4, 8, 16, 32, 64, 128)
        var below = Counts(), atLow = Counts()
        var result = BracketTally()
        @inline(__always) func classify(_ value: Float, at index: Int) {
            // Only for scores in (low, high], and NaN: rare, so the main loop only counts those
            // below and at `low` (many can tie there, e.g. at zero).
            if value.isNaN {
                result.notANumber += 1
            } else if value == high {
                if result.atHigh < capacity { highIndices[result.atHigh] = Int32(truncatingIfNeeded: index) }
                result.atHigh += 1
            } else {
                if result.inside < capacity {
                    values[result.inside] = value
                    indices[result.inside] = Int32(truncatingIfNeeded: index)
                }
                result.inside += 1
            }
        }
        var i = range.lowerBound
        // Lane counts stay well within Int32: flushed every 2^24 vectors.
        while i + 8 <= range.upperBound {
            let stop = Swift.min(range.upperBound, i + (8 << 24))
            while i + 8 <= stop {
                let v = source.vector(i)
                let belowLow = v .< lowVector, atLowBound = v .== lowVector, aboveHigh = v .> highVector
                // A true lane is −1: subtracting the mask counts it.
                below &-= unsafeBitCast(belowLow, to: Counts.self)
                atLow &-= unsafeBitCast(atLowBound, to: Counts.self)
                visitor.visit(i, aboveHigh: aboveHigh)
                // Lanes in (low, high] or NaN are rare: test all eight at once, then visit those.
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
            visitor.visit(i, aboveHigh: value > high)
            if value < low {
                result.below += 1
            } else if value == low {
                result.atLow += 1
            } else if !(value > high) {
                classify(value, at: i)
            }
            i += 1
        }
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
    /// (below ``OrderStatisticBracket/bracketingThreshold``), the rank is out of range, or a
    /// sampled score is NaN.
    init?<Source: ScoreSource>(_ source: Source, count n: Int, rank k: Int) {
        guard n >= OrderStatisticBracket.bracketingThreshold, k >= 0, k < n else { return nil }
        // Runs of eight neighbouring scores, one run at a pseudo-random position in each of m/8
        // equal strata: a fixed stride could line up with the rows of a feature map (e.g.
        // always hit its border column), and a run costs one or two cache misses instead of eight.
        let run = 8
        let m = Swift.min(16384, Swift.max(256, Int(8 * Double(n).squareRoot()))) / run * run
        let strata = m / run
        let sample = [Float](unsafeUninitializedCapacity: m) { buffer, initialized in
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for j in 0..<strata {
                let start = j * n / strata, end = (j + 1) * n / strata
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                // A position in 0..<choices from the state's upper 32 bits, without a division.
                let choices = UInt64(Swift.max(end - start - run + 1, 1))
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
            let low = lowIndex < 0 ? -Float.infinity : Percentile.select(base, count: m, rank: lowIndex)
            // After selecting `lowIndex`, everything from it on is at least `low`.
            let from = Swift.max(lowIndex, 0)
            let high = highIndex >= m ? Float.infinity : Percentile.select(base + from, count: m - from, rank: highIndex - from)
            return (low, high)
        }
        let expected = Double(count) * Double(Swift.min(highIndex, m) - Swift.max(lowIndex, 0) + 1) / Double(m)
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
