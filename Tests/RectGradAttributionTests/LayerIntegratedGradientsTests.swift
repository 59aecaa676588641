import Foundation
import Testing
import RectGradCore
import RectGradLayers
import RectGradAttribution

/// Layer integrated gradients: hand-derived cases, quadrature convergence and completeness
/// (Captum parity is in `LayerMethodTests.layerMapsMatchCaptum`), and occlusion with a baseline.
@Suite struct LayerIntegratedGradientsTests {
    /// In `LayerMethodTests.handCAM` everything after `relu` is linear (S = 3·mean A₀ − 2·mean A₁),
    /// so dS/dA = (0.75, −0.5) per channel at every path point and any quadrature is exact:
    /// A(0) = 0 (no bias), the attribution is A · dS/dA = [[0.75, 1.5], [2.25, 0]] and
    /// [[0, 0], [0, −0.5]], summing to S(x) − S(0) = 4.
    @Test(arguments: [PathQuadrature.riemannRight(steps: 1), .riemannRight(steps: 5), .gaussLegendre(points: 3)])
    func linearHeadByHand(quadrature: PathQuadrature) throws {
        let session = try AttributionSession(network: try LayerMethodTests.handCAM(), input: try LayerMethodTests.handInput())
        let result = try session.attribute(layer: "relu", integratedGradients: quadrature)
        #expect(result.method == .integratedGradients)
        #expect(result.map.shape == [1, 2, 2, 2])
        let expected: [Float] = [0.75, 1.5, 2.25, 0, 0, 0, 0, -0.5]
        for (value, wanted) in zip(result.map.scalars, expected) { #expect(abs(value - wanted) <= 1e-6) }
        let completeness = try #require(result.completeness)
        #expect(abs(completeness.outputDifferences[0] - 4) <= 1e-6)
        #expect(abs(completeness.gaps[0]) <= 1e-5)
        // As an input map: summed over channels, at the input's (equal) size.
        let map = try session.attribute(.layerIntegratedGradients(layer: "relu", quadrature: quadrature)).map
        #expect(map.shape == [1, 1, 2, 2])
        for (value, wanted) in zip(map.scalars, [0.75, 1.5, 2.25, -0.5] as [Float]) { #expect(abs(value - wanted) <= 1e-6) }
    }

    /// A constant baseline c: A(b) = ReLU(±c), so channel 0 gets (A₀ − c)·0.75 and channel 1
    /// (A₁ − 0)·(−0.5) for c = 0.5 > 0 (the second filter is −1: ReLU(−0.5) = 0).
    @Test func constantBaselineByHand() throws {
        let session = try AttributionSession(network: try LayerMethodTests.handCAM(), input: try LayerMethodTests.handInput())
        let result = try session.attribute(layer: "relu", integratedGradients: .riemannRight(steps: 2), baseline: .constant(0.5))
        let expected: [Float] = [0.375, 1.125, 1.875, -0.375, 0, 0, 0, -0.5]
        for (value, wanted) in zip(result.map.scalars, expected) { #expect(abs(value - wanted) <= 1e-6) }
    }

    /// With a nonlinear network after the layer: Riemann and Gauss–Legendre converge to the same
    /// integral, the sum approaches S(x) − S(b) (everything after `relu1` depends on the input only
    /// through it), and the chunk size does not change the result.
    @Test func convergesAndIsComplete() throws {
        let network = TestNetworks.small(seed: 5)
        let input = TestNetworks.inputs(2, seed: 6)
        let session = try AttributionSession(network: network, input: input, targets: .perExample([1, 3]))
        // The ReLUs after the layer make dS/dA piecewise constant along the path, so both rules
        // converge like 1/points; they meet at many points.
        let coarse = try session.attribute(layer: "relu1", integratedGradients: .riemannRight(steps: 4), baseline: .constant(0.1))
        let fine = try session.attribute(layer: "relu1", integratedGradients: .riemannRight(steps: 2000), baseline: .constant(0.1))
        let gauss = try session.attribute(layer: "relu1", integratedGradients: .gaussLegendre(points: 256), baseline: .constant(0.1))
        let distance = try gauss.map.relativeL2Distance(to: fine.map)
        #expect(distance <= 1e-2, "Gauss–Legendre 256 vs Riemann 2000: \(distance)")
        let fineGap = try #require(fine.completeness).maximumRelativeGap()
        let coarseGap = try #require(coarse.completeness).maximumRelativeGap()
        #expect(fineGap <= 5e-3, "Riemann 2000: completeness gap \(fineGap)")
        #expect(fineGap < coarseGap, "gaps: 4 steps \(coarseGap), 2000 steps \(fineGap)")
        #expect(fine.map.l2Norm() > 0)
        let whole = try session.attribute(layer: "relu1", integratedGradients: .gaussLegendre(points: 24), baseline: .constant(0.1))
        let chunked = try AttributionSession(network: network, input: input, targets: .perExample([1, 3]), chunkSize: 5)
            .attribute(layer: "relu1", integratedGradients: .gaussLegendre(points: 24), baseline: .constant(0.1))
        #expect(try chunked.map.relativeL2Distance(to: whole.map) <= 1e-6)
    }

    @Test func invalidSettingsNameTheParameter() throws {
        let session = try AttributionSession(network: TestNetworks.small(seed: 5), input: TestNetworks.inputs(1, seed: 6))
        #expect(throws: AttributionError.invalidParameter(name: "steps", reason: "must be in 1...\(Estimator.maximumPassCount), got 0")) {
            try session.attribute(.layerIntegratedGradients(layer: "relu1", quadrature: .riemannRight(steps: 0)))
        }
        #expect {
            try session.attribute(.layerIntegratedGradients(layer: ""))
        } throws: { error in
            guard case AttributionError.invalidParameter("layer", _) = error else { return false }
            return true
        }
        // fc1's output is [N, 12]: no input map, but a layer attribution.
        #expect {
            try session.attribute(.layerIntegratedGradients(layer: "fc1", quadrature: .riemannRight(steps: 2)))
        } throws: { error in
            guard case AttributionError.invalidParameter("layer", let reason) = error else { return false }
            return reason.contains("[N, C, h, w]")
        }
        #expect(try session.attribute(layer: "fc1", integratedGradients: .riemannRight(steps: 2)).map.shape == [1, 12])
        #expect(throws: AttributionError.self) {
            try session.attribute(layer: "relu1", integratedGradients: .riemannRight(steps: 2), baseline: .tensor(Tensor.zeros([1, 3, 4, 4])))
        }
    }

    /// On a linear network, occluding element i with the baseline's b_i removes w_t,i (x_i − b_i).
    @Test func occlusionWithATensorBaseline() throws {
        let weight = try Tensor(shape: [2, 4], scalars: [1, -2, 0.5, 3, -1, 0, 2, 1])
        let network = Network(name: "linear", inputChannels: 1, inputSize: Size2D(2, 2), requiresFixedInputSize: true, classCount: 2,
                              body: Sequential([Flatten(), Linear(name: "fc", weight: weight, bias: try Tensor(shape: [2], scalars: [0.1, -0.2]))]))
        let input = try Tensor(shape: [1, 1, 2, 2], scalars: [0.5, -1, 2, 0.25])
        let baseline = try Tensor(shape: [1, 1, 2, 2], scalars: [0.25, 1, -1, 0])
        let result = try network.attribute(input, method: .occlusion(baseline: .tensor(baseline)), targets: .all(0))
        for i in 0..<4 {
            #expect(abs(result.map[flat: i] - (input[flat: i] - baseline[flat: i]) * weight[0, i]) <= 1e-6)
        }
        // A constant baseline is the old replacement value.
        let constant = try network.attribute(input, method: .occlusion(value: 0.3), targets: .all(0)).map
        for i in 0..<4 { #expect(abs(constant[flat: i] - (input[flat: i] - 0.3) * weight[0, i]) <= 1e-6) }
        #expect(throws: AttributionError.self) { try network.attribute(input, method: .occlusion(baseline: .constant(.nan))) }
    }
}
