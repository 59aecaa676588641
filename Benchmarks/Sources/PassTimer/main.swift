import BenchmarkSupport
import Foundation
import RectGradAttribution
import RectGradCore
import RectGradLayers
import RectGradZoo

// Times whole-network passes without the benchmark harness (quick to build and to run under a
// profiler): `PassTimer [model] [what] [repeats]` where `what` is forward, saliency,
// guided-backprop, rectgrad, all or session; `thread` times the passes from a non-main thread.

// OpenBLAS polls with its own threads for about 0.1 s after it loads; let that pass first.
usleep(300_000)
let arguments = CommandLine.arguments
let models = arguments.count > 1 && arguments[1] != "all" ? [arguments[1]] : ["vgg16", "resnet50", "efficientnet-lite0", "cifar-cnn"]
let what = arguments.count > 2 ? arguments[2] : "all"
let repeats = arguments.count > 3 ? Int(arguments[3]) ?? 5 : 5
/// RectGrad with the spec's defaults.
let rectGrad = try AttributionMethod.rectGrad()

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) * 1000
}

func time(_ label: String, _ body: () throws -> Void) rethrows {
    try body()
    var times: [Double] = []
    for _ in 0..<repeats { times.append(try milliseconds(body)) }
    times.sort()
    print("\(label): median \(formatted(times[times.count / 2], digits: 1)) ms, min \(formatted(times[0], digits: 1)) ms")
}

/// Forward time per kind of leaf layer, accumulated over a recursive walk of the network.
final class LayerProfile {
    var totals: [String: Double] = [:]
    var order: [String] = []

    func add(_ key: String, _ ms: Double) {
        if totals[key] == nil { order.append(key) }
        totals[key, default: 0] += ms
    }

    func key(_ layer: any Layer) -> String {
        if let conv = layer as? Conv2D {
            let w = conv.weight.shape
            let g = conv.geometry
            if g.groups > 1 { return "conv depthwise \(w[2])x\(w[3]) s\(g.stride.height)" }
            return "conv \(w[2])x\(w[3]) s\(g.stride.height)"
        }
        return String(describing: type(of: layer))
    }

    func forward(_ layer: any Layer, _ x: Variable, on tape: Tape) throws -> Variable {
        if let sequence = layer as? Sequential {
            var y = x
            for inner in sequence.layers { y = try forward(inner, y, on: tape) }
            return y
        }
        if let residual = layer as? Residual {
            let main = try forward(residual.body, x, on: tape)
            let skip = try residual.shortcut.map { try forward($0, x, on: tape) } ?? x
            var sum = x
            add("add", try milliseconds { sum = try tape.add(main, skip) })
            return try residual.activation.map { try forward($0, sum, on: tape) } ?? sum
        }
        var y = x
        add(key(layer), try milliseconds { y = try layer.forward(x, on: tape) })
        return y
    }
}

