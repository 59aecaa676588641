import BenchmarkSupport
import Foundation
import RectGradAttribution
import RectGradCore
import RectGradFormats
import RectGradLayers
import RectGradONNX
import RectGradZoo
#if canImport(Glibc)
import Glibc
#endif

// A warm process that times whole-network passes on request, so that a driver
// (`Benchmarks/ratios.py`) can alternate it with its PyTorch peer (`Benchmarks/peer/pytorch_server.py`)
// in many short rounds:
//
//     PassServer --threads N
//     stdin:  MODEL PASS BATCH REPEATS     (one request per line; `quit` ends)
//     stdout: ok MS MS … faults F F …      (per repeat, after one warm-up pass: the wall-clock time,
//                                           then the minor page faults the pass took, getrusage)
//             error MESSAGE
//
// PASS is forward, saliency, guided-backprop, rectgrad (q = 98, the paper's defaults) or session
// (saliency, guided backprop, RectGrad and DeconvNet from one recorded forward pass). MODEL is a zoo
// name (seeded random weights: the time does not depend on them), `NAME@WEIGHTS.safetensors` (the
// zoo model with that file's weights) or a path ending in `.onnx` (the imported model, batch norm
// folded, as `rectgrad --model FILE.onnx` runs it). Networks are built once per model. Every
// pass takes its large buffers from one pool kept for the process (`TensorBufferPool`), as the
// `rectgrad` command does; `--no-pool` gives each pass a pool of its own (the memory of a pass is
// then returned to the C library's allocator at its end).

let arguments = CommandLine.arguments
var threadCount = ProcessInfo.processInfo.activeProcessorCount
if let flag = arguments.firstIndex(of: "--threads"), flag + 1 < arguments.count, let value = Int(arguments[flag + 1]), value >= 1 {
    threadCount = value
}
let workers = Workers(count: threadCount)
let buffers: TensorBufferPool? = arguments.contains("--no-pool") ? nil : TensorBufferPool()
let rectGrad = try AttributionMethod.rectGrad()
var networks: [String: (Network, Size2D)] = [:]

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) * 1000
}

func pass(_ name: String, network: Network, input: Tensor) throws -> () throws -> Void {
    switch name {
    case "forward": return { _ = try network.logits(for: input, workers: workers, buffers: buffers) }
    case "saliency": return { _ = try AttributionSession(network: network, input: input, workers: workers, buffers: buffers).attribute(.saliency) }
    case "guided-backprop": return { _ = try AttributionSession(network: network, input: input, workers: workers, buffers: buffers).attribute(.guidedBackprop) }
    case "rectgrad": return { _ = try AttributionSession(network: network, input: input, workers: workers, buffers: buffers).attribute(rectGrad) }
    case "session":
        return {
            _ = try AttributionSession(network: network, input: input, workers: workers, buffers: buffers)
                .attribute([.saliency, .guidedBackprop, rectGrad, .deconvNet])
        }
    default: throw PassServerError(message: "unknown pass '\(name)'")
    }
}

struct PassServerError: Error { var message: String }

/// The network of a MODEL field and its input size: a zoo name, `NAME@WEIGHTS.safetensors` or a
/// path ending in `.onnx`.
func loadNetwork(_ spec: String) throws -> (Network, Size2D) {
    if spec.lowercased().hasSuffix(".onnx") {
        let imported = try ONNXImporter.importModel(contentsOf: URL(fileURLWithPath: spec), options: ONNXImportOptions(workers: workers))
        return (imported.model.network, imported.model.network.inputSize)
    }
    let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
    let entry = try Zoo.entry(named: parts[0])
    if parts.count == 2 {
        let file = try SafetensorsFile.read(contentsOf: URL(fileURLWithPath: parts[1]))
        return (try entry.network(weights: file, source: parts[1]), entry.preprocessing.inputSize)
    }
    return (try entry.network(seed: 1), entry.preprocessing.inputSize)
}

/// Minor page faults of the process so far.
func minorFaults() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_minflt
}

// OpenBLAS polls with its own threads for about 0.1 s after it loads; let that pass first.
usleep(300_000)
/// Writes one line to standard output, unbuffered (the driver waits for it).
func reply(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

reply("ready \(workers.count) workers")
while let line = readLine() {
    let fields = line.split(separator: " ").map(String.init)
    if fields == ["quit"] { break }
    do {
        guard fields.count == 4, let batch = Int(fields[2]), let repeats = Int(fields[3]), batch >= 1, repeats >= 1 else {
            throw PassServerError(message: "expected 'MODEL PASS BATCH REPEATS', got '\(line)'")
        }
        let model = fields[0]
        if networks[model] == nil { networks[model] = try loadNetwork(model) }
        guard let (network, size) = networks[model] else { throw PassServerError(message: "no network \(model)") }
        let input = seededTensor([batch, 3, size.height, size.width], seed: 7)
        let body = try pass(fields[1], network: network, input: input)
        try body()  // warm-up
        var times: [String] = [], faults: [String] = []
        for _ in 0..<repeats {
            let before = minorFaults()
            times.append(String(format: "%.3f", try milliseconds(body)))
            faults.append(String(minorFaults() - before))
        }
        reply("ok " + times.joined(separator: " ") + " faults " + faults.joined(separator: " "))
    } catch let error as PassServerError {
        reply("error \(error.message)")
    } catch {
        reply("error \(error)")
    }
}
