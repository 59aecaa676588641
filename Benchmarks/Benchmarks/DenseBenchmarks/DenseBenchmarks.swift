import Benchmark
import BenchmarkSupport
import RectGradCore

/// VGG-16's classifier layers at batch 1 (matrix–vector products, bound by reading the weights).
let benchmarks: @Sendable () -> Void = {
    let layers: [(inputs: Int, outputs: Int)] = [(25_088, 4_096), (4_096, 4_096), (4_096, 1_000)]
    for layer in layers {
        let input = seededTensor([1, layer.inputs], seed: 1, range: 0...2)
        let weight = seededTensor([layer.outputs, layer.inputs], seed: 2, range: -0.01...0.01)
        let bias = seededTensor([layer.outputs], seed: 3)
        let outputGradient = seededTensor([1, layer.outputs], seed: 4)
        let flops = 2 * Double(layer.inputs * layer.outputs)
        let name = "\(layer.inputs)→\(layer.outputs) (\(formatted(flops / 1e6, digits: 1)) MFLOP)"

        Benchmark("dense forward \(name)", configuration: configuration()) { benchmark in
            try measureGigaflops(benchmark, flops: flops) {
                blackHole(try Dense.forward(input: input, weight: weight, bias: bias))
            }
        }

        Benchmark("dense backward-input \(name)", configuration: configuration()) { benchmark in
            try measureGigaflops(benchmark, flops: flops) {
                blackHole(try Dense.backwardInput(outputGradient: outputGradient, weight: weight))
            }
        }
    }
}