/// Compares the percentile selection with a full sort on many arrays (a quick self-check).
func checkPercentiles() throws {
    var generator = SeededGenerator(seed: 5)
    var failures = 0, cases = 0
    let sizes = [2048, 2049, 3000, 5000, 16384, 32768, 50000, 100_003, 401_408, 1_000_000]
    let qs: [Double] = [0, 0.5, 2, 10, 50, 90, 98, 99.5, 100]
    for n in sizes {
        for kind in 0..<7 {
            var values = [Float](repeating: 0, count: n)
            for i in 0..<n {
                let u = Float(generator.next() % 1_000_000) / 1_000_000
                switch kind {
                case 0: values[i] = u
                case 1: values[i] = generator.next() % 3 == 0 ? u : 0           // many zeros
                case 2: values[i] = 0.5                                       // all equal
                case 3: values[i] = Float(i % 2)                              // two values
                case 4: values[i] = (u * 8).rounded() / 8                     // few values
                case 5: values[i] = generator.next() % 50 == 0 ? (u > 0.5 ? .infinity : -.infinity) : u - 0.5
                default: values[i] = Float(i) / Float(n)                      // sorted (a biased systematic sample)
                }
            }
            let sorted = values.sorted()
            for q in qs {
                var scratch = values
                let actual = Percentile.value(of: &scratch, percentile: q, interpolation: .nearestFloat32)
                let expected = sorted[n - 1 - Percentile.nearestDescendingIndex(count: n, percentile: q)]
                cases += 1
                if actual != expected { failures += 1; print("FAIL n \(n) kind \(kind) q \(q): \(actual) vs \(expected)") }
            }
            // RectGrad's thresholds over a·R with a = |value|, R = ±1.
            let a = values.map { $0.isFinite ? abs($0) : 1 }
            let r = (0..<n).map { _ in Float(generator.next() % 2 == 0 ? 1 : -1) }
            let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
            for importance in ImportanceScore.allCases {
                let input = ActivationBackwardInput(preActivation: try Tensor(shape: [1, n], scalars: a), output: try Tensor(shape: [1, n], scalars: a), upstream: try Tensor(shape: [1, n], scalars: r), site: site)
                let scores = zip(a, r).map { importance == .absolute ? abs($0 * $1) : $0 * $1 }.sorted()
                for q in qs {
                    let rule = try RectGradRule(percentile: q, importance: importance)
                    let actual = try rule.thresholds(input)[0]
                    let expected = scores[n - 1 - Percentile.nearestDescendingIndex(count: n, percentile: q)]
                    cases += 1
                    if actual != expected { failures += 1; print("FAIL rectgrad n \(n) kind \(kind) q \(q) \(importance): \(actual) vs \(expected)") }
                }
            }
        }
    }
    // RectGrad's backward against a sort-based mask, one and several examples.
    for (batch, units) in [(1, 2047), (1, 5000), (1, 100_003), (1, 802_816), (8, 4096), (8, 30_000)] {
        for kind in 0..<6 {
            let count = batch * units
            var a = [Float](repeating: 0, count: count), r = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let u = Float(generator.next() % 1_000_000) / 1_000_000
                switch kind {
                case 0: a[i] = u; r[i] = Float(generator.next() % 2000) / 1000 - 1
                case 1: a[i] = generator.next() % 4 == 0 ? u : 0; r[i] = 1                      // many zeros
                case 2: a[i] = (u * 4).rounded() / 4; r[i] = generator.next() % 2 == 0 ? 1 : -1 // few values
                case 3: a[i] = 1; r[i] = 0.5                                                    // all equal
                case 4: a[i] = i % 97 == 0 ? .infinity : u; r[i] = 1                             // infinities
                default: a[i] = i % (units / 50 + 1) == 0 ? 2 : u; r[i] = 1                     // a tie at the top
                }
            }
            let shape = [batch, units]
            let z = try Tensor(shape: shape, scalars: a)
            let input = ActivationBackwardInput(preActivation: z, output: z, upstream: try Tensor(shape: shape, scalars: r), site: ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu))
            for importance in ImportanceScore.allCases {
                for q in [0.0, 50, 90, 98, 100] {
                    let rule = try RectGradRule(percentile: q, importance: importance)
                    let actual = try rule.backward(input).scalars
                    var expected = [Float](repeating: 0, count: count)
                    for example in 0..<batch {
                        let range = (example * units)..<((example + 1) * units)
                        let scores = range.map { importance == .absolute ? abs(a[$0] * r[$0]) : a[$0] * r[$0] }
                        let t = scores.sorted()[units - 1 - Percentile.nearestDescendingIndex(count: units, percentile: q)]
                        for (j, i) in range.enumerated() where scores[j] > t { expected[i] = r[i] }
                    }
                    cases += 1
                    if actual != expected {
                        failures += 1
                        print("FAIL backward batch \(batch) units \(units) kind \(kind) q \(q) \(importance): \(zip(actual, expected).filter { $0 != $1 }.count) differ")
                    }
                }
            }
        }
    }
    // 2×2 max pooling (vector path) against the window rule: first maximum in row-major order,
    // the first NaN wins.
    for (height, width) in [(2, 2), (5, 7), (8, 34), (33, 49), (16, 64)] {
        for kind in 0..<3 {
            let count = 3 * height * width
            let values: [Float] = (0..<count).map { _ in
                let u = generator.next() % 8
                switch kind {
                case 0: return Float(u)                                   // many ties
                case 1: return u == 0 ? .nan : Float(generator.next() % 1000) // NaNs
                default: return u == 0 ? -.infinity : Float(u) - 4
                }
            }
            let x = try Tensor(shape: [1, 3, height, width], scalars: values)
            let pooled = try Pooling2D.maxPool(x, geometry: Pooling2DGeometry(kernel: 2))
            let outH = height / 2, outW = width / 2
            var ok = pooled.output.shape == [1, 3, outH, outW]
            for plane in 0..<3 where ok {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var best = Float.nan, bestIndex = -1
                        for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                            let index = (2 * oy + dy) * width + 2 * ox + dx
                            let value = values[plane * height * width + index]
                            if bestIndex < 0 { best = value; bestIndex = index; if value.isNaN { break }; continue }
                            if value.isNaN { best = value; bestIndex = index; break }
                            if value > best { best = value; bestIndex = index }
                        }
                        let o = (plane * outH + oy) * outW + ox
                        let actual = pooled.output.scalars[o]
                        if !(actual == best || (actual.isNaN && best.isNaN)) || pooled.argmax[o] != Int32(bestIndex) { ok = false }
                    }
                }
            }
            cases += 1
            if !ok { failures += 1; print("FAIL max pool \(height)x\(width) kind \(kind)") }
        }
    }
    // Depthwise convolutions against direct loops in the same order (forward: taps row by row;
    // gradient to the input: output row, kernel row, kernel column).
    for (size, kernel, stride, padding) in [(7, 3, 1, 1), (8, 3, 2, 1), (15, 5, 2, 2), (17, 5, 1, 2), (33, 3, 2, 1), (40, 3, 1, 0), (9, 5, 2, 1), (112, 3, 2, 1), (14, 5, 1, 2)] {
        let channels = 3
        let x = seededTensor([2, channels, size, size], seed: UInt64(size), range: -2...2)
        let w = seededTensor([channels, 1, kernel, kernel], seed: 11, range: -1...1)
        let geometry = Convolution2DGeometry(stride: .square(stride), padding: .square(padding), groups: channels)
        let y = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: geometry)
        let outSize = y.shape[2]
        var expected = [Float](repeating: 0, count: y.count)
        for plane in 0..<(2 * channels) {
            let c = plane % channels
            for oy in 0..<outSize {
                for ox in 0..<outSize {
                    var sum: Float = 0
                    for ki in 0..<kernel {
                        let iy = oy * stride - padding + ki
                        if iy < 0 || iy >= size { continue }
                        for kj in 0..<kernel {
                            let ix = ox * stride - padding + kj
                            if ix < 0 || ix >= size { continue }
                            sum += w.scalars[c * kernel * kernel + ki * kernel + kj] * x.scalars[(plane * size + iy) * size + ix]
                        }
                    }
                    expected[(plane * outSize + oy) * outSize + ox] = sum
                }
            }
        }
        cases += 1
        if y.scalars != expected { failures += 1; print("FAIL depthwise forward \(size) k\(kernel) s\(stride) p\(padding)") }
        let dy = seededTensor(y.shape, seed: 12, range: -1...1)
        let dx = try Convolution2D.backwardInput(outputGradient: dy, weight: w, inputShape: x.shape, geometry: geometry)
        var expectedDx = [Float](repeating: 0, count: x.count)
        for plane in 0..<(2 * channels) {
            let c = plane % channels
            for oy in 0..<outSize {
                for ki in 0..<kernel {
                    let iy = oy * stride - padding + ki
                    if iy < 0 || iy >= size { continue }
                    for kj in 0..<kernel {
                        for ox in 0..<outSize {
                            let ix = ox * stride - padding + kj
                            if ix < 0 || ix >= size { continue }
                            expectedDx[(plane * size + iy) * size + ix] += w.scalars[c * kernel * kernel + ki * kernel + kj] * dy.scalars[(plane * outSize + oy) * outSize + ox]
                        }
                    }
                }
            }
        }
        cases += 1
        if dx.scalars != expectedDx { failures += 1; print("FAIL depthwise backward \(size) k\(kernel) s\(stride) p\(padding): \(zip(dx.scalars, expectedDx).filter { $0 != $1 }.count) differ") }
    }
    print("percentile check: \(failures) failures in \(cases) cases")
}

