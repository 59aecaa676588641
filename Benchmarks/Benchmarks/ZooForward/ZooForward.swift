import Benchmark
import BenchmarkSupport
import RectGradCore
import RectGradLayers
import RectGradZoo

/// Forward passes of zoo networks (He-initialised weights, recorded on a fresh tape as every
/// attribution does): vgg16, resnet50 and efficientnet-lite0 at batch 1 (224×224), cifar-cnn at
/// batch 100 (32×32). The PyTorch peer is `Benchmarks/peer/pytorch_forward.py`.
let benchmarks: @Sendable () -> Void = {
    let cases: [(model: String, batch: Int)] = [("vgg16", 1), ("resnet50", 1), ("efficientnet-lite0", 1), ("cifar-cnn", 100)]
    for (model, batch) in cases {
        guard let entry = try? Zoo.entry(named: model), let network = try? entry.network(seed: 1) else { continue }
        let size = entry.preprocessing.inputSize
        let input = seededTensor([batch, 3, size.height, size.width], seed: 7)
        let configuration = configuration(maxDuration: .seconds(20), maxIterations: 20, extraMetrics: [])
        Benchmark("forward \(model) batch \(batch)", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try network.logits(for: input))
            }
        }
    }
}
