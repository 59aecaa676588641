extension RGBImage {
    /// The image resampled to `width × height` with a triangle (bilinear) filter that widens when
    /// shrinking, so a reduction averages every input pixel instead of skipping some.
    ///
    /// Separable: each axis resized from `n` to `m` samples maps output sample `i` to
    ///
    ///     out[i] = Σ_j w(j) · in[j] / Σ_j w(j),   w(j) = max(0, 1 − |j + 0.5 − (i + 0.5) · s| / f),
    ///
    /// with `s = n / m`, `f = max(s, 1)` and `j` over the input indices only (edges renormalise).
    /// Enlarging (`f = 1`) is bilinear interpolation between pixel centres; shrinking by 2 gives
    /// interior weights `1/8, 3/8, 3/8, 1/8`. The horizontal pass runs first; the intermediate is
    /// kept in `Float` and the result is rounded to nearest and clamped to 0…255. This is the
    /// definition of Pillow's `resize(…, BILINEAR)` without its 8-bit intermediate rounding, so
    /// results agree with Pillow within one level.
    ///
    /// Resizing to the same size returns the image unchanged.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` for a non-positive size.
    public func resized(width newWidth: Int, height newHeight: Int) throws(ImageError) -> RGBImage {
        _ = try Self.byteCount(width: newWidth, height: newHeight, operation: "resized")
        if newWidth == width && newHeight == height { return self }
        let horizontal = TriangleResampling(inputSize: width, outputSize: newWidth)
        let vertical = TriangleResampling(inputSize: height, outputSize: newHeight)

        // Horizontal pass: height × newWidth × 3 floats.
        var intermediate = [Float](repeating: 0, count: height * newWidth * 3)
        pixels.withUnsafeBufferPointer { source in
            intermediate.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let sourceRow = y * width * 3
                    let targetRow = y * newWidth * 3
                    for x in 0..<newWidth {
                        let first = horizontal.firstIndex[x]
                        let taps = horizontal.tapCount[x]
                        let base = x * horizontal.stride
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        for k in 0..<taps {
                            let weight = horizontal.weights[base + k]
                            let i = sourceRow + (first + k) * 3
                            r += weight * Float(source[i])
                            g += weight * Float(source[i + 1])
                            b += weight * Float(source[i + 2])
                        }
                        target[targetRow + x * 3] = r
                        target[targetRow + x * 3 + 1] = g
                        target[targetRow + x * 3 + 2] = b
                    }
                }
            }
        }

        // Vertical pass into bytes.
        let rowLength = newWidth * 3
        var output = [UInt8](repeating: 0, count: newHeight * rowLength)
        intermediate.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                var row = [Float](repeating: 0, count: rowLength)
                for y in 0..<newHeight {
                    let first = vertical.firstIndex[y]
                    let taps = vertical.tapCount[y]
                    let base = y * vertical.stride
                    for i in 0..<rowLength { row[i] = 0 }
                    for k in 0..<taps {
                        let weight = vertical.weights[base + k]
                        let sourceRow = (first + k) * rowLength
                        for i in 0..<rowLength {
                            row[i] += weight * source[sourceRow + i]
                        }
                    }
                    let targetRow = y * rowLength
                    for i in 0..<rowLength {
                        target[targetRow + i] = Self.clampedByte(row[i])
                    }
                }
            }
        }
        return RGBImage(validatedWidth: newWidth, height: newHeight, pixels: output)
    }

    /// The image resized so its shorter side is `shorterSide`, keeping the aspect ratio as
    /// torchvision's `Resize(int)` does: the longer side becomes `⌊shorterSide · long / short⌋`.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` for a non-positive size
    ///   or when the longer side would round to zero.
    public func resized(shorterSide: Int) throws(ImageError) -> RGBImage {
        guard shorterSide > 0 else {
            throw ImageError(.invalidArgument(operation: "resized(shorterSide:)", reason: "size must be positive, got \(shorterSide)"))
        }
        let short = Swift.min(width, height)
        let long = Swift.max(width, height)
        let newLong = Int((Double(shorterSide) * Double(long) / Double(short)).rounded(.down))
        return width <= height
            ? try resized(width: shorterSide, height: newLong)
            : try resized(width: newLong, height: shorterSide)
    }

    /// Rounds to nearest (halves away from zero) and clamps to 0…255.
    @inline(__always)
    static func clampedByte(_ value: Float) -> UInt8 {
        let rounded = value.rounded(.toNearestOrAwayFromZero)
        if !(rounded > 0) { return 0 }
        if rounded >= 255 { return 255 }
        return UInt8(rounded)
    }
}
