import Testing
import RectGradCore

/// The element-wise C loops (CElementwise) that replace the SIMD lane code must give the same
/// bits as the scalar definitions, including NaN, ±0, infinities and the ReLU6 corner, at lengths
/// that are not a multiple of the vector width.
@Suite struct PlainLoopKernelTests {
    static let specials: [Float] = [.nan, -.nan, 0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1, -1, 5.999999, 6, 6.000001, 7, .infinity, -.infinity, 3.5, -2.25, .greatestFiniteMagnitude]

    static func values(count: Int) -> [Float] {
        (0..<count).map { specials[$0 % specials.count] * ($0 % 5 == 4 ? -1 : 1) }
    }

    static func sameBits(_ a: Float, _ b: Float) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }

    @Test(arguments: [1, 15, 16, 17, 37, 100_003])
    func activationForwardMatchesTheScalarDefinition(count: Int) throws {
        let x = try Tensor(shape: [count], scalars: Self.values(count: count))
        for kind in NaiveActivation.kinds {
            for workers in [Workers(count: 1), Workers(count: 3)] {
                let y = kind.forward(x, workers: workers)
                let mismatches = zip(x.scalars, y.scalars).filter { !Self.sameBits(kind.apply($0), $1) }
                #expect(mismatches.isEmpty, "\(kind): \(mismatches.prefix(3))")
            }
        }
    }

    @Test(arguments: [1, 17, 100_003])
    func gradientRuleMatchesTheScalarDerivative(count: Int) throws {
        let z = try Tensor(shape: [count], scalars: Self.values(count: count))
        let r = try Tensor(shape: [count], scalars: Self.values(count: count + 3).suffix(count).map { $0 })
        for kind in NaiveActivation.kinds {
            let input = ActivationBackwardInput(preActivation: z, output: kind.forward(z), upstream: r,
                                                site: ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: kind))
            let g = try GradientRule().backward(input)
            let mismatches = (0..<count).filter { !Self.sameBits(r.scalars[$0] * kind.derivative(z.scalars[$0]), g.scalars[$0]) }
            #expect(mismatches.isEmpty, "\(kind): \(mismatches.prefix(3))")
        }
    }

    @Test func channelAffineIsAProductThenASum() throws {
        // (1 + 2^-23)(1 − 2^-23) = 1 − 2^-46 rounds to 1, so x · a + b is exactly 0; a fused
        // multiply–add would give −2^-46.
        let x = try Tensor(shape: [1, 1, 1, 19], scalars: [Float](repeating: 1 + .ulpOfOne, count: 19))
        let y = try ChannelAffine.forward(x, scale: Tensor(shape: [1], scalars: [1 - .ulpOfOne]), shift: Tensor(shape: [1], scalars: [-1]))
        #expect(y.scalars.allSatisfy { $0 == 0 })
    }
}