if what == "check" { try checkPercentiles() }
if what == "depthwise" {
    for (channels, size, kernel, stride) in [(96, 112, 3, 2), (144, 56, 3, 1), (240, 28, 5, 1), (480, 14, 5, 1), (672, 14, 5, 2), (1152, 7, 5, 1)] {
        let geometry = Convolution2DGeometry(stride: .square(stride), padding: .square(kernel / 2), groups: channels)
        let x = seededTensor([1, channels, size, size], seed: 3)
        let w = seededTensor([channels, 1, kernel, kernel], seed: 4)
        let y = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: geometry)
        try time("depthwise \(channels) @\(size) k\(kernel) s\(stride) forward") { _ = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: geometry) }
        try time("depthwise \(channels) @\(size) k\(kernel) s\(stride) backward-input") { _ = try Convolution2D.backwardInput(outputGradient: y, weight: w, inputShape: x.shape, geometry: geometry) }
    }
}
if what == "info" {
    let before = BLAS.threadCount
    _ = try Tensor(repeating: 1, shape: [64, 64]).matmul(Tensor(repeating: 1, shape: [64, 64]))
    print("OpenBLAS core: \(BLAS.coreName)")
    print("OpenBLAS threads: \(before) at start, \(BLAS.threadCount) after a product (the kernels set one thread only while they run, and split products across their own workers)")
    print("kernel workers: \(Workers.default.count) (Workers.default)")
}

