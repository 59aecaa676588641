import Foundation
import Testing
import RectGradCore
import _RectGradTestSupport

@Suite("Kernels: hand cases, numerics and argument checks")
struct KernelTests {
    @Test("softmax rows sum to one and survive large logits")
    func softmax() throws {
        let logits = try tensor([2, 3], [1000, 1001, 1002, -5, 0, 5])
        let p = try SoftmaxCrossEntropy.softmax(logits)
        #expect(p.isFinite)
        for row in 0..<2 { #expect(abs(p.example(row).sum() - 1) < 1e-6) }
        // [0, 1, 2] shifted: e^0, e^1, e^2 over their sum.
        let total = 1 + M_E + M_E * M_E
        #expect(abs(Double(p[0, 2]) - M_E * M_E / total) < 1e-6)
    }

    @Test("cross-entropy loss is exact also when the label's probability underflows float32")
    func crossEntropyLargeMargins() throws {
        // loss = logsumexp(logits) − logits[label]; for [0, 100] with label 0: 100 + log(1 + e^−100) = 100.
        let far = try SoftmaxCrossEntropy.loss(logits: try tensor([1, 2], [0, 100]), labels: [0])
        #expect(abs(far - 100) < 1e-3, "loss \(far)")
        // Mean over the batch: (200 + log 2) and (0 + log(1 + e^−200) ≈ 0) → (200 + 0.6931472)/2.
        let batch = try SoftmaxCrossEntropy.loss(logits: try tensor([2, 3], [0, 200, 200, 300, 100, 0]), labels: [0, 0])
        #expect(abs(batch - Float((200 + log(2.0)) / 2)) < 1e-3, "loss \(batch)")
        // A perfectly confident correct prediction: the loss is 0, not negative, not NaN.
        #expect(try SoftmaxCrossEntropy.loss(logits: try tensor([1, 2], [100, 0]), labels: [0]) == 0)
    }

    @Test("cross-entropy gradient is (softmax − onehot)/N")
    func crossEntropyGradient() throws {
        let logits = try tensor([2, 2], [0, Float(log(3.0)), 0, 0])
        let gradient = try SoftmaxCrossEntropy.lossGradient(logits: logits, labels: [1, 0])
        // Row 0: p = [1/4, 3/4] − [0, 1] = [1/4, −1/4]; row 1: [1/2, 1/2] − [1, 0] = [−1/2, 1/2]; halved.
        expectClose(gradient, try tensor([2, 2], [0.125, -0.125, -0.25, 0.25]), absolute: 1e-6)
        #expect(throws: TensorError.self) { _ = try SoftmaxCrossEntropy.lossGradient(logits: logits, labels: [2, 0]) }
        #expect(throws: TensorError.self) { _ = try SoftmaxCrossEntropy.softmax(Tensor.zeros([3])) }
    }

    @Test("batch-norm folding: scale = γ/√(var + ε), shift = β − mean·scale")
    func foldBatchNorm() throws {
        let (scale, shift) = try ChannelAffine.foldBatchNorm(
            weight: try tensor([2], [2, 1]), bias: try tensor([2], [1, 0]),
            runningMean: try tensor([2], [3, -1]), runningVariance: try tensor([2], [3.99, 0.25]), epsilon: 0.01)
        // Channel 0: 2/√4 = 1, 1 − 3·1 = −2.  Channel 1: 1/√0.26, 0 + 1/√0.26.
        let s1 = Float(1 / 0.26.squareRoot())
        expectClose(scale, try tensor([2], [1, s1]), absolute: 1e-6)
        expectClose(shift, try tensor([2], [-2, s1]), absolute: 1e-6)
        #expect(throws: TensorError.self) {
            _ = try ChannelAffine.foldBatchNorm(weight: Tensor.zeros([2]), bias: Tensor.zeros([2]), runningMean: Tensor.zeros([2]), runningVariance: try tensor([2], [-1, 1]), epsilon: 0.5)
        }
        #expect(throws: TensorError.self) {
            _ = try ChannelAffine.foldBatchNorm(weight: Tensor.zeros([2]), bias: Tensor.zeros([3]), runningMean: Tensor.zeros([2]), runningVariance: Tensor.zeros([2]), epsilon: 1)
        }
    }

    @Test("max-pool propagates NaN and activations keep NaN")
    func notANumber() throws {
        let x = try tensor([1, 1, 2, 2], [1, .nan, 3, 2])
        #expect(try Pooling2D.maxPool(x, geometry: .init(kernel: 2)).output.scalars[0].isNaN)
        #expect(ActivationKind.relu.apply(.nan).isNaN && ActivationKind.relu6.apply(.nan).isNaN)
        #expect(ActivationKind.relu6.apply(7) == 6 && ActivationKind.relu6.apply(-1) == 0 && ActivationKind.relu.apply(-0.5) == 0)
    }

    @Test("kernel backward paths reject gradients of the wrong shape")
    func backwardArgumentChecks() throws {
        let x = Tensor.randomNormal([1, 2, 4, 4], seed: 1)
        let w = Tensor.randomNormal([3, 2, 3, 3], seed: 2)
        let wrong = Tensor.zeros([1, 3, 3, 3])
        #expect(throws: TensorError.self) { _ = try Convolution2D.backwardInput(outputGradient: wrong, weight: w, inputShape: x.shape, geometry: .init()) }
        #expect(throws: TensorError.self) { _ = try Convolution2D.backwardWeight(outputGradient: wrong, input: x, weightShape: w.shape, geometry: .init()) }
        let pool = Pooling2DGeometry(kernel: 2)
        #expect(throws: TensorError.self) { _ = try Pooling2D.averagePoolBackward(outputGradient: Tensor.zeros([1, 2, 3, 3]), inputShape: x.shape, geometry: pool) }
        #expect(throws: TensorError.self) { _ = try Pooling2D.adaptiveAveragePoolBackward(outputGradient: Tensor.zeros([1, 3, 2, 2]), inputShape: x.shape) }
        #expect(throws: TensorError.self) { _ = try Pooling2D.proportionalRedistribution(outputGradient: Tensor.zeros([1, 2, 3, 3]), input: x, geometry: pool) }
        #expect(throws: TensorError.self) { _ = try Dense.backwardInput(outputGradient: Tensor.zeros([2, 4]), weight: Tensor.zeros([3, 5])) }
        #expect(throws: TensorError.self) { _ = try ChannelAffine.backward(outputGradient: x, scale: Tensor.zeros([3])) }
    }

    @Test("max-pool backward rejects an argmax that does not fit the input (no out-of-bounds write)")
    func maxPoolBackwardArgumentChecks() throws {
        let dy = Tensor(repeating: 1, shape: [1, 2, 1, 1])
        // In-plane indices of a 2×2 input are 0…3.
        #expect(throws: TensorError.self) { _ = try Pooling2D.maxPoolBackward(outputGradient: dy, argmax: [0, 4], inputShape: [1, 2, 2, 2]) }
        #expect(throws: TensorError.self) { _ = try Pooling2D.maxPoolBackward(outputGradient: dy, argmax: [-1, 0], inputShape: [1, 2, 2, 2]) }
        #expect(throws: TensorError.self) { _ = try Pooling2D.maxPoolBackward(outputGradient: dy, argmax: [0], inputShape: [1, 2, 2, 2]) }
        // Channel counts must agree (same element count, different layout).
        #expect(throws: TensorError.self) {
            _ = try Pooling2D.maxPoolBackward(outputGradient: Tensor.zeros([1, 1, 2, 1]), argmax: [0, 1], inputShape: [1, 2, 2, 2])
        }
        let routed = try Pooling2D.maxPoolBackward(outputGradient: try tensor([1, 2, 1, 1], [5, 7]), argmax: [3, 1], inputShape: [1, 2, 2, 2])
        #expect(routed.scalars == [0, 0, 0, 5, 0, 7, 0, 0])
    }

    @Test("activation rules called directly with inconsistent tensors throw instead of reading out of bounds")
    func inconsistentRuleInput() throws {
        let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
        let input = ActivationBackwardInput(preActivation: Tensor.zeros([2, 8]), output: Tensor.zeros([2, 8]), upstream: Tensor.zeros([2, 3]), site: site)
        let reference = ReferenceActivations(values: [0: (Tensor.zeros([2, 8]), Tensor.zeros([2, 8]))])
        let rules: [any ActivationRule] = [
            GradientRule(), GuidedBackpropRule(), DeconvNetRule(), try RectGradRule(percentile: 50),
            try RectGradConstantRule(), try EpsilonLRPRule(), DeepLIFTRescaleRule().binding(reference),
        ]
        for rule in rules {
            #expect(throws: RuleError.self, "\(rule)") { _ = try rule.backward(input) }
        }
    }
}
