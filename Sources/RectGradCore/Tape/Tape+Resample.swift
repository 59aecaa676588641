/// How one spatial axis of an image is resampled: output position `o` is the weighted sum of the
/// input positions its taps name (nearest neighbour: one tap of weight 1; linear interpolation:
/// two taps whose weights add up to 1). Resizing an image is one such map along the height and
/// one along the width (ONNX `Resize` in its nearest and linear modes, `nn.Upsample`).
public struct ResampleAxis: Sendable, Hashable, CustomStringConvertible {
    /// The input extent the taps index into.
    public let inputExtent: Int
    /// For output position `o`, its taps are `tapIndices[tapStarts[o]..<tapStarts[o + 1]]` with
    /// the weights at the same positions of `tapWeights`.
    public let tapStarts: [Int]
    /// The input positions read, grouped by output position.
    public let tapIndices: [Int]
    /// The weight of every tap.
    public let tapWeights: [Float]

    /// The output extent.
    public var outputExtent: Int { tapStarts.count - 1 }

    /// An axis from the taps of every output position.
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for an empty input or output,
    ///   a position without taps, a tap outside `0..<inputExtent` or a non-finite weight.
    public init(inputExtent: Int, taps: [[(index: Int, weight: Float)]]) throws(TensorError) {
        guard inputExtent >= 1, !taps.isEmpty else {
            throw .invalidArgument(operation: "resample", reason: "an axis of \(inputExtent) inputs and \(taps.count) outputs")
        }
        var starts = [0]
        var indices: [Int] = []
        var weights: [Float] = []
        for (position, list) in taps.enumerated() {
            guard !list.isEmpty else { throw .invalidArgument(operation: "resample", reason: "output position \(position) has no taps") }
            for tap in list {
                guard tap.index >= 0, tap.index < inputExtent else {
                    throw .invalidArgument(operation: "resample", reason: "output position \(position) reads input \(tap.index), outside 0..<\(inputExtent)")
                }
                guard tap.weight.isFinite else { throw .invalidArgument(operation: "resample", reason: "output position \(position) has weight \(tap.weight)") }
                indices.append(tap.index)
                weights.append(tap.weight)
            }
            starts.append(indices.count)
        }
        self.inputExtent = inputExtent
        tapStarts = starts
        tapIndices = indices
        tapWeights = weights
    }

    /// Nearest neighbour: output position `o` copies input `sources[o]`.
    public static func nearest(inputExtent: Int, sources: [Int]) throws(TensorError) -> ResampleAxis {
        try ResampleAxis(inputExtent: inputExtent, taps: sources.map { [(index: $0, weight: Float(1))] })
    }

    /// Linear interpolation at fractional input positions; a position outside
    /// `0...inputExtent − 1` takes the nearest edge value (the edge is repeated).
    /// - Throws: ``TensorError/invalidArgument(operation:reason:)`` for a non-finite position.
    public static func linear(inputExtent: Int, positions: [Double]) throws(TensorError) -> ResampleAxis {
        var taps: [[(index: Int, weight: Float)]] = []
        taps.reserveCapacity(positions.count)
        for position in positions {
            guard position.isFinite else { throw .invalidArgument(operation: "resample", reason: "source position \(position)") }
            let clamped = Swift.min(Swift.max(position, 0), Double(Swift.max(inputExtent - 1, 0)))
            let low = Int(clamped.rounded(.down))
            let fraction = clamped - Double(low)
            if fraction == 0 || low + 1 >= inputExtent {
                taps.append([(index: low, weight: 1)])
            } else {
                taps.append([(index: low, weight: Float(1 - fraction)), (index: low + 1, weight: Float(fraction))])
            }
        }
        return try ResampleAxis(inputExtent: inputExtent, taps: taps)
    }

    public var description: String { "\(inputExtent) → \(outputExtent)" }

    /// `output[o] = Σ weight · input[index]` along a strided line.
    @inline(__always)
    func apply(_ input: UnsafePointer<Float>, inputStride: Int, to output: UnsafeMutablePointer<Float>, outputStride: Int) {
        for o in 0..<outputExtent {
            var sum: Float = 0
            for t in tapStarts[o]..<tapStarts[o + 1] { sum += tapWeights[t] * input[tapIndices[t] * inputStride] }
            output[o * outputStride] = sum
        }
    }

