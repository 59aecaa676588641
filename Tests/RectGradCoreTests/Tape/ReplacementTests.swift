import Testing
import RectGradCore
import _RectGradTestSupport

/// `Tape(replacing:)`: a recorded value replaced as it is recorded (layer integrated gradients).
@Suite struct ReplacementTests {
    /// x → ReLU → dense: with the ReLU's output replaced by r, the dense layer computes W·r, and
    /// the gradient at the replaced node is Wᵀ·seed whatever x was.
    @Test func laterNodesSeeTheReplacement() throws {
        let x = try Tensor(shape: [1, 3], scalars: [1, -2, 3])
        let weight = try Tensor(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 4])
        func record(on tape: Tape) throws -> (hidden: Variable, output: Variable) {
            let hidden = try tape.relu(tape.input(x), name: "relu")
            return (hidden, try tape.dense(hidden, weight: tape.parameter(weight), name: "fc"))
        }
        let plain = Tape(workers: .serial)
        let original = try record(on: plain)
        #expect(try plain.value(original.output).scalars == [10, 11])  // W·[1, 0, 3]
        let replacement = try Tensor(shape: [1, 3], scalars: [0.5, 2, -1])
        let tape = Tape(workers: .serial, replacing: [original.hidden: replacement])
        let replaced = try record(on: tape)
        #expect(replaced.hidden == original.hidden)
        #expect(try tape.value(replaced.hidden) == replacement)
        #expect(try tape.value(replaced.output).scalars == [1.5, -4.5])  // W·[0.5, 2, −1]
        let gradient = try tape.backward(from: replaced.output, seed: try Tensor(shape: [1, 2], scalars: [1, 2]), withRespectTo: [replaced.hidden])
        #expect(gradient[replaced.hidden]?.scalars == [-1, 2, 11])
    }

    @Test func aReplacementOfAnotherShapeIsRefused() throws {
        let tape = Tape(workers: .serial, replacing: [Variable(id: 1): Tensor.zeros([2, 3])])
        let x = tape.input(Tensor.zeros([1, 3]))
        #expect {
            _ = try tape.relu(x, name: "relu")
        } throws: { error in
            guard case TapeError.operationFailed(layer: "relu", _) = error else { return false }
            return true
        }
    }
}
