import Testing
import RectGradCore

/// Bad input to the new ops: a typed error naming the layer, the op and the shapes.
@Suite("New ops reject bad input with errors naming the op and the shapes")
struct OpErrorTests {
    /// Expects `operationFailed(layer:)` whose description contains every fragment.
    func expectFailure(layer: String, mentions fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as TapeError {
            guard case .operationFailed(let failed, _) = error else {
                Issue.record("expected operationFailed, got \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(failed == layer, sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(error.description.contains(fragment), "\(error.description) lacks '\(fragment)'", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected a TapeError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("shapes that do not broadcast")
    func broadcast() {
        let tape = Tape()
        let a = tape.input(Tensor.zeros([1, 64, 56, 56])), b = tape.input(Tensor.zeros([1, 32, 1, 1]))
        expectFailure(layer: "se", mentions: ["multiply", "[1, 64, 56, 56]", "[1, 32, 1, 1]"]) { _ = try tape.multiply(a, b, name: "se") }
        expectFailure(layer: "sum", mentions: ["add", "[1, 64, 56, 56]"]) { _ = try tape.add(a, b, name: "sum") }
        expectFailure(layer: "d", mentions: ["subtract"]) { _ = try tape.subtract(a, b, name: "d") }
    }

    @Test("concatenation of different spatial sizes, a bad axis, nothing to join")
    func concatenation() {
        let tape = Tape()
        let a = tape.input(Tensor.zeros([1, 64, 35, 35])), b = tape.input(Tensor.zeros([1, 96, 17, 17]))
        expectFailure(layer: "mixed", mentions: ["concat", "[1, 64, 35, 35]", "[1, 96, 17, 17]"]) { _ = try tape.concatenate([a, b], name: "mixed") }
        expectFailure(layer: "axis", mentions: ["concat", "axis 4"]) { _ = try tape.concatenate([a, a], axis: 4, name: "axis") }
        expectFailure(layer: "none", mentions: ["concat"]) { _ = try tape.concatenate([], name: "none") }
    }

    @Test("a pooling window larger than the padded input")
    func pooling() {
        let tape = Tape()
        let x = tape.input(Tensor.zeros([1, 2, 3, 3]))
        expectFailure(layer: "pool", mentions: ["avgPool2d", "3×3"]) {
            _ = try tape.averagePool2d(x, geometry: .init(kernel: 7, padding: 1, ceilMode: true), name: "pool")
        }
    }

    @Test("activation parameters: clip min > max, NaN or infinite slopes")
    func activationParameters() {
        let tape = Tape()
        let x = tape.input(Tensor.zeros([1, 4]))
        expectFailure(layer: "c", mentions: ["clip", "min 2.0", "max 1.0"]) { _ = try tape.activation(x, kind: .clip(lower: 2, upper: 1), name: "c") }
        expectFailure(layer: "n", mentions: ["clip", "NaN"]) { _ = try tape.activation(x, kind: .clip(lower: .nan, upper: 1), name: "n") }
        expectFailure(layer: "l", mentions: ["leaky-relu", "slope"]) { _ = try tape.activation(x, kind: .leakyReLU(slope: .infinity), name: "l") }
        expectFailure(layer: "e", mentions: ["elu"]) { _ = try tape.activation(x, kind: .elu(alpha: .nan), name: "e") }
        expectFailure(layer: "h", mentions: ["hard-sigmoid"]) { _ = try tape.activation(x, kind: .hardSigmoid(alpha: .nan, beta: 0.5), name: "h") }
        // An infinite clip bound is allowed (ONNX Clip without max).
        #expect(throws: Never.self) { _ = try tape.activation(x, kind: .clip(lower: 0, upper: .infinity)) }
        #expect(tape.activationCount == 1)
    }

    @Test("Gemm, transpose, pad and softmax with wrong shapes or parameters")
    func linearAndShape() {
        let tape = Tape()
        let a = tape.input(Tensor.zeros([3, 4])), b = tape.input(Tensor.zeros([5, 4])), image = tape.input(Tensor.zeros([1, 2, 3, 3]))
        expectFailure(layer: "fc", mentions: ["gemm", "[3, 4]", "[5, 4]"]) { _ = try tape.gemm(a, b, name: "fc") }
        expectFailure(layer: "fc2", mentions: ["gemm", "C [3]"]) {
            _ = try tape.gemm(a, b, c: tape.input(Tensor.zeros([3])), options: GemmOptions(transposeB: true), name: "fc2")
        }
        expectFailure(layer: "fc3", mentions: ["gemm", "finite"]) { _ = try tape.gemm(a, b, options: GemmOptions(transposeB: true, alpha: .nan), name: "fc3") }
        expectFailure(layer: "m", mentions: ["gemm", "matrices"]) { _ = try tape.matmul(image, a, name: "m") }
        expectFailure(layer: "t", mentions: ["transpose", "[0, 1, 1, 2]"]) { _ = try tape.transpose(image, permutation: [0, 1, 1, 2], name: "t") }
        expectFailure(layer: "p", mentions: ["pad"]) { _ = try tape.pad(image, before: [0, 0, -1, 0], after: [0, 0, 0, 0], name: "p") }
        expectFailure(layer: "p2", mentions: ["pad", "NaN"]) { _ = try tape.pad2d(image, top: 1, bottom: 1, left: 1, right: 1, value: .nan, name: "p2") }
        expectFailure(layer: "s", mentions: ["softmax", "axis 4"]) { _ = try tape.softmax(image, axis: 4, name: "s") }
        expectFailure(layer: "f", mentions: ["flatten", "axis 5"]) { _ = try tape.flatten(image, axis: 5, name: "f") }
    }
}
