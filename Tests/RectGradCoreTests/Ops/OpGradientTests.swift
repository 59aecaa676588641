import Testing
import RectGradCore
import _RectGradTestSupport

/// Uniform values in `[-range, range]` at least `margin` away from every kink.
func kinkFreeValues(_ shape: [Int], range: Float = 4, kinks: [Float], margin: Float = 0.1, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    var result = Tensor.zeros(shape)
    for i in 0..<result.count {
        var value: Float
        repeat { value = (2 * generator.nextUnitFloat() - 1) * range } while kinks.contains { abs($0 - value) < margin }
        result[flat: i] = value
    }
    return result
}

/// A broadcast pair of operand shapes.
struct BroadcastCase: Sendable, CustomTestStringConvertible {
    var a: [Int], b: [Int]
    var testDescription: String { "\(a) with \(b)" }
    static let all: [BroadcastCase] = [
        .init(a: [2, 3, 4, 5], b: [1, 3, 1, 1]),
        .init(a: [2, 3, 4, 5], b: [2, 3, 1, 1]),
        .init(a: [2, 3, 1, 5], b: [3, 4, 1]),
        .init(a: [4], b: [2, 3, 4]),
        .init(a: [2, 1, 3], b: [1]),
        .init(a: [3, 4], b: [3, 4]),
        .init(a: [1, 3, 1, 1], b: [2, 3, 4, 5]),
    ]
}

