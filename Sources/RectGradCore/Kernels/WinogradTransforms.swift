import CElementwise

/// The three transforms of Winograd F(2×2, 3×3):
///
/// - kernel: `U = G g Gᵀ` with `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]` (the
///   products of these entries are powers of two, so the transform is exact up to the sums);
/// - input: `V = Bᵀ d B` with `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`;
/// - output: `Y = Aᵀ M A` with `Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`.
///
/// Transformed data is position-major: element ξ (row-major in the 4×4 tile) of every channel
/// pair, or of every channel and tile, is one contiguous matrix, ready for the products.
extension WinogradProblem {
    /// Transforms the kernels of the output channels `range` into `u` (`U = G g Gᵀ`, or of the
    /// kernels' 180° rotations when `flipped`; `rg_winograd_kernel_transform`).
    ///
    /// Forward, `u` holds `U[ξ][o − lower][c]` (row `o`, leading dimension `inputChannels`).
    /// Flipped, the layer's kernel is `[inputChannels, outputChannels, 3, 3]` in this pass's
    /// terms, so `u` holds `U[ξ][c][o − lower]` (row `c`, leading dimension `range.count`): the
    /// products read it transposed. `scratch`, when given, holds `range.count · inputChannels · 9`
    /// floats for gathering a flipped kernel's slice. A worker already inside a parallel region
    /// passes `splitAcrossWorkers: nil`. Every element of `u` depends on its own kernel only, so
    /// the cut across workers and the channel blocks never change a value.
    /// - Returns: whether `U[ξ]` is stored transposed, and its leading dimension.
    func transformWeights(_ w: UnsafePointer<Float>, outputChannels range: Range<Int>, scratch: UnsafeMutablePointer<Float>?, splitAcrossWorkers: Workers?, into u: UnsafeMutablePointer<Float>) -> (transposed: Bool, leadingDimension: Int) {
        let pairs = range.count * inputChannels
        var gathered: UnsafeMutablePointer<Float>?
        defer { if scratch == nil { gathered?.deallocate() } }
        let source: UnsafePointer<Float>
        if !flipped {
            source = w + range.lowerBound * inputChannels * 9
        } else if range.count == outputChannels {
            source = w
        } else {
            // Gather the kernels of the range: for each c, a contiguous run.
            let target = scratch ?? .allocate(capacity: pairs * 9)
            gathered = target
            for c in 0..<inputChannels {
                (target + c * range.count * 9).update(from: w + (c * outputChannels + range.lowerBound) * 9, count: range.count * 9)
            }
            source = UnsafePointer(target)
        }
        let flippedFlag: Int32 = flipped ? 1 : 0
        if let workers = splitAcrossWorkers, pairs >= 1 << 14 {
            let parts = min(4 * workers.count, pairs / (1 << 12))
            let pointers = UncheckedSendable((source, u))
            workers.forEach(items: parts) { _, part in
                let (source, u) = pointers.value
                let slice = Parallel.range(part, of: parts, count: pairs)
                rg_winograd_kernel_transform(source + slice.lowerBound * 9, slice.count, flippedFlag, u + slice.lowerBound, pairs)
            }
        } else {
            rg_winograd_kernel_transform(source, pairs, flippedFlag, u, pairs)
        }
        return flipped ? (true, range.count) : (false, inputChannels)
    }

