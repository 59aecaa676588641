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

/// Order statistics in O(n) expected time (quickselect with median-of-three pivots), never a full sort.
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
    public static func value(of values: inout [Float], percentile q: Double, interpolation: PercentileInterpolation) -> Float {
        let n = values.count
        guard n > 0 else { return .nan }
        switch interpolation {
        case .nearestFloat32:
            let descendingIndex = nearestDescendingIndex(count: n, percentile: q)
            return selectUnchecked(&values, rank: n - 1 - descendingIndex)
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

    private static func quickselect(_ a: UnsafeMutablePointer<Float>, count: Int, rank: Int) -> Float {
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

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]; self[i] = self[j]; self[j] = t
    }
}
