import Benchmark
import BenchmarkSupport
import RectGradAttribution
import RectGradCore
import RectGradLayers
import RectGradZoo

/// Attribution passes of zoo networks (He-initialised weights): saliency, guided backprop and
/// RectGrad (q = 98, padding rule) — each one forward pass recorded on a tape and one backward —
/// for vgg16, resnet50 and efficientnet-lite0 at batch 1 (224×224) and cifar-cnn at batch 100, and
/// one forward replayed under six rules against six separate passes. The PyTorch peer is
/// `Benchmarks/peer/pytorch_attribution.py`.
let benchmarks: @Sendable () -> Void = {
    let cases: [(model: String, batch: Int)] = [("vgg16", 1), ("resnet50", 1), ("efficientnet-lite0", 1), ("cifar-cnn", 100)]
    let methods: [(name: String, method: AttributionMethod)] = [
        ("saliency", .saliency), ("guided-backprop", .guidedBackprop), ("rectgrad", .rectGrad()),
    ]
    let many: [AttributionMethod] = [.saliency, .gradientTimesInput, .guidedBackprop, .deconvNet, .rectGrad(), .epsilonLRP()]
    for (model, batch) in cases {
        guard let entry = try? Zoo.entry(named: model), let network = try? entry.network(seed: 1) else { continue }
        let size = entry.preprocessing.inputSize
        let input = seededTensor([batch, 3, size.height, size.width], seed: 7)
        let configuration = configuration(maxDuration: .seconds(20), maxIterations: 20, extraMetrics: [])
        for (name, method) in methods {
            Benchmark("\(name) \(model) batch \(batch)", configuration: configuration) { benchmark in
                for _ in benchmark.scaledIterations {
                    blackHole(try network.attribute(input, method: method).map)
                }
            }
        }
        Benchmark("one forward, \(many.count) backwards \(model) batch \(batch)", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                let session = try AttributionSession(network: network, input: input)
                blackHole(try session.attribute(many).map(\.map))
            }
        }
        Benchmark("\(many.count) separate passes \(model) batch \(batch)", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                for method in many { blackHole(try network.attribute(input, method: method).map) }
            }
        }
    }
}
