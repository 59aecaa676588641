import Testing
import RectGradCore
import RectGradLayers
import RectGradAttribution

/// Invalid parameters, targets and inputs give errors naming what is wrong.
@Suite struct ValidationTests {
    let network = TestNetworks.small(seed: 1)
    let x = TestNetworks.inputs(2, seed: 2)

    /// The parameter named by the error of making or running the method, `nil` when both succeed.
    func parameterName(_ make: () throws -> AttributionMethod) -> String? {
        do {
            _ = try network.attribute(x, method: try make())
            return nil
        } catch let AttributionError.invalidParameter(name, _) {
            return name
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func parametersOutOfRange() {
        #expect(parameterName { try .rectGrad(percentile: 100.5) } == "percentile")
        #expect(parameterName { try .rectGradPRR(percentile: -1) } == "percentile")
        #expect(parameterName { try .rectGrad(percentile: .nan) } == "percentile")
        #expect(parameterName { .integratedGradients(steps: 0) } == "steps")
        #expect(parameterName { .smoothGrad(samples: 0) } == "samples")
        #expect(parameterName { .smoothGrad(noiseLevel: -1) } == "noise-level")
        #expect(parameterName { try .epsilonLRP(epsilon: -1) } == "epsilon")
        #expect(parameterName { try .rectGradConstant(tau: .nan) } == "tau")
        #expect(parameterName { .occlusion(window: [0, 1, 1]) } == "window")
        #expect(parameterName { .occlusion(window: [1, 9, 9]) } == "window")
        #expect(parameterName { .occlusion(window: [1, 2], stride: [1, 1]) } == "window")
        #expect(parameterName { .occlusion(window: [1, 2, 2], stride: [1, 0, 1]) } == "stride")
        // Limits are valid.
        #expect(parameterName { try .rectGrad(percentile: 0) } == nil)
        #expect(parameterName { try .rectGrad(percentile: 100) } == nil)
        #expect(parameterName { .integratedGradients(steps: 1) } == nil)
    }

    /// Rule parameters are checked once, where the rule is made: the method cannot exist.
    @Test func ruleParametersAreCheckedWhenTheMethodIsMade() {
        #expect(throws: AttributionError.self) { _ = try AttributionMethod.rectGrad(percentile: 101) }
        var parameters = MethodParameters()
        parameters.tau = .nan
        #expect {
            _ = try MethodName.rectGradConstant.method(parameters)
        } throws: { error in
            guard case AttributionError.invalidParameter("tau", _) = error else { return false }
            return true
        }
        // Methods that do not use τ are made.
        #expect(throws: Never.self) { _ = try MethodName.rectGrad.method(parameters) }
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
        let method = AttributionMethod(name: "odd", rule: GuidedBackpropRule(), estimator: .occlusion(window: [1, 1, 1], stride: [1, 1, 1], baseline: .zero))
        #expect(throws: AttributionError.self) { try method.validate() }
        #expect(throws: Never.self) { try AttributionMethod.occlusion().validate() }
    }

    @Test func methodNames() throws {
        #expect(MethodName.allCases.map(\.rawValue) == [
            "saliency", "gradient-x-input", "integrated-gradients", "smoothgrad", "deconvnet", "guided-backprop",
            "rectgrad", "rectgrad-const", "rectgrad-prr", "epsilon-lrp", "deeplift", "occlusion",
            "grad-cam", "guided-grad-cam", "smoothgrad-sq", "vargrad",
            "lrp-epsilon-plus", "lrp-epsilon-plus-flat", "lrp-epsilon-gamma-box", "lrp-epsilon-alpha2-beta1", "lrp-epsilon-alpha2-beta1-flat", "gradient-shap",
            "layer-integrated-gradients",
        ])
        #expect(try MethodName(parsing: "RectGrad") == .rectGrad)
        #expect {
            try MethodName(parsing: "gradcam")
        } throws: { error in
            guard case AttributionError.invalidParameter("method", let reason) = error else { return false }
            return reason.contains("gradcam") && reason.contains("rectgrad-prr")
        }
        // One hop from a name to a method.
        var parameters = MethodParameters()
        parameters.percentile = 90
        let named = try AttributionMethod(named: "RectGrad-PRR", parameters: parameters)
        #expect(named.name == "rectgrad-prr")
        #expect(named.rules.description == "rectgrad(q=90); border rule; PRR at max-pools")
        #expect(throws: AttributionError.self) { try AttributionMethod(named: "gradcam") }
    }

    @Test func methodDefaultsFollowTheSpec() throws {
        let family: Set<MethodName> = [.rectGrad, .rectGradConstant, .rectGradPRR]
        let timesInput: Set<MethodName> = [.gradientTimesInput, .integratedGradients, .rectGrad, .rectGradConstant, .rectGradPRR, .epsilonLRP, .deepLIFT, .gradientSHAP]
        var parameters = MethodParameters()
        for name in MethodName.allCases {
            let method = try name.method(parameters)
            #expect(method.isRectGradFamily == family.contains(name), "\(name)")
            #expect(method.rules.masksConvolutionBorder == family.contains(name), "\(name)")
            #expect(method.multipliesByInput == timesInput.contains(name), "\(name)")
            #expect(method.defaultFinalThreshold == (family.contains(name) ? (0.5, 99.5) : (95, 99.5)), "\(name)")
            #expect(method.name == name.rawValue)
        }
        #expect(try MethodName.rectGradPRR.method().rules.maxPool == .proportional)
        let rectGrad = try #require(try MethodName.rectGrad.method().rules.activation as? RectGradRule)
        #expect(rectGrad.percentile == 98 && rectGrad.importance == .signed && rectGrad.interpolation == .nearestFloat32)
        guard case .integratedGradients(50, .zero) = try MethodName.integratedGradients.method().estimator,
              case .smoothGrad(50, 0.1, 0, .gradient(.none)) = try MethodName.smoothGrad.method().estimator else {
            Issue.record("defaults")
            return
        }
        #expect((try MethodName.epsilonLRP.method().rules.activation as? EpsilonLRPRule)?.epsilon == 1e-4)
        #expect((try MethodName.deepLIFT.method().rules.activation as? DeepLIFTRescaleRule)?.reference == .zero)
        parameters.masksConvolutionBorder = true
        #expect(try MethodName.saliency.method(parameters).rules.masksConvolutionBorder)
        parameters.masksConvolutionBorder = false
        #expect(try !MethodName.rectGrad.method(parameters).rules.masksConvolutionBorder)
    }

    /// The combinators keep what the method declares: SmoothGrad of RectGrad is in the family.
    @Test func combinatorsKeepTheMethodsProperties() throws {
        let smooth = try AttributionMethod.rectGrad().smoothed(samples: 2)
        #expect(smooth.isRectGradFamily && smooth.multipliesByInput && smooth.rules.masksConvolutionBorder)
        #expect(smooth.defaultFinalThreshold == (0.5, 99.5))
        #expect(try AttributionMethod.rectGradConstant().integrated(steps: 2).isRectGradFamily)
        #expect(!AttributionMethod.saliency.smoothed(samples: 2).multipliesByInput)
        #expect(AttributionMethod.gradientTimesInput.smoothed(samples: 2).multipliesByInput)
        #expect(!AttributionMethod.guidedBackprop.smoothed().isRectGradFamily)
    }
}

