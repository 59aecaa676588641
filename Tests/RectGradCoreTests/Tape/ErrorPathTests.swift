import Testing
import RectGradCore
import _RectGradTestSupport

/// A rule that returns a gradient of the wrong shape.
struct WrongShapeRule: ActivationRule {
    func backward(_ input: ActivationBackwardInput) throws -> Tensor { Tensor.zeros([1]) }
    var description: String { "wrong-shape" }
}

@Suite("Error paths: typed errors, never a crash")
struct ErrorPathTests {
    let tape = Tape()
    let image: Variable
    let matrix: Variable

    init() {
        image = tape.input(Tensor.randomNormal([2, 3, 5, 5], seed: 1), name: "image")
        matrix = tape.input(Tensor.randomNormal([2, 4], seed: 2), name: "matrix")
    }

    @Test("conv2d rejects wrong shapes and geometries")
    func convolution() {
        let w = tape.parameter(Tensor.zeros([4, 3, 3, 3]))
        expectOperationFailed(layer: "c1") { _ = try tape.conv2d(matrix, weight: w, name: "c1") }
        expectOperationFailed(layer: "c2") { _ = try tape.conv2d(image, weight: tape.parameter(Tensor.zeros([4, 2, 3, 3])), name: "c2") }
        expectOperationFailed(layer: "c3") { _ = try tape.conv2d(image, weight: tape.parameter(Tensor.zeros([4, 3, 3])), name: "c3") }
        expectOperationFailed(layer: "c4") { _ = try tape.conv2d(image, weight: w, bias: tape.parameter(Tensor.zeros([3])), name: "c4") }
        expectOperationFailed(layer: "c5") { _ = try tape.conv2d(image, weight: tape.parameter(Tensor.zeros([4, 3, 7, 7])), name: "c5") }
        expectOperationFailed(layer: "c6") { _ = try tape.conv2d(image, weight: w, geometry: .init(stride: 0), name: "c6") }
        expectOperationFailed(layer: "c7") { _ = try tape.conv2d(image, weight: tape.parameter(Tensor.zeros([4, 1, 3, 3])), geometry: .init(groups: 2), name: "c7") }
        expectOperationFailed(layer: "c8") { _ = try tape.conv2d(image, weight: w, geometry: .init(padding: Size2D(-1, 0)), name: "c8") }
        expectOperationFailed(layer: "c9") { _ = try tape.conv2d(image, weight: w, geometry: .init(dilation: 3), name: "c9") }
    }

    @Test("dense rejects wrong shapes")
    func dense() {
        expectOperationFailed(layer: "d1") { _ = try tape.dense(image, weight: tape.parameter(Tensor.zeros([3, 4])), name: "d1") }
        expectOperationFailed(layer: "d2") { _ = try tape.dense(matrix, weight: tape.parameter(Tensor.zeros([3, 5])), name: "d2") }
        expectOperationFailed(layer: "d3") { _ = try tape.dense(matrix, weight: tape.parameter(Tensor.zeros([4])), name: "d3") }
        expectOperationFailed(layer: "d4") { _ = try tape.dense(matrix, weight: tape.parameter(Tensor.zeros([3, 4])), bias: tape.parameter(Tensor.zeros([4])), name: "d4") }
    }

    @Test("pooling rejects wrong ranks, windows that do not fit and too much padding")
    func pooling() {
        expectOperationFailed(layer: "m1") { _ = try tape.maxPool2d(matrix, geometry: .init(kernel: 2), name: "m1") }
        expectOperationFailed(layer: "m2") { _ = try tape.maxPool2d(image, geometry: .init(kernel: 6), name: "m2") }
        expectOperationFailed(layer: "m3") { _ = try tape.maxPool2d(image, geometry: .init(kernel: 2, padding: 2), name: "m3") }
        expectOperationFailed(layer: "m4") { _ = try tape.maxPool2d(image, geometry: .init(kernel: 2, stride: 0), name: "m4") }
        expectOperationFailed(layer: "a1") { _ = try tape.averagePool2d(matrix, geometry: .init(kernel: 2), name: "a1") }
        expectOperationFailed(layer: "a2") { _ = try tape.averagePool2d(image, geometry: .init(kernel: 3, padding: 2), name: "a2") }
        expectOperationFailed(layer: "a3") { _ = try tape.averagePool2d(image, geometry: .init(kernel: 0), name: "a3") }
        expectOperationFailed(layer: "g1") { _ = try tape.adaptiveAveragePool2d(matrix, outputSize: 1, name: "g1") }
        expectOperationFailed(layer: "g2") { _ = try tape.adaptiveAveragePool2d(image, outputSize: Size2D(0, 2), name: "g2") }
        expectOperationFailed(layer: "g3") { _ = try tape.globalAveragePool2d(matrix, name: "g3") }
    }

