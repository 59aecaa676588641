/// RectGrad's backward for one example: `R · 1[importance > t]`, `t` the percentile of the
/// importances.
///
/// On a large layer the percentile is bracketed (``OrderStatisticBracket``) before it is known:
/// `low ≤ t ≤ high`. A unit whose importance is at most `low` is dropped whatever `t` is, and one
/// above `high` passes, so the bracketing pass also writes the gradient of every unit outside the
/// bracket (the visitor ``DecidedGradientWriter``), writing 0 for the units in `(low, high]`, which
/// it records. Once `t` is known only those are revisited (the ones equal to `high` pass unless
/// `t = high`). Elsewhere — a small layer, a NaN importance, a sample that misled twice — the
/// percentile is selected and the mask applied in a second pass. Both give exactly the same gradient.
enum RectGradFusedPass {
    /// Writes the example's gradient `R · 1[score > t]` into `y`, `t` the percentile at `position`
    /// of the `n` scores (`a·R` or `|a·R|`).
    ///
    /// - Parameters:
    ///   - workers: the workers the passes are split across (pass ``Workers/serial`` when the
    ///     caller already runs examples in parallel).
    ///   - scratch: the pool the bracketing pass takes its working memory from, if any.
    static func passAbovePercentile<Scores: ScoreSource>(_ scores: Scores, r: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int, at position: RankPosition, workers: Workers, scratch: TensorBufferPool? = nil) {
        if let bracket = OrderStatisticBracket(scores, count: n, at: position, workers: workers, visitor: DecidedGradientWriter(r: r, y: y), scratch: scratch) {
            finish(bracket, scores, r: r, into: y, count: n, workers: workers)
            return
        }
        let t = Percentile.value(of: scores, count: n, at: position, workers: workers)
        mask(scores, r: r, into: y, count: n, threshold: t, workers: workers)
    }

    /// Decides the units the bracketing pass left undecided.
    private static func finish<Scores: ScoreSource>(_ bracket: OrderStatisticBracket, _ scores: Scores, r: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int, workers: Workers) {
        let t = bracket.value
        guard !bracket.record.overflowed else {
            // Some undecided units were not recorded: mask the whole example.
            mask(scores, r: r, into: y, count: n, threshold: t, workers: workers)
            return
        }
        // Their slots hold 0: those strictly inside pass above the threshold, those equal to
        // `high` unless the threshold is `high`.
        let highPasses = t < bracket.high
        bracket.record.forEachUndecided(
            inside: { i in if scores.scalar(i) > t { y[i] = r[i] } },
            atHigh: { i in if highPasses { y[i] = r[i] } }
        )
    }

    /// `y = R` where the score exceeds `threshold` (strictly), else 0.
    static func mask<Scores: ScoreSource>(_ scores: Scores, r: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int, threshold: Float, workers: Workers) {
        let t = Elementwise.Vector(repeating: threshold)
        let body = { (range: Range<Int>) in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let values = SIMD16(lowHalf: scores.vector(i), highHalf: scores.vector(i + 8))
                Elementwise.store(Elementwise.load(r, i).replacing(with: 0, where: .!(values .> t)), y, i)
                i += 16
            }
            while i < range.upperBound {
                y[i] = scores.scalar(i) > threshold ? r[i] : 0
                i += 1
            }
        }
        workers.forRanges(count: n, body)
    }
}

/// The fused pass's visitor: `R` for the units above the bracket, 0 for the others (the undecided
/// ones among them are revisited once the threshold is known).
struct DecidedGradientWriter: BracketVisitor {
    let r: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>

    static var minimumPartSize: Int { 1 << 16 }

    @inline(__always)
    func visit(_ i: Int, aboveHigh: SIMDMask<SIMD8<Int32>>) {
        let upstream = UnsafeRawPointer(r + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: SIMD8<Float>().replacing(with: upstream, where: aboveHigh), as: SIMD8<Float>.self)
    }

    @inline(__always)
    func visit(_ i: Int, aboveHigh: Bool) { y[i] = aboveHigh ? r[i] : 0 }
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