/// Times the percentile selection next to the convolution gradient it runs after.
func timePercentile() throws {
    let scores = seededTensor([1, 64, 224, 224], seed: 5).scalars
    try time("percentile q=98 nearest, 3,211,264 values") {
        var values = scores
        _ = Percentile.value(of: &values, percentile: 98, interpolation: .nearestFloat32)
    }
    let a = seededTensor([1, 64, 224, 224], seed: 8, range: 0...1)
    let r = seededTensor([1, 64, 224, 224], seed: 9)
    let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
    let input = ActivationBackwardInput(preActivation: a, output: a, upstream: r, site: site)
    let rule = try RectGradRule()
    try time("rectgrad thresholds 64x224x224") { _ = try rule.thresholds(input) }
    try time("rectgrad backward 64x224x224") { _ = try rule.backward(input) }
    try time("gradient rule backward 64x224x224") { _ = try GradientRule().backward(input) }
    let weight = seededTensor([64, 64, 3, 3], seed: 2, range: -0.05...0.05)
    try time("conv 64->64 @224 backward-input") {
        _ = try Convolution2D.backwardInput(outputGradient: r, weight: weight, inputShape: [1, 64, 224, 224], geometry: .init(padding: 1))
    }
}

if what == "percentile" { try timePercentile() }
if what == "selection-sizes" {
    for n in [65_536, 262_144, 1_048_576, 3_211_264] {
        let scores = seededTensor([n], seed: 5).scalars
        try time("percentile q=98 nearest, \(n) values") {
            var values = scores
            _ = Percentile.value(of: &values, percentile: 98, interpolation: .nearestFloat32)
        }
    }
}
if what == "bandwidth" {
    for n in [262_144, 3_211_264, 12_845_056] {
        let x = seededTensor([n], seed: 5), y = seededTensor([n], seed: 6)
        var z = x
        try time("add \(n)") { _ = try x.adding(y) }
        try time("add in place \(n)") { try z.add(y) }
        try time("max \(n)") { _ = x.max() }
    }
}
if what == "regions" {
    for shape in [[1, 64, 56, 56], [1, 256, 56, 56], [1, 512, 28, 28], [1, 2048, 7, 7]] {
        let x = seededTensor(shape, seed: 5)
        try time("relu x100 \(shape)") { for _ in 0..<100 { _ = ActivationKind.relu.forward(x) } }
        let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
        let input = ActivationBackwardInput(preActivation: x, output: x, upstream: x, site: site)
        try time("gradient rule x100 \(shape)") { for _ in 0..<100 { _ = try GradientRule().backward(input) } }
    }
}
if what == "batch-rule" {
    for (batch, units) in [(100, 32768), (100, 16384), (100, 256)] {
        let a = seededTensor([batch, units], seed: 8, range: 0...1)
        let r = seededTensor([batch, units], seed: 9)
        let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
        let input = ActivationBackwardInput(preActivation: a, output: a, upstream: r, site: site)
        try time("rectgrad backward [\(batch), \(units)]") { _ = try RectGradRule().backward(input) }
        try time("gradient backward [\(batch), \(units)]") { _ = try GradientRule().backward(input) }
    }
}
if what == "thresholds" {
    for n in [56_448, 131_712, 451_584, 1_204_224, 3_211_264] {
        let a = seededTensor([1, n], seed: 8, range: 0...1)
        let r = seededTensor([1, n], seed: 9)
        let site = ActivationSite(nodeID: 1, ordinal: 0, name: "", kind: .relu)
        let input = ActivationBackwardInput(preActivation: a, output: a, upstream: r, site: site)
        let rule = try RectGradRule()
        try time("thresholds \(n)") { for _ in 0..<10 { _ = try rule.thresholds(input) } }
        try time("gradient rule \(n)") { for _ in 0..<10 { _ = try GradientRule().backward(input) } }
    }
}
if what == "strided" {
    // ResNet-50's strided convolutions: (in, out, kernel, input size).
    for (cin, cout, k, size) in [(128, 128, 3, 56), (256, 256, 3, 28), (512, 512, 3, 14), (256, 512, 1, 56), (512, 1024, 1, 28), (1024, 2048, 1, 14), (64, 256, 1, 56), (256, 64, 1, 56)] {
        let stride = size == 56 && cin == 64 || cin == 256 && cout == 64 ? 1 : 2
        let geometry = Convolution2DGeometry(stride: .square(stride), padding: .square(k / 2))
        let x = seededTensor([1, cin, size, size], seed: 3)
        let w = seededTensor([cout, cin, k, k], seed: 4, range: -0.05...0.05)
        let y = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: geometry)
        let flops = 2 * Double(y.count * cin * k * k)
        let label = "\(cin)->\(cout) k\(k) s\(stride) @\(size)"
        try time("conv \(label) forward (\(formatted(flops / 1e9, digits: 2)) GFLOP)") { _ = try Convolution2D.forward(input: x, weight: w, bias: nil, geometry: geometry) }
        try time("conv \(label) backward-input") { _ = try Convolution2D.backwardInput(outputGradient: y, weight: w, inputShape: x.shape, geometry: geometry) }
    }
}
if what == "gemm" {
    // Shapes of a 1×1 convolution with a 7×7 output: W [m × k] · X [k × n].
    for (m, n, k) in [(2048, 49, 1024), (512, 49, 4608), (1024, 196, 512), (512, 49, 2048)] {
        let a = seededTensor([m, k], seed: 1), b = seededTensor([k, n], seed: 2)
        let bt = seededTensor([n, k], seed: 3)
        var c = [Float](repeating: 0, count: m * n)
        let gflop = 2 * Double(m * n * k) / 1e9
        try time("sgemm NN m\(m) n\(n) k\(k) (\(formatted(gflop, digits: 2)) GFLOP)") {
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                BLAS.sgemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
            } } }
        }
        // Cᵀ = Xᵀ · Wᵀ: m' = n, n' = m.
        try time("sgemm TT-as-NT m\(n) n\(m) k\(k)") {
            bt.withUnsafeBufferPointer { b in a.withUnsafeBufferPointer { a in c.withUnsafeMutableBufferPointer { c in
                BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: m, k: k, a: b.baseAddress!, lda: k, b: a.baseAddress!, ldb: k, c: c.baseAddress!, ldc: m)
            } } }
        }
        try time("matmul (library) m\(m) n\(n) k\(k)") { _ = try a.matmul(b) }
    }
}
if what == "selection" {
    // Only the selection, for profiling.
    let scores = seededTensor([1, 64, 224, 224], seed: 5).scalars
    try time("percentile q=98 nearest, 3,211,264 values") {
        var values = scores
        _ = Percentile.value(of: &values, percentile: 98, interpolation: .nearestFloat32)
    }
}