    @Test("channelAffine, add, reshape and softmaxCrossEntropy reject wrong shapes and labels")
    func elementwise() {
        expectOperationFailed(layer: "s1") { _ = try tape.channelAffine(image, scale: Tensor.zeros([2]), shift: Tensor.zeros([3]), name: "s1") }
        expectOperationFailed(layer: "s2") { _ = try tape.channelAffine(image, scale: Tensor.zeros([3]), shift: Tensor.zeros([3, 1]), name: "s2") }
        expectOperationFailed(layer: "s3") { _ = try tape.channelAffine(tape.input(Tensor.zeros([3])), scale: Tensor.zeros([3]), shift: Tensor.zeros([3]), name: "s3") }
        expectOperationFailed(layer: "add") { _ = try tape.add(image, matrix, name: "add") }
        expectOperationFailed(layer: "r") { _ = try tape.reshape(image, to: [2, 74], name: "r") }
        expectOperationFailed(layer: "r-") { _ = try tape.reshape(matrix, to: [-2, -4], name: "r-") }
        expectOperationFailed(layer: "x1") { _ = try tape.softmaxCrossEntropy(image, labels: [0, 1], name: "x1") }
        expectOperationFailed(layer: "x2") { _ = try tape.softmaxCrossEntropy(matrix, labels: [0], name: "x2") }
        expectOperationFailed(layer: "x3") { _ = try tape.softmaxCrossEntropy(matrix, labels: [0, 4], name: "x3") }
        expectOperationFailed(layer: "x4") { _ = try tape.softmaxCrossEntropy(matrix, labels: [-1, 0], name: "x4") }
    }

    @Test("nothing is recorded when an operation fails")
    func failedOperationRecordsNothing() {
        let before = tape.nodeCount
        expectOperationFailed(layer: "bad") { _ = try tape.add(image, matrix, name: "bad") }
        #expect(tape.nodeCount == before)
    }