/// Option values that make no sense are refused where the method is made or validated, naming the
/// parameter, instead of producing a map of zeros or NaN.
@Test func extremeOptionValuesAreRefused() throws {
    #expect(throws: AttributionError.invalidParameter(name: "tau", reason: "tau must be finite, got inf")) { try AttributionMethod.rectGradConstant(tau: .infinity) }
    #expect(throws: AttributionError.self) { try AttributionMethod.rectGradConstant(tau: -.infinity) }
    #expect(throws: AttributionError.self) { try AttributionMethod.epsilonLRP(epsilon: 1e38) }
    #expect(throws: Never.self) { try AttributionMethod.epsilonLRP(epsilon: 1e6) }
    #expect(throws: AttributionError.invalidParameter(name: "noise-level", reason: "must be in [0, 100], got 1e+30")) {
        try AttributionMethod.smoothGrad(noiseLevel: 1e30).validate()
    }
    #expect(throws: AttributionError.invalidParameter(name: "steps", reason: "must be in 1...100000, got 100001")) {
        try AttributionMethod.integratedGradients(steps: 100_001).validate()
    }
    #expect(throws: AttributionError.self) { try AttributionMethod.smoothGrad(samples: 1_000_000_000).validate() }
}

/// A finite input that overflows inside the network is an error naming the first layer, not a map.
@Test func anOverflowingForwardPassNamesTheFirstLayer() throws {
    let network = TestNetworks.small(seed: 1)
    let huge = Tensor(repeating: 3e38, shape: [1, 3, 8, 8])
    do {
        _ = try AttributionSession(network: network, input: huge)
        Issue.record("no error")
    } catch let error as AttributionError {
        guard case .nonFinite(let stage, let layer) = error else { Issue.record("\(error)"); return }
        #expect(stage == "forward pass")
        #expect(layer?.contains("conv2d") == true, "\(String(describing: layer))")
    }
}