    /// The transpose: `input[index] += weight · output[o]` (`input` must start zeroed).
    @inline(__always)
    func applyTransposed(_ output: UnsafePointer<Float>, outputStride: Int, to input: UnsafeMutablePointer<Float>, inputStride: Int) {
        for o in 0..<outputExtent {
            let value = output[o * outputStride]
            for t in tapStarts[o]..<tapStarts[o + 1] { input[tapIndices[t] * inputStride] += tapWeights[t] * value }
        }
    }
}

/// Separable resampling of NCHW images: the width map on every row, then the height map on
/// every column; the backward applies the transposed maps in the opposite order.
enum Resampling {
    static func forward(_ x: Tensor, height: ResampleAxis, width: ResampleAxis) throws(TensorError) -> Tensor {
        guard x.rank == 4, x.shape[2] == height.inputExtent, x.shape[3] == width.inputExtent else {
            throw .shapeMismatch(operation: "resample", expected: [x.shape.first ?? 0, x.shape.count > 1 ? x.shape[1] : 0, height.inputExtent, width.inputExtent], actual: x.shape)
        }
        let planes = x.shape[0] * x.shape[1]
        let (h, w, outH, outW) = (height.inputExtent, width.inputExtent, height.outputExtent, width.outputExtent)
        var rows = [Float](repeating: 0, count: h * outW)
        var result = [Float](repeating: 0, count: planes * outH * outW)
        x.withUnsafeBufferPointer { input in
            rows.withUnsafeMutableBufferPointer { rows in
                result.withUnsafeMutableBufferPointer { output in
                    guard let input = input.baseAddress, let rows = rows.baseAddress, let output = output.baseAddress else { return }
                    for plane in 0..<planes {
                        let source = input + plane * h * w
                        for y in 0..<h { width.apply(source + y * w, inputStride: 1, to: rows + y * outW, outputStride: 1) }
                        let target = output + plane * outH * outW
                        for column in 0..<outW { height.apply(rows + column, inputStride: outW, to: target + column, outputStride: outW) }
                    }
                }
            }
        }
        return try Tensor(shape: [x.shape[0], x.shape[1], outH, outW], scalars: result)
    }

    static func backward(_ gradient: Tensor, inputShape: [Int], height: ResampleAxis, width: ResampleAxis) throws(TensorError) -> Tensor {
        let expected = [inputShape[0], inputShape[1], height.outputExtent, width.outputExtent]
        guard gradient.shape == expected else { throw .shapeMismatch(operation: "resample backward", expected: expected, actual: gradient.shape) }
        let planes = inputShape[0] * inputShape[1]
        let (h, w, outH, outW) = (height.inputExtent, width.inputExtent, height.outputExtent, width.outputExtent)
        var rows = [Float](repeating: 0, count: h * outW)
        var result = [Float](repeating: 0, count: planes * h * w)
        gradient.withUnsafeBufferPointer { upstream in
            rows.withUnsafeMutableBufferPointer { rows in
                result.withUnsafeMutableBufferPointer { output in
                    guard let upstream = upstream.baseAddress, let rows = rows.baseAddress, let output = output.baseAddress else { return }
                    for plane in 0..<planes {
                        rows.update(repeating: 0, count: h * outW)
                        let source = upstream + plane * outH * outW
                        for column in 0..<outW { height.applyTransposed(source + column, outputStride: outW, to: rows + column, inputStride: outW) }
                        let target = output + plane * h * w
                        for y in 0..<h { width.applyTransposed(rows + y * outW, outputStride: 1, to: target + y * w, inputStride: 1) }
                    }
                }
            }
        }
        return try Tensor(shape: inputShape, scalars: result)
    }
}

extension Tape {
    /// Resamples the height and width of an NCHW value with two axis maps (nearest neighbour or
    /// linear interpolation: ONNX `Resize`, `nn.Upsample`). A linear map: its backward is the
    /// transposed map, whatever the rules (it is not an activation site).
    /// - Throws: ``TapeError/operationFailed(layer:_:)`` when `x` is not `[N, C, H, W]` with the
    ///   axes' input extents.
    public func resample(_ x: Variable, height: ResampleAxis, width: ResampleAxis, name: String = "") throws(TapeError) -> Variable {
        try record(.resample(height: height, width: width), inputs: [x], name: name) { (v) throws(TensorError) in
            try Resampling.forward(v[0], height: height, width: width)
        }
    }
}