    @Test("a seed of the wrong shape throws seedShapeMismatch")
    func seedShapeMismatch() throws {
        let y = try tape.relu(matrix)
        #expect(throws: TapeError.seedShapeMismatch(expected: [2, 4], actual: [4, 2])) {
            _ = try tape.backward(from: y, seed: Tensor.zeros([4, 2]), withRespectTo: [matrix])
        }
    }

    @Test("a variable from another tape (or made up) throws unknownVariable")
    func unknownVariable() throws {
        let foreign = Variable(id: 999)
        let y = try tape.relu(matrix)
        #expect(throws: TapeError.unknownVariable(foreign)) { _ = try tape.backward(from: foreign, withRespectTo: [matrix]) }
        #expect(throws: TapeError.unknownVariable(foreign)) { _ = try tape.backward(from: y, withRespectTo: [matrix, foreign]) }
        #expect(throws: TapeError.unknownVariable(Variable(id: -1))) { _ = try tape.value(Variable(id: -1)) }
        #expect(throws: TapeError.unknownVariable(foreign)) { _ = try tape.relu(foreign) }
        #expect(throws: TapeError.unknownVariable(foreign)) { _ = try tape.maxPool2d(foreign, geometry: .init(kernel: 2)) }
        #expect(throws: TapeError.unknownVariable(foreign)) { _ = try tape.conv2d(image, weight: foreign) }
        #expect(throws: TapeError.unknownVariable(foreign)) { _ = try tape.flatten(foreign) }
        #expect(throws: TapeError.unknownVariable(foreign)) { _ = try tape.shape(foreign) }
        #expect(throws: TapeError.unknownVariable(foreign)) { _ = try tape.name(foreign) }
    }

    @Test("rule parameters out of range throw invalidParameter")
    func invalidRuleParameters() {
        for q in [101, -1, Double.nan, Double.infinity] {
            #expect(throws: RuleError.self) { _ = try RectGradRule(percentile: q) }
        }
        #expect {
            _ = try RectGradRule(percentile: 101)
        } throws: { error in
            guard case RuleError.invalidParameter(let rule, _) = error else { return false }
            return rule == "rectgrad"
        }
        #expect(throws: RuleError.self) { _ = try RectGradConstantRule(tau: .nan) }
        #expect(throws: RuleError.self) { _ = try EpsilonLRPRule(epsilon: -1) }
        #expect(throws: RuleError.self) { _ = try EpsilonLRPRule(epsilon: .infinity) }
        #expect(throws: Never.self) { _ = try RectGradRule(percentile: 0); _ = try RectGradRule(percentile: 100); _ = try EpsilonLRPRule(epsilon: 0) }
    }

    @Test("DeepLIFT without a reference for an activation throws ruleFailed naming the site")
    func deepLIFTMissingReference() throws {
        let y = try tape.relu(matrix, name: "fc.relu")
        let rules = BackwardRules(activation: DeepLIFTRescaleRule().binding(ReferenceActivations(values: [:])))
        #expect {
            _ = try tape.backward(from: y, withRespectTo: [matrix], rules: rules)
        } throws: { error in
            guard case TapeError.ruleFailed(let site, let reason) = error else { return false }
            return site.contains("fc.relu") && reason.contains("no reference")
        }
    }

    @Test("DeepLIFT with a reference of the wrong shape throws ruleFailed")
    func deepLIFTReferenceShapeMismatch() throws {
        let y = try tape.relu(matrix, name: "fc.relu")
        let bad = ReferenceActivations(values: [0: (Tensor.zeros([2, 3]), Tensor.zeros([2, 3]))])
        #expect(throws: TapeError.self) {
            _ = try tape.backward(from: y, withRespectTo: [matrix], rules: BackwardRules(activation: DeepLIFTRescaleRule().binding(bad)))
        }
        // z0 and a0 that disagree with each other are rejected too (they are read element by element).
        let inconsistent = ReferenceActivations(values: [0: (Tensor.zeros([1, 4]), Tensor.zeros([1, 1]))])
        #expect(throws: TapeError.self) {
            _ = try tape.backward(from: y, withRespectTo: [matrix], rules: BackwardRules(activation: DeepLIFTRescaleRule().binding(inconsistent)))
        }
    }

    @Test("a rule returning the wrong shape throws ruleFailed")
    func ruleWithWrongShape() throws {
        let y = try tape.relu(matrix)
        #expect {
            _ = try tape.backward(from: y, withRespectTo: [matrix], rules: BackwardRules(activation: WrongShapeRule()))
        } throws: { error in
            guard case TapeError.ruleFailed(_, let reason) = error else { return false }
            return reason.contains("wrong-shape")
        }
    }

    @Test("tensor construction errors")
    func tensorErrors() {
        #expect(throws: TensorError.elementCountMismatch(shape: [2, 2], count: 3)) { _ = try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
        #expect(throws: TensorError.invalidShape([-1, 2])) { _ = try Tensor(shape: [-1, 2], scalars: []) }
        #expect(throws: TensorError.self) { _ = try Tensor.stack([]) }
        #expect(throws: TensorError.self) { _ = try Tensor.stack([Tensor.zeros([2]), Tensor.zeros([3])]) }
        #expect(throws: TensorError.self) { _ = try Tensor.zeros([2, 3]).matmul(Tensor.zeros([2, 3])) }
        #expect(throws: TensorError.self) { _ = try Tensor.zeros([2, 3]).adding(Tensor.zeros([3, 2])) }
    }
}
