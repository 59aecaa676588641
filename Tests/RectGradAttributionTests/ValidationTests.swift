import Testing
import RectGradCore
import RectGradLayers
import RectGradAttribution

/// Invalid parameters, targets and inputs give errors naming what is wrong.
@Suite struct ValidationTests {
    let network = TestNetworks.small(seed: 1)
    let x = TestNetworks.inputs(2, seed: 2)

    func parameterName(_ method: AttributionMethod) -> String? {
        do {
            _ = try network.attribute(x, method: method)
            return nil
        } catch let AttributionError.invalidParameter(name, _) {
            return name
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func parametersOutOfRange() {
        #expect(parameterName(.rectGrad(percentile: 100.5)) == "percentile")
        #expect(parameterName(.rectGradPRR(percentile: -1)) == "percentile")
        #expect(parameterName(.rectGrad(percentile: .nan)) == "percentile")
        #expect(parameterName(.integratedGradients(steps: 0)) == "steps")
        #expect(parameterName(.smoothGrad(samples: 0)) == "samples")
        #expect(parameterName(.smoothGrad(noiseLevel: -1)) == "noise-level")
        #expect(parameterName(.epsilonLRP(epsilon: -1)) == "epsilon")
        #expect(parameterName(.rectGradConstant(tau: .nan)) == "tau")
        #expect(parameterName(.occlusion(window: [0, 1, 1])) == "window")
        #expect(parameterName(.occlusion(window: [1, 9, 9])) == "window")
        #expect(parameterName(.occlusion(window: [1, 2], stride: [1, 1])) == "window")
        #expect(parameterName(.occlusion(window: [1, 2, 2], stride: [1, 0, 1])) == "stride")
        // Limits are valid.
        #expect(parameterName(.rectGrad(percentile: 0)) == nil)
        #expect(parameterName(.rectGrad(percentile: 100)) == nil)
        #expect(parameterName(.integratedGradients(steps: 1)) == nil)
    }

    @Test func targets() {
        #expect(throws: AttributionError.targetOutOfRange(example: 0, target: 5, classCount: 5)) {
            try network.attribute(x, method: .saliency, targets: .all(5))
        }
        #expect(throws: AttributionError.targetOutOfRange(example: 1, target: -1, classCount: 5)) {
            try network.attribute(x, method: .saliency, targets: .perExample([0, -1]))
        }
        #expect(throws: AttributionError.targetCountMismatch(examples: 2, targets: 3)) {
            try network.attribute(x, method: .saliency, targets: .perExample([0, 1, 2]))
        }
        let error = AttributionError.targetOutOfRange(example: 0, target: 5, classCount: 5)
        #expect(error.description.contains("0..<5"))
    }

    @Test func inputShape() throws {
        let wrong = Tensor.zeros([1, 3, 9, 8])
        #expect {
            try network.attribute(wrong, method: .saliency)
        } throws: { error in
            guard case AttributionError.inputShapeMismatch(let message) = error else { return false }
            return message.contains("[9") || message.contains("9, 8")
        }
        #expect(throws: AttributionError.self) { try network.attribute(Tensor.zeros([3, 8, 8]), method: .saliency) }
        #expect(throws: AttributionError.baselineShapeMismatch(expected: [2, 3, 8, 8], actual: [3, 4, 4])) {
            try network.attribute(x, method: .integratedGradients(baseline: .tensor(Tensor.zeros([3, 4, 4]))))
        }
    }

    @Test func occlusionTakesNoBackwardRule() {
        let method = AttributionMethod(name: "odd", rules: AttributionRules(activation: .guidedBackprop), estimator: .occlusion(window: [1, 1, 1], stride: [1, 1, 1], value: 0))
        #expect(throws: AttributionError.self) { try method.validate() }
    }

    @Test func methodNames() throws {
        #expect(MethodName.allCases.map(\.rawValue) == [
            "saliency", "gradient-x-input", "integrated-gradients", "smoothgrad", "deconvnet", "guided-backprop",
            "rectgrad", "rectgrad-const", "rectgrad-prr", "epsilon-lrp", "deeplift", "occlusion",
        ])
        #expect(try MethodName(parsing: "RectGrad") == .rectGrad)
        #expect {
            try MethodName(parsing: "gradcam")
        } throws: { error in
            guard case AttributionError.invalidParameter("method", let reason) = error else { return false }
            return reason.contains("gradcam") && reason.contains("rectgrad-prr")
        }
    }

    @Test func methodDefaultsFollowTheSpec() {
        var parameters = MethodParameters()
        for name in MethodName.allCases {
            let method = name.method(parameters)
            #expect(method.rules.masksConvolutionBorder == name.isRectGradFamily, "\(name)")
            #expect(method.name == name.rawValue)
        }
        #expect(MethodName.rectGradPRR.method().rules.maxPool == .proportional)
        guard case .rectGrad(98, .signed, .nearestFloat32) = MethodName.rectGrad.method().rules.activation else {
            Issue.record("rectgrad default q")
            return
        }
        guard case .integratedGradients(50, .zero) = MethodName.integratedGradients.method().estimator,
              case .smoothGrad(50, 0.1, 0, .gradient(.none)) = MethodName.smoothGrad.method().estimator,
              case .epsilonLRP(1e-4) = MethodName.epsilonLRP.method().rules.activation else {
            Issue.record("defaults")
            return
        }
        parameters.masksConvolutionBorder = true
        #expect(MethodName.saliency.method(parameters).rules.masksConvolutionBorder)
        parameters.masksConvolutionBorder = false
        #expect(!MethodName.rectGrad.method(parameters).rules.masksConvolutionBorder)
    }
}
