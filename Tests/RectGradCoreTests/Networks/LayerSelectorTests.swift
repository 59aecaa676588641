import Foundation
import Testing
import RectGradCore
import _RectGradTestSupport

/// A thread-safe log of the activation sites a rule was applied at.
final class SiteLog: @unchecked Sendable {
    private let lock = NSLock()
    private var sites: [ActivationSite] = []

    func append(_ site: ActivationSite) {
        lock.lock()
        defer { lock.unlock() }
        sites.append(site)
    }

    var ordinals: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return sites.map(\.ordinal).sorted()
    }
}

/// The plain gradient, logging every site it handles.
struct RecordingRule: ActivationRule {
    let log = SiteLog()
    let tag: String

    func backward(_ input: ActivationBackwardInput) throws -> Tensor {
        log.append(input.site)
        return try GradientRule().backward(input)
    }

    var description: String { "recording-\(tag)" }
}

@Suite("Per-layer rule overrides")
struct LayerSelectorTests {
    /// TinyConvNet with kinds [relu, relu6, relu]: ordinals 0 'features.1', 1 'features.4', 2 'classifier.1'.
    static let cases: [(LayerSelector, [Int])] = [
        (.name("features.4"), [1]),
        (.name("features"), []),
        (.namePrefix("features."), [0, 1]),
        (.namePrefix("classifier"), [2]),
        (.namePrefix(""), [0, 1, 2]),
        (.kind(.relu6), [1]),
        (.kind(.relu), [0, 2]),
        (.ordinal(0), [0]),
        (.ordinal(2), [2]),
        (.ordinal(7), []),
        (.last, [2]),
    ]

    @Test("an override applies to exactly the activations its selector picks", arguments: cases)
    func overrideAppliesToSelection(_ selector: LayerSelector, _ expected: [Int]) throws {
        let net = TinyConvNet(seed: 5, activationKinds: [.relu, .relu6, .relu])
        let tape = Tape()
        let recorded = try net.record(on: tape, input: Tensor.randomNormal(TinyConvNet.inputShape(batch: 2), seed: 6))
        let fallback = RecordingRule(tag: "default")
        let selected = RecordingRule(tag: "selected")
        let rules = BackwardRules(activation: fallback).overriding(selector, with: selected)
        if expected.isEmpty {
            // A selector that matches nothing is an error naming it and the tape's activations.
            let error = #expect(throws: TapeError.self) { try tape.backward(from: recorded.logits, withRespectTo: [recorded.input], rules: rules) }
            #expect(error == .selectorMatchesNothing(selector, activations: ["features.1", "features.4", "classifier.1"]))
            #expect(error?.description.contains(selector.description) == true)
            #expect(selected.log.ordinals.isEmpty && fallback.log.ordinals.isEmpty)
            return
        }
        let result = try tape.backward(from: recorded.logits, withRespectTo: [recorded.input], rules: rules)
        #expect(selected.log.ordinals == expected, "\(selector)")
        #expect(fallback.log.ordinals == [0, 1, 2].filter { !expected.contains($0) }, "\(selector)")
        #expect(result.report.activationNodesByRule["recording-selected", default: 0] == expected.count)
        #expect(result.report.activationNodesHandled == 3)

        for site in tape.activationSites {
            #expect(selector.matches(site, activationCount: tape.activationCount) == expected.contains(site.ordinal))
            #expect(rules.rule(for: site, activationCount: tape.activationCount).description == (expected.contains(site.ordinal) ? "recording-selected" : "recording-default"))
        }
    }

    @Test("the first matching override wins")
    func firstOverrideWins() throws {
        let net = TinyConvNet(seed: 5, activationKinds: [.relu, .relu6, .relu])
        let tape = Tape()
        let recorded = try net.record(on: tape, input: Tensor.randomNormal(TinyConvNet.inputShape(batch: 1), seed: 7))
        let first = RecordingRule(tag: "first"), second = RecordingRule(tag: "second")
        let rules = BackwardRules().overriding(.ordinal(1), with: first).overriding(.namePrefix("features."), with: second)
        _ = try tape.backward(from: recorded.logits, withRespectTo: [recorded.input], rules: rules)
        #expect(first.log.ordinals == [1])
        #expect(second.log.ordinals == [0])
    }

    @Test("an override changes the result exactly as the equivalent hand-written backward")
    func overrideMatchesNaive() throws {
        // Guided backprop everywhere except the last activation, which keeps the plain gradient.
        let net = TinyConvNet(seed: 8)
        let x = Tensor.randomNormal(TinyConvNet.inputShape(batch: 2), seed: 9)
        let tape = Tape()
        let recorded = try net.record(on: tape, input: x)
        let seed = Tensor.randomNormal([2, 5], seed: 10)
        let rules = BackwardRules(activation: GuidedBackpropRule()).overriding(.last, with: GradientRule())
        let actual = try #require(try tape.backward(from: recorded.logits, seed: seed, withRespectTo: [recorded.input], rules: rules)[recorded.input])

        // Hand-written: gradient at classifier.1, guided at the two convolutional activations.
        let naive = NaiveNetwork(net: net)
        let f = naive.forward(x)
        let g = TinyConvNet.convolutionGeometry
        let dZ3 = NaiveRule.gradient.apply(kind: .relu, z: f.z[2], a: f.a[2], r: NaiveKernels.denseBackwardInput(seed, net.dense2Weight))
        let dA2 = NaiveKernels.make(f.a[1].shape, NaiveKernels.denseBackwardInput(dZ3, net.dense1Weight).scalars)
        let dZ2 = NaiveRule.guided.apply(kind: .relu, z: f.z[1], a: f.a[1], r: dA2)
        let dA1 = NaiveKernels.maxPoolBackward(NaiveKernels.conv2dBackwardInput(dZ2, net.conv2Weight, inputShape: f.pooled.shape, g), winners: f.winners, inputShape: f.a[0].shape)
        let dZ1 = NaiveRule.guided.apply(kind: .relu, z: f.z[0], a: f.a[0], r: dA1)
        let expected = NaiveKernels.conv2dBackwardInput(dZ1, net.conv1Weight, inputShape: x.shape, g)
        expectClose(actual, expected, absolute: 1e-5 * max(expected.max(), -expected.min(), 1e-3))
        let allGuided = try #require(try tape.backward(from: recorded.logits, seed: seed, withRespectTo: [recorded.input], rules: BackwardRules(activation: GuidedBackpropRule()))[recorded.input])
        #expect(allGuided != actual)
    }

    @Test("activation sites carry node id, ordinal, name and kind")
    func activationSites() throws {
        let net = TinyConvNet(seed: 5, activationKinds: [.relu, .relu6, .relu])
        let tape = Tape()
        let recorded = try net.record(on: tape, input: Tensor.randomNormal(TinyConvNet.inputShape(batch: 1), seed: 7))
        let sites = tape.activationSites
        #expect(sites.map(\.ordinal) == [0, 1, 2])
        #expect(sites.map(\.name) == TinyConvNet.activationNames)
        #expect(sites.map(\.kind) == [.relu, .relu6, .relu])
        #expect(sites.map(\.nodeID) == recorded.activations.map(\.id))
        #expect(tape.activationCount == 3)
    }
}
