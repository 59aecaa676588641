import Benchmark
import RectGradCore

/// A 3×3, stride-1, padding-1 convolution layer of VGG-16 at batch 1.
public struct VGGConvolution: Sendable, CustomStringConvertible {
    /// Input and output channels (VGG-16's 3×3 layers keep the channel count within a block).
    public let channels: Int
    /// Height and width of the input and output feature maps.
    public let size: Int

    public init(channels: Int, size: Int) {
        self.channels = channels
        self.size = size
    }

    /// The layers of the targets: the first 3×3 layer of each width.
    public static let targets: [VGGConvolution] = [
        VGGConvolution(channels: 64, size: 224),
        VGGConvolution(channels: 128, size: 112),
        VGGConvolution(channels: 256, size: 56),
        VGGConvolution(channels: 512, size: 28),
        VGGConvolution(channels: 512, size: 14),
    ]

    public var geometry: Convolution2DGeometry { Convolution2DGeometry(stride: 1, padding: 1) }
    public var inputShape: [Int] { [1, channels, size, size] }
    public var weightShape: [Int] { [channels, channels, 3, 3] }

    /// Floating-point operations of the direct algorithm: 2 · multiply–accumulates.
    public var flops: Double { 2 * Double(channels * channels * 9 * size * size) }

    /// For example "64→64 @224 (3.70 GFLOP)".
    public var description: String {
        "\(channels)→\(channels) @\(size) (\(formatted(flops / 1e9, digits: 2)) GFLOP)"
    }
}

/// Effective speed in GFLOP/s (the direct algorithm's operation count over the time taken),
/// recorded once per iteration next to the wall clock.
public let gigaflopsPerSecond = BenchmarkMetric.custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)

/// Runs `body` once, measuring it alone, and records its wall-clock rate for `flops` operations.
public func measureGigaflops(_ benchmark: Benchmark, flops: Double, _ body: () throws -> Void) rethrows {
    let clock = ContinuousClock()
    benchmark.startMeasurement()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    benchmark.stopMeasurement()
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    if seconds > 0 { benchmark.measurement(gigaflopsPerSecond, Int((flops / seconds / 1e9).rounded())) }
}

/// A tensor of uniform values in `range` from a fixed linear congruential sequence.
public func seededTensor(_ shape: [Int], seed: UInt64, range: ClosedRange<Float> = -1...1) -> Tensor {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    var tensor = Tensor.zeros(shape)
    tensor.withUnsafeMutableBufferPointer { buffer in
        for i in buffer.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            buffer[i] = range.lowerBound + Float(state >> 40) / Float(1 << 24) * (range.upperBound - range.lowerBound)
        }
    }
    return tensor
}

/// `value` with `digits` decimals.
public func formatted(_ value: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        text += "." + String(repeating: "0", count: digits)
    }
    return text
}

/// The configuration used by these benchmarks: wall clock plus GFLOP/s, a few warm-up runs.
public func configuration(maxDuration: Duration = .seconds(3), maxIterations: Int = 50, extraMetrics: [BenchmarkMetric] = [gigaflopsPerSecond]) -> Benchmark.Configuration {
    Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal] + extraMetrics,
        timeUnits: .milliseconds,
        warmupIterations: 2,
        maxDuration: maxDuration,
        maxIterations: maxIterations
    )
}
