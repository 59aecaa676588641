import Testing
import RectGradCore
import _RectGradTestSupport

/// The same computation gives the same bytes whatever the number of workers (issue #10): every
/// kernel cuts its work by the problem's shape, never by the worker count.
///
/// The sizes are chosen so that the parallel paths run: products above `ParallelGEMM`'s split
/// threshold (2¹⁶ multiply–adds) cut into several slices, matrix–vector products of 256 × 1,024,
/// convolutions that go band by band and image by image (im2col), Winograd by bands and by
/// channel blocks, weight gradients summed over many bands, and RectGrad layers of more than
/// 2¹⁷ units per example (the fused pass and the selection split into parts).
@Suite("Results do not depend on the number of workers")
struct WorkerCountDeterminismTests {
    static let workerCounts = [1, 2, 3, 4]

    /// Expects the same shape and the same bit pattern in every element.
    static func expectSameBits(_ actual: Tensor, _ expected: Tensor, _ what: String, workers: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.shape == expected.shape, "\(what)", sourceLocation: sourceLocation)
        let differing = zip(actual.scalars, expected.scalars).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(what): \(differing) of \(expected.count) elements differ between 1 and \(workers) workers (max |difference| \(actual.maximumAbsoluteDifference(to: expected)))", sourceLocation: sourceLocation)
    }

    /// Runs `compute` with one worker and with each other count; every tensor must match the one-worker result bit for bit.
    static func expectIndependentOfWorkers(_ compute: (Workers) throws -> [(String, Tensor)], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let reference = try compute(.serial)
        for count in workerCounts.dropFirst() {
            let results = try compute(Workers(count: count))
            #expect(results.count == reference.count, sourceLocation: sourceLocation)
            for ((name, actual), (_, expected)) in zip(results, reference) {
                expectSameBits(actual, expected, name, workers: count, sourceLocation: sourceLocation)
            }
        }
    }

    // MARK: Kernels that reduce

    /// (input shape, weight shape, geometry, what it exercises)
    static let convolutions: [([Int], [Int], Convolution2DGeometry, String)] = [
        ([2, 16, 48, 48], [32, 16, 5, 5], .init(padding: 2), "im2col by bands"),
        ([1, 64, 10, 10], [48, 64, 3, 3], .init(stride: 2, padding: 1), "im2col image by image"),
        ([3, 64, 9, 9], [48, 64, 3, 3], .init(stride: 2, padding: 1), "im2col, examples side by side"),
        ([1, 32, 64, 64], [64, 32, 3, 3], .init(padding: 1), "Winograd by bands"),
        ([2, 64, 24, 24], [64, 64, 3, 3], .init(padding: 1), "Winograd by channel blocks"),
        ([2, 64, 20, 20], [128, 64, 1, 1], .init(), "pointwise (split product)"),
        ([2, 512, 6, 6], [512, 512, 1, 1], .init(), "pointwise, tall product"),
        ([2, 32, 40, 40], [32, 1, 3, 3], .init(padding: 1, groups: 32), "depthwise"),
        ([1, 24, 30, 30], [24, 12, 3, 3], .init(padding: 1, dilation: 2, groups: 2), "grouped, dilated"),
    ]

    @Test("convolution forward, input gradient, weight gradient and bias gradient", arguments: 0..<convolutions.count)
    func convolution(_ index: Int) throws {
        let (inputShape, weightShape, geometry, _) = Self.convolutions[index]
        let x = Tensor.randomNormal(inputShape, seed: 11 &+ UInt64(index))
        let w = Tensor.randomNormal(weightShape, standardDeviation: 0.1, seed: 21 &+ UInt64(index))
        let b = Tensor.randomNormal([weightShape[0]], seed: 31 &+ UInt64(index))
        let outputShape = try Convolution2D.outputShape(input: inputShape, weight: weightShape, geometry: geometry)
        let dy = Tensor.randomNormal(outputShape, seed: 41 &+ UInt64(index))
        try Self.expectIndependentOfWorkers { workers in
            [("forward", try Convolution2D.forward(input: x, weight: w, bias: b, geometry: geometry, workers: workers)),
             ("input gradient", try Convolution2D.backwardInput(outputGradient: dy, weight: w, inputShape: inputShape, geometry: geometry, workers: workers)),
             ("weight gradient", try Convolution2D.backwardWeight(outputGradient: dy, input: x, weightShape: weightShape, geometry: geometry, workers: workers)),
             ("bias gradient", Convolution2D.backwardBias(outputGradient: dy))]
        }
    }

    /// (m, k, n) of `A · B`, with each operand also transposed.
    static let products: [(Int, Int, Int)] = [(1, 1024, 256), (256, 1024, 1), (3, 700, 900), (300, 64, 40), (96, 200, 2000), (1, 3000, 40)]

    @Test("matrix products and matrix–vector products", arguments: 0..<products.count)
    func product(_ index: Int) throws {
        let (m, k, n) = Self.products[index]
        let a = Tensor.randomNormal([m, k], seed: 51 &+ UInt64(index))
        let b = Tensor.randomNormal([k, n], seed: 61 &+ UInt64(index))
        let aT = Tensor.randomNormal([k, m], seed: 71 &+ UInt64(index))
        let bT = Tensor.randomNormal([n, k], seed: 81 &+ UInt64(index))
        try Self.expectIndependentOfWorkers { workers in
            [("A·B", try a.matmul(b, workers: workers)),
             ("Aᵀ·B", try aT.matmul(b, transposeSelf: true, workers: workers)),
             ("A·Bᵀ", try a.matmul(bT, transposeOther: true, workers: workers)),
             ("Aᵀ·Bᵀ", try aT.matmul(bT, transposeSelf: true, transposeOther: true, workers: workers))]
        }
    }

    @Test("dense layer, batch norm, pooling and element-wise kernels")
    func otherKernels() throws {
        let x = Tensor.randomNormal([3, 2048], seed: 91)
        let w = Tensor.randomNormal([512, 2048], standardDeviation: 0.05, seed: 92)
        let b = Tensor.randomNormal([512], seed: 93)
        let dy = Tensor.randomNormal([3, 512], seed: 94)
        let maps = Tensor.randomNormal([2, 64, 40, 40], seed: 95)
        let scale = Tensor.randomNormal([64], seed: 96), shift = Tensor.randomNormal([64], seed: 97)
        let pooling = Pooling2DGeometry(kernel: 3, stride: 2, padding: 1)
        let pooledShape = [2, 64, 20, 20]
        let pooledGradient = Tensor.randomNormal(pooledShape, seed: 98)
        try Self.expectIndependentOfWorkers { workers in
            let pooled = try Pooling2D.maxPool(maps, geometry: pooling, workers: workers)
            return [("dense forward", try Dense.forward(input: x, weight: w, bias: b, workers: workers)),
                    ("dense input gradient", try Dense.backwardInput(outputGradient: dy, weight: w, workers: workers)),
                    ("dense weight gradient", try Dense.backwardWeight(outputGradient: dy, input: x, workers: workers)),
                    ("dense bias gradient", Dense.backwardBias(outputGradient: dy)),
                    ("channel affine", try ChannelAffine.forward(maps, scale: scale, shift: shift, workers: workers)),
                    ("max-pool", pooled.output),
                    ("max-pool backward", try Pooling2D.maxPoolBackward(outputGradient: pooledGradient, argmax: pooled.argmax, inputShape: maps.shape, workers: workers)),
                    ("sum", try maps.adding(maps.scaled(by: 0.5, workers: workers), workers: workers))]
        }
    }

    // MARK: A whole network

    /// A small network whose layers reach the parallel paths: im2col by bands, Winograd by bands
    /// and by channel blocks, batch norm, a depthwise residual branch, max-pooling, a pointwise
    /// product, a strided im2col convolution, adaptive pooling and dense layers.
    struct Network {
        var parameters: [String: Tensor] = [:]
        static let layers: [(String, [Int])] = [
            ("c1", [32, 16, 5, 5]), ("c2", [64, 32, 3, 3]), ("dw", [64, 1, 3, 3]), ("c3", [64, 64, 3, 3]),
            ("c4", [128, 64, 1, 1]), ("c5", [64, 128, 3, 3]), ("f1", [256, 1024]), ("f2", [10, 256]),
        ]

        init(seed: UInt64) {
            for (index, (name, shape)) in Self.layers.enumerated() {
                let fanIn = shape.dropFirst().reduce(1, *)
                let deviation = (2 / Float(fanIn)).squareRoot()
                parameters[name] = Tensor.randomNormal(shape, standardDeviation: deviation, seed: seed &+ UInt64(index))
                parameters[name + ".bias"] = Tensor.randomNormal([shape[0]], standardDeviation: 0.1, seed: seed &+ 100 &+ UInt64(index))
            }
            parameters["bn.scale"] = Tensor.randomUniform([64], low: 0.5, high: 1.5, seed: seed &+ 200)
            parameters["bn.shift"] = Tensor.randomNormal([64], standardDeviation: 0.1, seed: seed &+ 201)
        }

        /// Records the forward pass; returns the input, the logits and the parameter variables.
        func record(_ input: Tensor, on tape: Tape) throws -> (input: Variable, logits: Variable, parameters: [Variable]) {
            var variables: [String: Variable] = [:]
            func parameter(_ name: String) -> Variable {
                if let variable = variables[name] { return variable }
                let variable = tape.parameter(parameters[name]!, name: name)
                variables[name] = variable
                return variable
            }
            func conv(_ x: Variable, _ name: String, _ geometry: Convolution2DGeometry) throws -> Variable {
                try tape.conv2d(x, weight: parameter(name), bias: parameter(name + ".bias"), geometry: geometry, name: name)
            }
            let x = tape.input(input)
            var h = try tape.relu(conv(x, "c1", .init(padding: 2)), name: "r1")
            h = try tape.channelAffine(conv(h, "c2", .init(padding: 1)), scale: parameters["bn.scale"]!, shift: parameters["bn.shift"]!, name: "bn")
            h = try tape.relu(h, name: "r2")
            let branch = try conv(h, "dw", .init(padding: 1, groups: 64))
            h = try tape.relu(tape.add(h, branch, name: "residual"), name: "r3")
            h = try tape.maxPool2d(h, geometry: .init(kernel: 2), name: "pool")
            h = try tape.relu(conv(h, "c3", .init(padding: 1)), name: "r4")
            h = try tape.relu(conv(h, "c4", .init()), name: "r5")
            h = try tape.relu(conv(h, "c5", .init(stride: 2, padding: 1)), name: "r6")
            h = try tape.flatten(tape.adaptiveAveragePool2d(h, outputSize: 4, name: "gap"), name: "flatten")
            h = try tape.relu(tape.dense(h, weight: parameter("f1"), bias: parameter("f1.bias"), name: "f1"), name: "r7")
            let logits = try tape.dense(h, weight: parameter("f2"), bias: parameter("f2.bias"), name: "f2")
            return (x, logits, Self.layers.flatMap { [variables[$0.0]!, variables[$0.0 + ".bias"]!] })
        }
    }

    static func ruleSets() throws -> [(String, BackwardRules)] {
        let rectGrad = try RectGradRule()
        let absolute = try RectGradRule(percentile: 90, importance: .absolute)
        return [
            ("gradient", .gradient),
            ("guided", BackwardRules(activation: GuidedBackpropRule())),
            ("rectgrad", BackwardRules(activation: rectGrad, masksConvolutionBorder: true)),
            ("rectgrad absolute", BackwardRules(activation: absolute, masksConvolutionBorder: true, maxPool: .proportional)),
        ]
    }

    @Test("a network's logits, input gradients under every rule and weight gradients", arguments: [1, 2])
    func network(batch: Int) throws {
        let network = Network(seed: 7)
        let input = Tensor.randomNormal([batch, 16, 48, 48], seed: 8 &+ UInt64(batch))
        try Self.expectIndependentOfWorkers { workers in
            let tape = Tape(workers: workers)
            let recorded = try network.record(input, on: tape)
            let logits = try tape.value(recorded.logits)
            var seed = Tensor.zeros(logits.shape)
            seed.withUnsafeMutableBufferPointer { s in for row in 0..<batch { s[row * 10 + (3 * row + 1) % 10] = 1 } }
            var results = [("logits", logits)]
            for (name, rules) in try Self.ruleSets() {
                let gradient = try tape.backward(from: recorded.logits, seed: seed, withRespectTo: [recorded.input], rules: rules)
                results.append(("input gradient under \(name)", try #require(gradient[recorded.input])))
            }
            let loss = try tape.softmaxCrossEntropy(recorded.logits, labels: Array(0..<batch))
            let training = try tape.backward(from: loss, withRespectTo: recorded.parameters)
            for (index, variable) in recorded.parameters.enumerated() {
                results.append(("loss gradient of parameter \(index)", try #require(training[variable])))
            }
            return results
        }
    }

    /// Integrated gradients as the attribution module computes it: the gradient at points on the
    /// path from a baseline, averaged and multiplied by `x − baseline`, in batches of path points.
    @Test("integrated gradients along a path of 8 points, 4 points per batch")
    func integratedGradients() throws {
        let network = Network(seed: 9)
        let x = Tensor.randomNormal([1, 16, 48, 48], seed: 10)
        let steps = 8, perBatch = 4
        try Self.expectIndependentOfWorkers { workers in
            var total = Tensor.zeros(x.shape)
            for first in stride(from: 0, to: steps, by: perBatch) {
                let points = try Tensor.concatenate((first..<(first + perBatch)).map { x.scaled(by: (Float($0) + 0.5) / Float(steps), workers: workers) })
                let tape = Tape(workers: workers)
                let recorded = try network.record(points, on: tape)
                var seed = Tensor.zeros(try tape.shape(recorded.logits))
                seed.withUnsafeMutableBufferPointer { s in for row in 0..<perBatch { s[row * 10 + 4] = 1 } }
                let gradient = try #require(try tape.backward(from: recorded.logits, seed: seed, withRespectTo: [recorded.input])[recorded.input])
                for row in 0..<perBatch { try total.add(gradient.example(row).reshaped(x.shape), workers: workers) }
            }
            return [("integrated gradients", try total.multiplying(x, workers: workers).scaled(by: 1 / Float(steps), workers: workers))]
        }
    }
}
