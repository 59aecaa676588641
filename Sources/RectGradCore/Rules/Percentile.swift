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
/// Large arrays are bracketed first: a small sample suggests two
/// bounds around the wanted rank, and one counting pass keeps only the values between them
/// (typically a few percent), among which the order statistic is selected. Small arrays, and
/// arrays where the bracket misses or a value is NaN, are selected in whole. Either way the one
/// selection routine is ``select(_:rank:)``'s: NaN is ordered after every number.
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
        guard !values.isEmpty else { return .nan }
        let position = RankPosition(count: values.count, percentile: q, interpolation: interpolation)
        // Bracketing only reads: a shared array is not copied unless selection has to permute it.
        let bracketed = values.withUnsafeBufferPointer { buffer -> Float? in
            guard let base = buffer.baseAddress else { return nil }
            return OrderStatisticBracket(StoredScores(base: base), count: buffer.count, at: position, workers: workers, visitor: CountingOnly())?.value
        }
        if let bracketed { return bracketed }
        return values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return .nan }
            return value(in: base, count: buffer.count, at: position)
        }
    }

    /// The percentile at `position` among `source`'s `n` scores: bracketed where it can be, else
    /// selected in a copy.
    ///
    /// - Parameter workers: the workers the counting pass is split across (for one large example;
    ///   pass ``Workers/serial`` when the caller already runs examples in parallel).
    static func value<Source: ScoreSource>(of source: Source, count n: Int, at position: RankPosition, workers: Workers) -> Float {
        guard n > 0 else { return .nan }
        if let bracket = OrderStatisticBracket(source, count: n, at: position, workers: workers, visitor: CountingOnly()) {
            return bracket.value
        }
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { copy.deallocate() }
        for i in 0..<n { copy[i] = source.scalar(i) }
        return value(in: copy, count: n, at: position)
    }

    /// The percentile at `position` among the `n` values at `a`, by selection; permutes them.
    static func value(in a: UnsafeMutablePointer<Float>, count n: Int, at position: RankPosition) -> Float {
        guard n > 0 else { return .nan }
        let low = select(a, count: n, rank: position.lower)
        guard position.needsNext else { return low }
        // After selection every value above `lower` is ≥ low; the next order statistic is their minimum.
        return position.interpolate(low, select(a + position.lower + 1, count: n - position.lower - 1, rank: 0))
    }

    /// The element of ascending rank `rank` (0 = smallest; NaN after every number); partitions
    /// `values` around it.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for a rank outside `0..<values.count`.
    public static func select(_ values: inout [Float], rank: Int) throws(TensorError) -> Float {
        guard rank >= 0 && rank < values.count else {
            throw .invalidArgument(operation: "Percentile.select", reason: "rank \(rank) outside 0..<\(values.count)")
        }
        return values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return .nan }
            return select(base, count: buffer.count, rank: rank)
        }
    }

    /// The element of ascending rank `rank` among `count` values, NaN ordered after every number;
    /// partitions them around it. NaNs, if any, are moved to the back first; then each step splits the
    /// range by a median-of-three pivot into the values below it and the others without
    /// branching (Lomuto), and, when the rank is not below, splits off the values equal to the
    /// pivot as well, so ties cannot stall it.
    static func select(_ a: UnsafeMutablePointer<Float>, count: Int, rank: Int) -> Float {
        let numbers = containsNaN(a, count: count) ? partition(a, 0..<count) { !$0.isNaN } : count
        guard rank < numbers else { return .nan }
        var low = 0, high = numbers
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

    /// Whether one of the `count` values at `a` is NaN (a vectorised read: cheaper than moving them).
    private static func containsNaN(_ a: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        var found = SIMDMask<SIMD8<Int32>>(repeating: false)
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            found .|= v .!= v
            i += 8
        }
        while i < count {
            if a[i].isNaN { return true }
            i += 1
        }
        return any(found)
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
}

/// Where a percentile lies among `n` ascending order statistics: at rank ``lower``, plus
/// ``fraction`` of the way to rank `lower + 1` (always 0 for the nearest rule).
struct RankPosition {
    /// The ascending rank of the lower order statistic.
    var lower: Int
    /// How far towards the next order statistic (in [0, 1); 0 when there is none).
    var fraction: Double

    init(count n: Int, percentile q: Double, interpolation: PercentileInterpolation) {
        switch interpolation {
        case .nearestFloat32:
            lower = n - 1 - Percentile.nearestDescendingIndex(count: n, percentile: q)
            fraction = 0
        case .linear:
            let position = Swift.min(Swift.max(q / 100, 0), 1) * Double(Swift.max(n - 1, 0))
            lower = Int(position.rounded(.down))
            fraction = lower + 1 < n ? position - Double(lower) : 0
        }
    }

    /// Whether the percentile needs the order statistic after ``lower``.
    var needsNext: Bool { fraction > 0 }

    /// NumPy's lerp `a + (b − a)·t`, in Double; it stays within `[low, next]`.
    func interpolate(_ low: Float, _ next: Float) -> Float {
        needsNext ? Float(Double(low) + (Double(next) - Double(low)) * fraction) : low
    }
}
