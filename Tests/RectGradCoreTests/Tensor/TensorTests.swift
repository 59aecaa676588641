import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("Tensor")
struct TensorTests {
    @Test("construction, element access and value semantics")
    func basics() throws {
        var t = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
        #expect(t.count == 6 && t.rank == 2)
        #expect(t[1, 2] == 6 && t[0, 1] == 2)
        #expect(t[flat: 4] == 5)
        let copy = t
        t[0, 0] = 10
        #expect(copy[0, 0] == 1, "copies are independent (copy-on-write)")
        #expect(t.scalars == [10, 2, 3, 4, 5, 6])
        #expect(Tensor(scalar: 3).shape == [] && Tensor(scalar: 3).count == 1)
        #expect(Tensor.zeros([2, 0, 3]).count == 0)
        #expect(Tensor(repeating: 7, shape: [2, 2]).scalars == [7, 7, 7, 7])
        #expect(t.description.hasPrefix("Tensor[2, 3]["))
    }

    @Test("reshaping, examples, stacking and concatenation")
    func shapes() throws {
        let t = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
        #expect(try t.reshaped([3, 2]).shape == [3, 2])
        #expect(throws: TensorError.self) { _ = try t.reshaped([4, 2]) }
        #expect(t.example(1) == (try tensor([3], [4, 5, 6])))
        let stacked = try Tensor.stack([t, t.scaled(by: 2)])
        #expect(stacked.shape == [2, 2, 3])
        #expect(stacked.example(1).scalars == [2, 4, 6, 8, 10, 12])
        let joined = try Tensor.concatenate([t, try tensor([1, 3], [7, 8, 9])])
        #expect(joined.shape == [3, 3] && joined.scalars == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(throws: TensorError.self) { _ = try Tensor.concatenate([t, try tensor([1, 2], [7, 8])]) }
        #expect(throws: TensorError.self) { _ = try Tensor.concatenate([]) }
        // Along axis 1 of [2, 3] and [2, 1]: each row of the first, then the row of the second.
        let wide = try Tensor.concatenate([t, try tensor([2, 1], [7, 8])], axis: 1)
        #expect(wide.shape == [2, 4] && wide.scalars == [1, 2, 3, 7, 4, 5, 6, 8])
        #expect(try Tensor.concatenate([t, try tensor([2, 1], [7, 8])], axis: -1) == wide)
        #expect(try Tensor.concatenate([t, try tensor([1, 3], [7, 8, 9])], axis: 0) == joined)
        // The middle axis of [2, 1, 2] and [2, 2, 2].
        let a = try tensor([2, 1, 2], [1, 2, 3, 4]), b = try tensor([2, 2, 2], [5, 6, 7, 8, 9, 10, 11, 12])
        #expect(try Tensor.concatenate([a, b], axis: 1).scalars == [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12])
        #expect(throws: TensorError.self) { _ = try Tensor.concatenate([t, try tensor([1, 3], [7, 8, 9])], axis: 1) }
        #expect(throws: TensorError.self) { _ = try Tensor.concatenate([t, t], axis: 2) }
        #expect(throws: TensorError.self) { _ = try Tensor.concatenate([t, t], axis: -3) }
    }

    @Test("element-wise arithmetic and reductions")
    func arithmetic() throws {
        let a = try tensor([2, 2], [1, -2, 3, 4])
        let b = try tensor([2, 2], [0.5, 2, -1, 4])
        #expect(try a.adding(b).scalars == [1.5, 0, 2, 8])
        #expect(try a.subtracting(b).scalars == [0.5, -4, 4, 0])
        #expect(try a.multiplying(b).scalars == [0.5, -4, -3, 16])
        #expect(a.scaled(by: -2).scalars == [-2, 4, -6, -8])
        #expect(a.map { $0 * $0 }.scalars == [1, 4, 9, 16])
        var c = a
        try c.add(b)
        #expect(c.scalars == [1.5, 0, 2, 8])
        #expect(throws: TensorError.self) { try c.add(Tensor.zeros([4])) }
        #expect(a.sum() == 6)
        #expect(a.max() == 4 && a.min() == -2)
        #expect(abs(a.l2Norm() - 30.0.squareRoot()) < 1e-12)
        let notANumber = try tensor([1], [.nan])
        #expect(a.isFinite && !notANumber.isFinite)
        #expect(Tensor.zeros([0]).max() == -.infinity)
        // ‖a − b‖ / ‖b‖ = √(0.25 + 16 + 16 + 0) / √(0.25 + 4 + 1 + 16).
        #expect(abs(try a.relativeL2Distance(to: b) - (32.25 / 21.25).squareRoot()) < 1e-12)
        #expect(try a.relativeL2Distance(to: Tensor.zeros([2, 2])) == a.l2Norm())
    }