@Suite("New ops: gradients against finite differences (accumulated in Double)")
struct OpGradientTests {
    @Test("every activation's plain gradient is its derivative (finite differences)", arguments: NaiveActivation.kinds)
    func activation(_ kind: ActivationKind) throws {
        let x = kinkFreeValues([2, 3, 4, 4], kinks: NaiveActivation.kinks(kind), seed: 7)
        // Gradients are O(1): below 0.1 they are compared absolutely (the float32 forward's
        // rounding, divided by the step, is ~1e-5 there).
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 1e-2, scale: 0.1) { tape, v in
            try tape.activation(v[0], kind: kind)
        }
        #expect(errors[0] < 1e-3, "\(kind): relative error \(errors[0])")
    }

    @Test("every activation's forward and derivative equal Double loops", arguments: NaiveActivation.kinds)
    func activationValues(_ kind: ActivationKind) throws {
        let x = Tensor.randomNormal([3, 5, 7, 7], standardDeviation: 4, seed: 8)
        let y = kind.forward(x), d = kind.derivative(x)
        for i in 0..<x.count {
            let z = x[flat: i]
            let expected = NaiveActivation.value(kind, z), slope = NaiveActivation.derivative(kind, z)
            #expect(abs(Double(y[flat: i]) - expected) <= 2e-6 * max(1, abs(expected)), "\(kind) at \(z)")
            #expect(abs(Double(d[flat: i]) - slope) <= 2e-6 * max(1, abs(slope)), "\(kind)' at \(z)")
        }
    }

    @Test("broadcast add, subtract, multiply and divide: both operands' gradients", arguments: BroadcastCase.all, Broadcast.Operation.allCases)
    func broadcast(_ c: BroadcastCase, _ operation: Broadcast.Operation) throws {
        let a = Tensor.randomNormal(c.a, seed: 11)
        let b = operation == .divide ? KinkFreeData.awayFromZero(c.b, margin: 0.5, seed: 12) : Tensor.randomNormal(c.b, seed: 12)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [a, b], step: 1e-2) { tape, v in
            try tape.arithmetic(operation, v[0], v[1])
        }
        #expect(errors.allSatisfy { $0 < 1e-3 }, "relative errors \(errors)")
    }

    @Test("broadcast forward equals an index-by-index loop", arguments: BroadcastCase.all)
    func broadcastForward(_ c: BroadcastCase) throws {
        let a = Tensor.randomNormal(c.a, seed: 13), b = Tensor.randomNormal(c.b, seed: 14)
        let shape = try Broadcast.resultShape(c.a, c.b, operation: "test")
        for operation in Broadcast.Operation.allCases {
            let actual = try Broadcast.apply(operation, a, b, workers: Workers(count: 3))
            var expected = Tensor.zeros(shape)
            for i in 0..<expected.count {
                let x = a[flat: naiveBroadcastIndex(i, output: shape, operand: c.a)], y = b[flat: naiveBroadcastIndex(i, output: shape, operand: c.b)]
                expected[flat: i] = switch operation {
                case .add: x + y
                case .subtract: x - y
                case .multiply: x * y
                case .divide: x / y
                }
            }
            expectEqual(actual, expected, "\(operation)")
        }
    }

    @Test("concatenation along channels and along the last axis")
    func concatenate() throws {
        let leaves = [Tensor.randomNormal([2, 1, 3, 4], seed: 21), Tensor.randomNormal([2, 3, 3, 4], seed: 22), Tensor.randomNormal([2, 2, 3, 4], seed: 23)]
        let errors = try GradientCheck.maximumRelativeErrors(leaves: leaves) { tape, v in
            let joined = try tape.concatenate(v, axis: 1)
            // A second consumer of one input: gradients from both paths add up.
            return try tape.concatenate([joined, try tape.multiply(v[0], v[0])], axis: -3)
        }
        #expect(errors.allSatisfy { $0 < 1e-3 }, "relative errors \(errors)")
        let last = try GradientCheck.maximumRelativeErrors(leaves: [leaves[0], Tensor.randomNormal([2, 1, 3, 2], seed: 24)]) { tape, v in
            try tape.concatenate(v, axis: -1)
        }
        #expect(last.allSatisfy { $0 < 1e-3 }, "relative errors \(last)")
    }

    @Test("average pooling in ceil mode, both padding counts (forward against a loop)", arguments: [true, false])
    func averagePoolCeilMode(_ countIncludesPadding: Bool) throws {
        for (shape, geometry) in [([1, 2, 7, 7], Pooling2DGeometry(kernel: 3, stride: 2, padding: 1, ceilMode: true)),
                                  ([2, 1, 6, 5], Pooling2DGeometry(kernel: 3, stride: 2, ceilMode: true)),
                                  ([1, 2, 5, 5], Pooling2DGeometry(kernel: 2, stride: 2, ceilMode: true)),
                                  ([1, 1, 6, 8], Pooling2DGeometry(kernel: Size2D(2, 3), stride: Size2D(3, 2), padding: 1, ceilMode: true))] {
            let x = Tensor.randomNormal(shape, seed: 31)
            let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.25) { tape, v in
                try tape.averagePool2d(v[0], geometry: geometry, countIncludesPadding: countIncludesPadding)
            }
            #expect(errors[0] < 1e-3, "\(geometry): relative error \(errors[0])")
            let y = try Pooling2D.averagePool(x, geometry: geometry, countIncludesPadding: countIncludesPadding)
            expectClose(y, NaiveKernels.averagePool(x, geometry, countIncludesPadding: countIncludesPadding), "\(geometry)")
        }
    }

    @Test("max pooling in ceil mode (distinct inputs)")
    func maxPoolCeilMode() throws {
        let geometry = Pooling2DGeometry(kernel: 2, stride: 2, ceilMode: true)
        let x = KinkFreeData.distinct([1, 2, 5, 7], spacing: 0.05, seed: 32)
        let errors = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 0.01) { tape, v in try tape.maxPool2d(v[0], geometry: geometry) }
        #expect(errors[0] < 1e-3, "relative error \(errors[0])")
        let result = try Pooling2D.maxPool(x, geometry: geometry)
        expectEqual(result.output, NaiveKernels.maxPool(x, geometry).output)
    }

    @Test("explicit padding, transpose, flatten(axis:) and softmax")
    func shapeOps() throws {
        let x = Tensor.randomNormal([2, 3, 4, 5], seed: 41)
        let padded = try GradientCheck.maximumRelativeErrors(leaves: [x]) { tape, v in
            try tape.pad2d(v[0], top: 1, bottom: 2, left: 0, right: 3, value: 0.5)
        }
        #expect(padded[0] < 1e-3, "pad: \(padded[0])")
        let transposed = try GradientCheck.maximumRelativeErrors(leaves: [x]) { tape, v in
            try tape.transpose(v[0], permutation: [0, 2, 3, 1])
        }
        #expect(transposed[0] < 1e-3, "transpose: \(transposed[0])")
        for axis in [-1, 1] {
            let softmax = try GradientCheck.maximumRelativeErrors(leaves: [x], step: 1e-2) { tape, v in
                try tape.softmax(v[0], axis: axis)
            }
            #expect(softmax[0] < 1e-3, "softmax axis \(axis): \(softmax[0])")
        }
        let flattened = try GradientCheck.maximumRelativeErrors(leaves: [x]) { tape, v in try tape.flatten(v[0], axis: 2) }
        #expect(flattened[0] < 1e-3)
        let tape = Tape()
        #expect(try tape.shape(tape.flatten(tape.input(x), axis: 2)) == [6, 20])
        #expect(try tape.shape(tape.pad(tape.input(x), before: [0, 1, 0, 0], after: [1, 0, 0, 2])) == [3, 4, 4, 7])
    }

    @Test("Gemm: every transpose combination, scales, and C of several broadcast shapes", arguments: [false, true], [false, true])
    func gemm(_ transposeA: Bool, _ transposeB: Bool) throws {
        let (m, k, n) = (3, 4, 5)
        let a = Tensor.randomNormal(transposeA ? [k, m] : [m, k], seed: 51)
        let b = Tensor.randomNormal(transposeB ? [n, k] : [k, n], seed: 52)
        for cShape in [[n], [m, 1], [m, n], [1]] {
            let c = Tensor.randomNormal(cShape, seed: 53)
            let options = GemmOptions(transposeA: transposeA, transposeB: transposeB, alpha: 0.5, beta: 2)
            // Linear in each leaf: central differences are exact for any step, and a large one
            // keeps the float32 rounding of the outputs small against it.
            let errors = try GradientCheck.maximumRelativeErrors(leaves: [a, b, c], step: 0.5) { tape, v in
                try tape.gemm(v[0], v[1], c: v[2], options: options)
            }
            #expect(errors.allSatisfy { $0 < 1e-3 }, "C \(cShape): relative errors \(errors)")
        }
        let plain = try GradientCheck.maximumRelativeErrors(leaves: [Tensor.randomNormal([m, k], seed: 54), Tensor.randomNormal([k, n], seed: 55)]) { tape, v in
            try tape.matmul(v[0], v[1])
        }
        #expect(plain.allSatisfy { $0 < 1e-3 })
    }
}

/// The flat index into an operand of shape `operand` that output element `i` reads under broadcasting.
func naiveBroadcastIndex(_ i: Int, output: [Int], operand: [Int]) -> Int {
    var remainder = i
    var coordinates = [Int](repeating: 0, count: output.count)
    for d in stride(from: output.count - 1, through: 0, by: -1) {
        coordinates[d] = remainder % output[d]
        remainder /= output[d]
    }
    let offset = output.count - operand.count
    var index = 0
    for d in 0..<operand.count {
        index = index * operand[d] + (operand[d] == 1 ? 0 : coordinates[d + offset])
    }
    return index
}
