/// Overflow-checked arithmetic for numbers read from files: `nil` where plain `+` and `*` would
/// trap, so that each reader turns an absurd size or offset into its own typed error.
enum Checked {
    /// `a + b`, or `nil` on overflow.
    static func add(_ a: Int, _ b: Int) -> Int? {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : sum
    }

    /// `a + b + c`, or `nil` on overflow.
    static func add(_ a: Int, _ b: Int, _ c: Int) -> Int? {
        add(a, b).flatMap { add($0, c) }
    }

    /// `a · b`, or `nil` on overflow.
    static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : product
    }

    /// The number of elements of `shape`, or `nil` if an extent is negative or the product of the
    /// non-zero extents overflows.
    ///
    /// Zero extents are skipped in the overflow check: a shape such as `[0, 2^40, 2^40]` holds no
    /// elements, but any code computing a stride of it would still trap, so it is refused too.
    static func elementCount(_ shape: [Int]) -> Int? {
        var nonZero = 1
        var hasZero = false
        for extent in shape {
            guard extent >= 0 else { return nil }
            if extent == 0 { hasZero = true; continue }
            guard let product = multiply(nonZero, extent) else { return nil }
            nonZero = product
        }
        return hasZero ? 0 : nonZero
    }

    /// An unsigned number read from a file as an `Int`, or `nil` if it does not fit.
    static func int(_ value: UInt64) -> Int? {
        value <= UInt64(Int.max) ? Int(value) : nil
    }
}
