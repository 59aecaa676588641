import Testing
import RectGradCore
import _RectGradTestSupport

/// The fast paths at the sizes real networks use, split across several workers, against plain loops.
@Suite("New ops at realistic sizes (1×64×56×56)")
struct RealisticSizeTests {
    let workers = Workers(count: 4)

    @Test("a squeeze-and-excitation gate: forward and both gradients")
    func squeezeExcitationGate() throws {
        let features = Tensor.randomNormal([1, 64, 56, 56], seed: 61), gate = Tensor.randomNormal([1, 64, 1, 1], seed: 62)
        let tape = Tape(workers: workers)
        let x = tape.input(features), g = tape.input(gate)
        let y = try tape.multiply(x, g)
        var expected = Tensor.zeros(features.shape)
        for i in 0..<features.count { expected[flat: i] = features[flat: i] * gate[flat: i / (56 * 56)] }
        expectEqual(try tape.value(y), expected)
        let seed = Tensor.randomNormal(features.shape, seed: 63)
        let result = try tape.backward(from: y, seed: seed, withRespectTo: [x, g])
        var gateGradient = [Double](repeating: 0, count: 64), featureGradient = Tensor.zeros(features.shape)
        for i in 0..<features.count {
            gateGradient[i / (56 * 56)] += Double(seed[flat: i]) * Double(features[flat: i])
            featureGradient[flat: i] = seed[flat: i] * gate[flat: i / (56 * 56)]
        }
        expectEqual(try #require(result[x]), featureGradient)
        expectClose(try #require(result[g]), try Tensor(shape: [1, 64, 1, 1], scalars: gateGradient.map { Float($0) }), absolute: 1e-3, relative: 1e-4)
    }

    @Test("activations: the same bytes on 1 and 4 workers, equal to the scalar definition", arguments: NaiveActivation.kinds)
    func activations(_ kind: ActivationKind) throws {
        let z = Tensor.randomNormal([1, 64, 56, 56], standardDeviation: 3, seed: 64)
        let parallel = kind.forward(z, workers: workers)
        expectEqual(parallel, kind.forward(z, workers: .serial))
        expectEqual(parallel, z.map { kind.apply($0) })
        expectEqual(kind.derivative(z, workers: workers), z.map { kind.derivative($0) })
    }

    @Test("Inception's 3×3 average pool (stride 1, padding 1, padding excluded) and its backward")
    func averagePool() throws {
        let x = Tensor.randomNormal([1, 64, 35, 35], seed: 65)
        let geometry = Pooling2DGeometry(kernel: 3, stride: 1, padding: 1)
        let y = try Pooling2D.averagePool(x, geometry: geometry, countIncludesPadding: false, workers: workers)
        expectClose(y, NaiveKernels.averagePool(x, geometry, countIncludesPadding: false), absolute: 1e-6)
        expectEqual(y, try Pooling2D.averagePool(x, geometry: geometry, countIncludesPadding: false, workers: .serial))
        let dy = Tensor.randomNormal(y.shape, seed: 66)
        expectEqual(try Pooling2D.averagePoolBackward(outputGradient: dy, inputShape: x.shape, geometry: geometry, countIncludesPadding: false, workers: workers),
                    try Pooling2D.averagePoolBackward(outputGradient: dy, inputShape: x.shape, geometry: geometry, countIncludesPadding: false, workers: .serial))
    }
}
