import Benchmark
import BenchmarkSupport
import RectGradAttribution
import RectGradCore
import RectGradLayers
import RectGradZoo

/// Attribution passes of zoo networks (He-initialised weights): saliency, guided backprop and
/// RectGrad (q = 98, with the padding rule) on vgg16, resnet50 and efficientnet-lite0 at batch 1
/// (224×224) and cifar-cnn at batch 100 (32×32). Each iteration is one `Network.attribute` call —
/// a recorded forward pass, the predicted classes as targets, one backward pass — as the PyTorch
/// peer `Benchmarks/peer/pytorch_attribution.py` times it.
///
/// `session` benchmarks run four rule-based methods (saliency, guided backprop, DeconvNet,
/// RectGrad) on vgg16, once as four separate `attribute` calls (four forward passes) and once on
/// one `AttributionSession` (one recorded forward pass, four backward passes).
let benchmarks: @Sendable () -> Void = {
    // The spec's defaults are valid parameters.
    guard let rectGrad = try? AttributionMethod.rectGrad() else { return }
    let cases: [(model: String, batch: Int)] = [("vgg16", 1), ("resnet50", 1), ("efficientnet-lite0", 1), ("cifar-cnn", 100)]
    let methods: [(name: String, method: AttributionMethod)] = [
        ("saliency", .saliency), ("guided-backprop", .guidedBackprop), ("rectgrad", rectGrad),
    ]
    let configuration = configuration(maxDuration: .seconds(20), maxIterations: 20, extraMetrics: [])
    for (model, batch) in cases {
        guard let entry = try? Zoo.entry(named: model), let network = try? entry.network(seed: 1) else { continue }
        let size = entry.preprocessing.inputSize
        let input = seededTensor([batch, 3, size.height, size.width], seed: 7)
        for (name, method) in methods {
            Benchmark("\(name) \(model) batch \(batch)", configuration: configuration) { benchmark in
                for _ in benchmark.scaledIterations {
                    blackHole(try network.attribute(input, method: method))
                }
            }
        }
        guard model == "vgg16" else { continue }
        let four: [AttributionMethod] = [.saliency, .guidedBackprop, .deconvNet, rectGrad]
        Benchmark("session \(model): 4 methods, 4 forward passes", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                for method in four { blackHole(try network.attribute(input, method: method)) }
            }
        }
        Benchmark("session \(model): 4 methods, 1 forward pass", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try AttributionSession(network: network, input: input).attribute(four))
            }
        }
    }
}