if what == "thread" {
    // The three attribution passes timed from a thread other than the main thread (as the
    // benchmark harness and Swift concurrency tasks call the library).
    let done = DispatchSemaphore(value: 0)
    let worker = Thread {
        for model in models {
            guard let entry = try? Zoo.entry(named: model), let network = try? entry.network(seed: 1) else { continue }
            let batch = model == "cifar-cnn" ? 100 : 1
            let size = entry.preprocessing.inputSize
            let input = seededTensor([batch, 3, size.height, size.width], seed: 7)
            try? time("\(model) forward (thread)") { _ = try network.logits(for: input) }
            for (name, method) in [("saliency", AttributionMethod.saliency), ("guided-backprop", .guidedBackprop), ("rectgrad", rectGrad)] {
                try? time("\(model) \(name) (thread)") { _ = try network.attribute(input, method: method) }
            }
        }
        done.signal()
    }
    worker.start()
    done.wait()
}
for model in models where !["check", "thread", "percentile", "selection", "selection-sizes", "bandwidth", "regions", "thresholds", "info", "strided", "gemm", "batch-rule", "depthwise"].contains(what) {
    let entry = try Zoo.entry(named: model)
    let network = try entry.network(seed: 1)
    let batch = model == "cifar-cnn" ? 100 : 1
    let size = entry.preprocessing.inputSize
    let input = seededTensor([batch, 3, size.height, size.width], seed: 7)
    if what == "forward" || what == "all" {
        try time("\(model) forward") { _ = try network.logits(for: input) }
    }
    let methods: [(String, AttributionMethod)] = [("saliency", .saliency), ("guided-backprop", .guidedBackprop), ("rectgrad", rectGrad)]
    for (name, method) in methods where what == name || what == "all" {
        try time("\(model) \(name)") { _ = try network.attribute(input, method: method) }
    }
    if what == "layers" {
        let profile = LayerProfile()
        for _ in 0..<repeats {
            let tape = Tape()
            _ = try profile.forward(network.body, tape.input(input), on: tape)
        }
        for key in profile.order { print("  \(key): \(formatted(profile.totals[key, default: 0] / Double(repeats), digits: 2)) ms") }
    }
    if what == "first" {
        // The first attribution of the process (fresh memory), as a one-shot command runs it.
        let ms = try milliseconds { _ = try network.attribute(input, method: rectGrad) }
        print("\(model) first rectgrad: \(formatted(ms, digits: 1)) ms")
    }
    if what == "ratio" {
        // Saliency and RectGrad interleaved, so that both see the same load on the machine.
        var times: [[Double]] = [[], [], []]
        let interleaved: [AttributionMethod] = [.saliency, rectGrad, .guidedBackprop]
        for _ in 0..<repeats {
            for (index, method) in interleaved.enumerated() {
                times[index].append(try milliseconds { _ = try network.attribute(input, method: method) })
            }
        }
        let best = times.map { $0.min() ?? 0 }, medians = times.map { $0.sorted()[$0.count / 2] }
        print("\(model) interleaved min: saliency \(formatted(best[0], digits: 1)), rectgrad \(formatted(best[1], digits: 1)) (×\(formatted(best[1] / best[0], digits: 3))), guided \(formatted(best[2], digits: 1)); median ratio \(formatted(medians[1] / medians[0], digits: 3))")
    }
    if what == "session" {
        let four: [AttributionMethod] = [.saliency, .guidedBackprop, rectGrad, .deconvNet]
        try time("\(model) 4 methods, separate") { for m in four { _ = try network.attribute(input, method: m) } }
        try time("\(model) 4 methods, one session") { _ = try AttributionSession(network: network, input: input).attribute(four) }
    }
}
