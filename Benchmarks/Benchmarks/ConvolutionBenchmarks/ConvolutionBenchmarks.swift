import Benchmark
import BenchmarkSupport
import RectGradCore

/// The targets: a 3×3, padding-1 convolution at ≥ 140 GFLOP/s (2 · MACs of the direct
/// algorithm over the wall-clock time, batch 1), forward and backward to the input.
let benchmarks: @Sendable () -> Void = {
    for layer in VGGConvolution.targets {
        let input = seededTensor(layer.inputShape, seed: 1, range: 0...2)
        let weight = seededTensor(layer.weightShape, seed: 2, range: -0.05...0.05)
        let outputGradient = seededTensor(layer.inputShape, seed: 3)

        Benchmark("conv3x3 forward \(layer)", configuration: configuration()) { benchmark in
            try measureGigaflops(benchmark, flops: layer.flops) {
                blackHole(try Convolution2D.forward(input: input, weight: weight, bias: nil, geometry: layer.geometry))
            }
        }

        Benchmark("conv3x3 backward-input \(layer)", configuration: configuration()) { benchmark in
            try measureGigaflops(benchmark, flops: layer.flops) {
                blackHole(try Convolution2D.backwardInput(outputGradient: outputGradient, weight: weight,
                                                          inputShape: layer.inputShape, geometry: layer.geometry))
            }
        }
    }
}
