import Benchmark
import BenchmarkSupport
import RectGradCore

/// RectGrad thresholds each activation's importance scores at a percentile. At VGG-16's first
/// layer that is a selection among 64 × 224 × 224 = 3,211,264 values, taken inside a backward
/// pass whose first step back is the 64→64 @224 convolution's gradient to the input; the
/// selection should cost under a tenth of that convolution. The whole rule (threshold and mask,
/// one fused pass) is measured next to the plain gradient rule.
let benchmarks: @Sendable () -> Void = {
    let layer = VGGConvolution(channels: 64, size: 224)
    let scores = seededTensor(layer.inputShape, seed: 5).scalars

    Benchmark("percentile q=98 nearest, 3,211,264 values", configuration: configuration(extraMetrics: [])) { benchmark in
        // Selection permutes its argument: every run gets a fresh copy, made outside the measurement.
        var values = scores
        benchmark.startMeasurement()
        blackHole(Percentile.value(of: &values, percentile: 98, interpolation: .nearestFloat32))
        benchmark.stopMeasurement()
    }

    // The whole rule at that layer: threshold and mask (one fused pass), next to the plain gradient.
    let activation = seededTensor(layer.inputShape, seed: 8, range: 0...1)
    let upstream = seededTensor(layer.inputShape, seed: 9)
    let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
    let ruleInput = ActivationBackwardInput(preActivation: activation, output: activation, upstream: upstream, site: site)
    if let rule = try? RectGradRule() {
        Benchmark("rectgrad rule q=98 (threshold and mask), 3,211,264 units", configuration: configuration(extraMetrics: [])) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try rule.backward(ruleInput)) }
        }
    }
    Benchmark("reference: gradient rule, 3,211,264 units", configuration: configuration(extraMetrics: [])) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try GradientRule().backward(ruleInput)) }
    }

    let weight = seededTensor(layer.weightShape, seed: 2, range: -0.05...0.05)
    let outputGradient = seededTensor(layer.inputShape, seed: 3)
    Benchmark("reference: conv3x3 backward-input \(layer)", configuration: configuration()) { benchmark in
        try measureGigaflops(benchmark, flops: layer.flops) {
            blackHole(try Convolution2D.backwardInput(outputGradient: outputGradient, weight: weight,
                                                      inputShape: layer.inputShape, geometry: layer.geometry))
        }
    }
}