    @Test("the finiteness check finds one bad element anywhere, in one part or in parts on several workers")
    func finitenessAtWeightSizes() throws {
        // 2.5 M elements: ten parts on two workers (a vgg16 fully connected weight is 103 M).
        let count = 2_500_000
        let clean = Tensor.randomNormal([count], seed: 5)
        let workers = Workers(count: 2)
        #expect(clean.isFinite && clean.isFinite(workers: workers) && clean.isFinite(workers: .serial))
        // The largest finite values and subnormals are finite; every infinity and NaN is not,
        // at the first and last element, at a part boundary and at the end of a 4096-element block.
        var extremes = clean
        for (index, value) in [(0, Float.greatestFiniteMagnitude), (1, -Float.greatestFiniteMagnitude), (2, Float.leastNonzeroMagnitude), (3, -0.0)] {
            extremes[flat: index] = value
        }
        #expect(extremes.isFinite(workers: workers) && extremes.isFinite)
        let bad: [Float] = [.infinity, -.infinity, .nan, -.nan, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFFFF_FFFF)]
        for position in [0, count - 1, count / 10, count / 10 - 1, 4095, 4096, count / 2 + 12_345] {
            for value in bad {
                var tensor = clean
                tensor[flat: position] = value
                #expect(!tensor.isFinite, "\(value) at \(position), one part")
                #expect(!tensor.isFinite(workers: workers), "\(value) at \(position), two workers")
            }
        }
    }

    @Test("argmax per row takes the first maximum")
    func argmax() throws {
        let t = try tensor([3, 4], [1, 3, 3, 0,
                                    -1, -2, -3, -4,
                                    0, 0, 0, 0])
        #expect(t.argmaxPerRow() == [1, 0, 0])
        #expect(Tensor.zeros([4]).argmaxPerRow() == [])
    }

    @Test("matmul with every transpose combination equals a triple loop", arguments: [false, true], [false, true])
    func matmul(_ transposeSelf: Bool, _ transposeOther: Bool) throws {
        let (m, k, n) = (3, 5, 4)
        let a = Tensor.randomNormal(transposeSelf ? [k, m] : [m, k], seed: 1)
        let b = Tensor.randomNormal(transposeOther ? [n, k] : [k, n], seed: 2)
        let product = try a.matmul(b, transposeSelf: transposeSelf, transposeOther: transposeOther)
        #expect(product.shape == [m, n])
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k {
                    let x = transposeSelf ? a[p, i] : a[i, p]
                    let y = transposeOther ? b[j, p] : b[p, j]
                    total += Double(x) * Double(y)
                }
                #expect(abs(Double(product[i, j]) - total) < 1e-5)
            }
        }
        #expect(throws: TensorError.self) { _ = try a.matmul(a, transposeSelf: transposeSelf, transposeOther: transposeSelf) }
    }

    @Test("matmul with an empty inner dimension is zero")
    func emptyInnerDimension() throws {
        let product = try Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 3]))
        #expect(product == Tensor.zeros([2, 3]))
    }

    @Test("seeded random tensors are reproducible and in range")
    func random() {
        let a = Tensor.randomUniform([1000], low: -2, high: 3, seed: 9)
        #expect(a == Tensor.randomUniform([1000], low: -2, high: 3, seed: 9))
        #expect(a != Tensor.randomUniform([1000], low: -2, high: 3, seed: 10))
        #expect(a.min() >= -2 && a.max() < 3)
        let g = Tensor.randomNormal([20000], mean: 1, standardDeviation: 2, seed: 11)
        let mean = g.sum() / 20000
        let variance = g.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 20000
        #expect(abs(mean - 1) < 0.05)
        #expect(abs(variance.squareRoot() - 2) < 0.05)
        var first = SeededGenerator(seed: 3), second = SeededGenerator(seed: 3)
        #expect((0..<10).map { _ in first.next() } == (0..<10).map { _ in second.next() })
    }
}
