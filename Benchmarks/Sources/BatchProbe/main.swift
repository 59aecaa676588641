import BenchmarkSupport
import Foundation
import RectGradAttribution
import RectGradCore
import RectGradLayers
import RectGradZoo
#if canImport(Glibc)
import Glibc
#endif

// Where a batch's extra cost per image goes: `BatchProbe MODEL BATCH [threads] [repeats]` times
// every distinct convolution of the model (forward and gradient to the input) at batch 1 and at
// BATCH and prints the per-image time of each, then whole passes (saliency, RectGrad) with the
// minor page faults each pass takes (getrusage).

usleep(300_000)
let arguments = CommandLine.arguments
let model = arguments.count > 1 ? arguments[1] : "resnet50"
let batch = arguments.count > 2 ? Int(arguments[2]) ?? 8 : 8
let threads = arguments.count > 3 ? Int(arguments[3]) ?? 2 : 2
let repeats = arguments.count > 4 ? Int(arguments[4]) ?? 3 : 3
let only = arguments.count > 5 ? arguments[5] : "all"
let workers = Workers(count: threads)
let buffers: TensorBufferPool? = arguments.contains("--no-pool") ? nil : TensorBufferPool()

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) * 1000
}

func best(_ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<repeats { times.append(try milliseconds(body)) }
    return times.min() ?? 0
}

func minorFaults() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_minflt
}

struct ConvolutionSite: Hashable {
    let inputShape: [Int]
    let weightShape: [Int]
    let geometry: Convolution2DGeometry
}

/// Records every convolution's input shape (batch 1) with a recursive walk of the network.
final class Collector {
    var counts: [ConvolutionSite: Int] = [:]
    var order: [ConvolutionSite] = []
    var weights: [ConvolutionSite: Tensor] = [:]

    func forward(_ layer: any Layer, _ x: Variable, on tape: Tape) throws -> Variable {
        if let sequence = layer as? Sequential {
            var y = x
            for inner in sequence.layers { y = try forward(inner, y, on: tape) }
            return y
        }
        if let residual = layer as? Residual {
            let main = try forward(residual.body, x, on: tape)
            let skip = try residual.shortcut.map { try forward($0, x, on: tape) } ?? x
            let sum = try tape.add(main, skip)
            return try residual.activation.map { try forward($0, sum, on: tape) } ?? sum
        }
        if let conv = layer as? Conv2D {
            let site = ConvolutionSite(inputShape: try tape.shape(x), weightShape: conv.weight.shape, geometry: conv.geometry)
            if counts[site] == nil { order.append(site); weights[site] = conv.weight }
            counts[site, default: 0] += 1
        }
        return try layer.forward(x, on: tape)
    }
}

let entry = try Zoo.entry(named: model)
let network = try entry.network(seed: 1)
let size = entry.preprocessing.inputSize
if only == "all" || only == "conv" {
    let collector = Collector()
    let tape = Tape(workers: workers)
    _ = try collector.forward(network.body, tape.input(seededTensor([1, 3, size.height, size.width], seed: 7)), on: tape)
    var total1 = 0.0, totalB = 0.0
    print("site | count | fwd ms/img b1 | fwd ms/img b\(batch) | bwd-in ms/img b1 | bwd-in ms/img b\(batch)")
    for site in collector.order {
        guard let weight = collector.weights[site], let count = collector.counts[site] else { continue }
        var row: [Double] = []
        for b in [1, batch] {
            var shape = site.inputShape
            shape[0] = b
            let x = seededTensor(shape, seed: 3)
            let y = try Convolution2D.forward(input: x, weight: weight, bias: nil, geometry: site.geometry, workers: workers)
            row.append(try best { _ = try Convolution2D.forward(input: x, weight: weight, bias: nil, geometry: site.geometry, workers: workers) } / Double(b))
            row.append(try best { _ = try Convolution2D.backwardInput(outputGradient: y, weight: weight, inputShape: shape, geometry: site.geometry, workers: workers) } / Double(b))
        }
        total1 += Double(count) * (row[0] + row[1])
        totalB += Double(count) * (row[2] + row[3])
        let flag = row[2] + row[3] > 1.1 * (row[0] + row[1]) ? "  <<" : ""
        print("\(site.inputShape.dropFirst()) w\(site.weightShape) \(site.geometry) | \(count) | \(formatted(row[0], digits: 2)) | \(formatted(row[2], digits: 2)) | \(formatted(row[1], digits: 2)) | \(formatted(row[3], digits: 2))\(flag)")
    }
    print("convolutions, weighted by count: \(formatted(total1, digits: 1)) ms/img at batch 1, \(formatted(totalB, digits: 1)) ms/img at batch \(batch)")
}
if only == "all" || only == "pass" {
    let rectGrad = try AttributionMethod.rectGrad()
    for (name, method) in [("saliency", AttributionMethod.saliency), ("rectgrad", rectGrad)] {
        for b in [1, batch] {
            let input = seededTensor([b, 3, size.height, size.width], seed: 7)
            var times: [Double] = [], faults: [Int] = []
            for _ in 0..<(repeats + 1) {
                let before = minorFaults()
                times.append(try milliseconds { _ = try AttributionSession(network: network, input: input, workers: workers, buffers: buffers).attribute(method) })
                faults.append(minorFaults() - before)
            }
            print("\(name) batch \(b): ms/img \(times.map { formatted($0 / Double(b), digits: 1) }) minor faults/pass \(faults)")
        }
    }
}