    /// Writes `V[ξ][c][t]` at `v[(ξ · inputChannels + c) · tiles.count + t]` for the channels in
    /// `channels`, where `d` is the zero-padded 4×4 input patch of tile `t`.
    func transformInput(_ input: UnsafePointer<Float>, tiles: WinogradTiles, channels: Range<Int>, into v: UnsafeMutablePointer<Float>) {
        let tilesX = self.tilesX, tileCount = tiles.count, width = inputWidth, padLeft = self.padLeft
        let positionStride = inputChannels * tileCount
        // The four rows of Bᵀ·d over the padded width, each split into its even and its odd
        // columns (`half` floats each) so that the horizontal pass reads contiguously. Columns
        // in the padding stay zero; patch rows in the padding read a row of zeros.
        let half = tilesX + 1
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 8 * half + width)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: 8 * half + width)
        let zeros = UnsafePointer(scratch + 8 * half)
        let even0 = scratch, odd0 = even0 + half, even1 = odd0 + half, odd1 = even1 + half
        let even2 = odd1 + half, odd2 = even2 + half, even3 = odd2 + half, odd3 = even3 + half
        // Input column j lands on padded column j + padLeft; for even j that column is
        // even when padLeft is.
        let evenPadding = padLeft % 2 == 0
        for c in channels {
            for example in tiles.examples {
                let plane = input + (example * inputChannels + c) * inputHeight * width
                for tileRow in tiles.rows {
                    let top = 2 * tileRow - padTop
                    let d0 = top >= 0 && top < inputHeight ? plane + top * width : zeros
                    let d1 = top + 1 >= 0 && top + 1 < inputHeight ? plane + (top + 1) * width : zeros
                    let d2 = top + 2 >= 0 && top + 2 < inputHeight ? plane + (top + 2) * width : zeros
                    let d3 = top + 3 >= 0 && top + 3 < inputHeight ? plane + (top + 3) * width : zeros
                    // Vertical pass, t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3,
                    // eight input columns at a time.
                    var j = 0
                    while j + 8 <= width {
                        let a = SIMD8<Float>.load(d0 + j), b = SIMD8<Float>.load(d1 + j)
                        let e = SIMD8<Float>.load(d2 + j), f = SIMD8<Float>.load(d3 + j)
                        let t0 = a - e, t1 = b + e, t2 = e - b, t3 = b - f
                        let padded = j + padLeft
                        if evenPadding {
                            let index = padded / 2
                            (even0 + index).store(t0.evenHalf); (odd0 + index).store(t0.oddHalf)
                            (even1 + index).store(t1.evenHalf); (odd1 + index).store(t1.oddHalf)
                            (even2 + index).store(t2.evenHalf); (odd2 + index).store(t2.oddHalf)
                            (even3 + index).store(t3.evenHalf); (odd3 + index).store(t3.oddHalf)
                        } else {
                            let oddIndex = (padded - 1) / 2, evenIndex = oddIndex + 1
                            (odd0 + oddIndex).store(t0.evenHalf); (even0 + evenIndex).store(t0.oddHalf)
                            (odd1 + oddIndex).store(t1.evenHalf); (even1 + evenIndex).store(t1.oddHalf)
                            (odd2 + oddIndex).store(t2.evenHalf); (even2 + evenIndex).store(t2.oddHalf)
                            (odd3 + oddIndex).store(t3.evenHalf); (even3 + evenIndex).store(t3.oddHalf)
                        }
                        j += 8
                    }
                    while j < width {
                        let a = d0[j], b = d1[j], e = d2[j], f = d3[j]
                        let padded = j + padLeft, index = padded / 2
                        let base = padded % 2 == 0 ? scratch : scratch + half
                        base[index] = a - e
                        base[2 * half + index] = b + e
                        base[4 * half + index] = e - b
                        base[6 * half + index] = b - f
                        j += 1
                    }
                    // Horizontal pass: tile x reads padded columns 2x … 2x + 3, that is
                    // even[x], odd[x], even[x + 1], odd[x + 1].
                    let target = v + c * tileCount + tiles.first(example: example, row: tileRow)
                    for a in 0..<4 {
                        let e = UnsafePointer(scratch + 2 * a * half), o = e + half
                        let out0 = target + 4 * a * positionStride
                        let out1 = out0 + positionStride, out2 = out1 + positionStride, out3 = out2 + positionStride
                        for x in 0..<tilesX {
                            let s0 = e[x], s1 = o[x], s2 = e[x + 1], s3 = o[x + 1]
                            out0[x] = s0 - s2
                            out1[x] = s1 + s2
                            out2[x] = s2 - s1
                            out3[x] = s1 - s3
                        }
                    }
                }
            }
        }
    }

    /// Overwrites the outputs of `tiles` in the channels `channels`, reading `M[ξ][o − lower][t]`
    /// at `m[ξ · positionStride + (o − lower) · tiles.count + t]`.
    func transformOutput(_ m: UnsafePointer<Float>, positionStride stride: Int, tiles: WinogradTiles, channels: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        let tilesX = self.tilesX, tileCount = tiles.count, width = outputWidth
        for o in channels {
            for example in tiles.examples {
                let plane = output + (example * outputChannels + o) * outputHeight * width
                for tileRow in tiles.rows {
                    let m0 = m + (o - channels.lowerBound) * tileCount + tiles.first(example: example, row: tileRow)
                    let m1 = m0 + stride, m2 = m1 + stride, m3 = m2 + stride, m4 = m3 + stride
                    let m5 = m4 + stride, m6 = m5 + stride, m7 = m6 + stride, m8 = m7 + stride
                    let m9 = m8 + stride, m10 = m9 + stride, m11 = m10 + stride, m12 = m11 + stride
                    let m13 = m12 + stride, m14 = m13 + stride, m15 = m14 + stride
                    let y = 2 * tileRow
                    let top = plane + y * width
                    // The second output row of the tiles, when it exists.
                    let hasBottom = y + 1 < outputHeight
                    let bottom = hasBottom ? top + width : top
                    var x = 0
                    // Four tiles (eight output columns) at a time. Horizontal pass per row a:
                    // h_a0 = m_a0 + m_a1 + m_a2, h_a1 = m_a1 − m_a2 − m_a3; then vertical.
                    while 2 * (x + 4) <= width {
                        let q1 = SIMD4<Float>.load(m1 + x), q2 = SIMD4<Float>.load(m2 + x)
                        let h00 = SIMD4<Float>.load(m0 + x) + q1 + q2, h01 = q1 - q2 - SIMD4<Float>.load(m3 + x)
                        let q5 = SIMD4<Float>.load(m5 + x), q6 = SIMD4<Float>.load(m6 + x)
                        let h10 = SIMD4<Float>.load(m4 + x) + q5 + q6, h11 = q5 - q6 - SIMD4<Float>.load(m7 + x)
                        let q9 = SIMD4<Float>.load(m9 + x), q10 = SIMD4<Float>.load(m10 + x)
                        let h20 = SIMD4<Float>.load(m8 + x) + q9 + q10, h21 = q9 - q10 - SIMD4<Float>.load(m11 + x)
                        var row = SIMD8<Float>()
                        row.evenHalf = h00 + h10 + h20
                        row.oddHalf = h01 + h11 + h21
                        (top + 2 * x).store(row)
                        if hasBottom {
                            let q13 = SIMD4<Float>.load(m13 + x), q14 = SIMD4<Float>.load(m14 + x)
                            let h30 = SIMD4<Float>.load(m12 + x) + q13 + q14, h31 = q13 - q14 - SIMD4<Float>.load(m15 + x)
                            row.evenHalf = h10 - h20 - h30
                            row.oddHalf = h11 - h21 - h31
                            (bottom + 2 * x).store(row)
                        }
                        x += 4
                    }
                    while x < tilesX {
                        let h00 = m0[x] + m1[x] + m2[x], h01 = m1[x] - m2[x] - m3[x]
                        let h10 = m4[x] + m5[x] + m6[x], h11 = m5[x] - m6[x] - m7[x]
                        let h20 = m8[x] + m9[x] + m10[x], h21 = m9[x] - m10[x] - m11[x]
                        let h30 = m12[x] + m13[x] + m14[x], h31 = m13[x] - m14[x] - m15[x]
                        let hasSecondColumn = 2 * x + 1 < width
                        top[2 * x] = h00 + h10 + h20
                        if hasSecondColumn { top[2 * x + 1] = h01 + h11 + h21 }
                        if hasBottom {
                            bottom[2 * x] = h10 - h20 - h30
                            if hasSecondColumn { bottom[2 * x + 1] = h11 - h21 - h31 }
                        }
                        x += 1
                    }
                }
            }
        }
    }
}

extension SIMD where Scalar == Float {
    /// Reads `scalarCount` consecutive floats starting at `pointer` (no alignment needed).
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Writes the lanes of `value` to consecutive floats starting here (no alignment needed).
    @inline(__always)
    func store<Vector: SIMD>(_ value: Vector) where Vector.Scalar == Float {
        UnsafeMutableRawPointer(self).storeBytes(of: value, as: Vector.self)
    }
}
