import Foundation
import RectGradCore

/// Draws one 32×32 image of a ``ShapesDataset`` with its exact object mask.
///
/// Everything is computed on a Float RGB canvas (row-major, interleaved) and rounded to bytes at
/// the end. The object is drawn last with hard edges: a pixel belongs to the object, and takes the
/// object's colour, exactly when more than half of its 4×4 sub-samples fall inside the outline, so
/// the mask is the set of object pixels and nothing else.
struct ShapesRenderer {
    static let side = ShapesDataset.imageSize
    static let pixelCount = side * side
    /// Sub-samples per pixel along each axis for the coverage test.
    static let subsamples = 4

    let style: ShapesStyle
    /// The working canvas, reused between images.
    private var canvas = [Float](repeating: 0, count: pixelCount * 3)

    init(style: ShapesStyle) { self.style = style }

    /// Draws the image of class `shape` into `pixels` (3072 bytes, row-major RGB) and `mask`
    /// (1024 flags), consuming randomness from `random`.
    mutating func render(_ shape: ShapeClass, random: inout SeededGenerator, pixels: UnsafeMutableBufferPointer<UInt8>, mask: UnsafeMutableBufferPointer<Bool>) -> ShapeObject {
        switch style.background {
        case .uniform(let color): fill(color)
        case .cluttered: drawClutteredBackground(&random)
        }
        let distractors = Int.random(in: style.distractorCount, using: &random)
        for _ in 0..<distractors { drawDistractor(&random) }
        let object = drawObject(shape, random: &random, mask: mask)
        quantize(into: pixels)
        if let patch = style.occlusionPatch { paste(patch, pixels: pixels, mask: mask) }
        return object
    }

    // MARK: Background

    private mutating func fill(_ color: RGBColor) {
        let (r, g, b) = color.channels
        for p in 0..<Self.pixelCount {
            canvas[3 * p] = r
            canvas[3 * p + 1] = g
            canvas[3 * p + 2] = b
        }
    }

    /// A smooth colour field, one or two textures (stripes, checks, soft blobs) and pixel noise.
    private mutating func drawClutteredBackground(_ random: inout SeededGenerator) {
        drawColourField(&random)
        var textures = [0, 1, 2]
        textures.shuffle(using: &random)
        for texture in textures.prefix(Int.random(in: 1...2, using: &random)) {
            switch texture {
            case 0: drawStripes(&random)
            case 1: drawChecks(&random)
            default: drawBlobs(&random)
            }
        }
        let noise = Float.random(in: 4...16, using: &random)
        for i in 0..<canvas.count {
            canvas[i] += (random.nextUnitFloat() + random.nextUnitFloat() - 1) * noise
        }
    }

    /// A tint direction: either grey (all channels) or a palette colour's chroma, scaled to ±1.
    private static func tintDirection(_ random: inout SeededGenerator) -> (Float, Float, Float) {
        if random.nextUnitFloat() < 0.4 { return (1, 1, 1) }
        let (r, g, b) = randomPaletteColor(&random).channels
        let mean = (r + g + b) / 3
        return ((r - mean) / 128, (g - mean) / 128, (b - mean) / 128)
    }

    private static func randomPaletteColor(_ random: inout SeededGenerator) -> RGBColor {
        RGBColor.palette[Int.random(in: 0..<RGBColor.palette.count, using: &random)]
    }

    /// Bilinear interpolation of a coarse grid of muted colours.
    private mutating func drawColourField(_ random: inout SeededGenerator) {
        let nodes = Int.random(in: 2...4, using: &random)
        var grid = [Float](repeating: 0, count: nodes * nodes * 3)
        for node in 0..<(nodes * nodes) {
            let grey = Float.random(in: 50...200, using: &random)
            let saturation = Float.random(in: 0.1...0.5, using: &random)
            let (r, g, b) = Self.randomPaletteColor(&random).channels
            let mean = (r + g + b) / 3
            grid[3 * node] = grey + saturation * (r - mean)
            grid[3 * node + 1] = grey + saturation * (g - mean)
            grid[3 * node + 2] = grey + saturation * (b - mean)
        }
        let scale = Float(nodes - 1) / Float(Self.side - 1)
        for y in 0..<Self.side {
            let gy = Float(y) * scale
            let y0 = min(Int(gy), nodes - 2), fy = gy - Float(y0)
            for x in 0..<Self.side {
                let gx = Float(x) * scale
                let x0 = min(Int(gx), nodes - 2), fx = gx - Float(x0)
                let n00 = 3 * (y0 * nodes + x0), n01 = n00 + 3, n10 = n00 + 3 * nodes, n11 = n10 + 3
                for c in 0..<3 {
                    let top = grid[n00 + c] + fx * (grid[n01 + c] - grid[n00 + c])
                    let bottom = grid[n10 + c] + fx * (grid[n11 + c] - grid[n10 + c])
                    canvas[3 * (y * Self.side + x) + c] = top + fy * (bottom - top)
                }
            }
        }
    }

    private mutating func drawStripes(_ random: inout SeededGenerator) {
        let period = Float.random(in: 2.5...7, using: &random)
        let angle = Float.random(in: 0..<(2 * .pi), using: &random)
        let phase = Float.random(in: 0..<(2 * .pi), using: &random)
        let amplitude = Float.random(in: 12...40, using: &random)
        let direction = Self.tintDirection(&random)
        let (kx, ky) = (cos(angle) * 2 * .pi / period, sin(angle) * 2 * .pi / period)
        for y in 0..<Self.side {
            for x in 0..<Self.side {
                let value = amplitude * sin(kx * Float(x) + ky * Float(y) + phase)
                addTint(value, direction, at: y * Self.side + x)
            }
        }
    }

    private mutating func drawChecks(_ random: inout SeededGenerator) {
        let cell = Float.random(in: 2...5, using: &random)
        let angle = Float.random(in: 0..<(2 * .pi), using: &random)
        let amplitude = Float.random(in: 10...30, using: &random)
        let direction = Self.tintDirection(&random)
        let (c, s) = (cos(angle), sin(angle))
        for y in 0..<Self.side {
            for x in 0..<Self.side {
                let u = (c * Float(x) + s * Float(y)) / cell, v = (-s * Float(x) + c * Float(y)) / cell
                let parity = (Int(u.rounded(.down)) + Int(v.rounded(.down))) & 1
                addTint(parity == 0 ? amplitude : -amplitude, direction, at: y * Self.side + x)
            }
        }
    }

    /// Soft anisotropic Gaussian blobs: blurry, so they never look like a hard-edged class shape.
    private mutating func drawBlobs(_ random: inout SeededGenerator) {
        for _ in 0..<Int.random(in: 2...5, using: &random) {
            let cx = Float.random(in: 0...Float(Self.side), using: &random)
            let cy = Float.random(in: 0...Float(Self.side), using: &random)
            let sx = Float.random(in: 2.5...6, using: &random), sy = Float.random(in: 2.5...6, using: &random)
            let angle = Float.random(in: 0..<(.pi), using: &random)
            let amplitude = Float.random(in: 20...60, using: &random) * (random.nextUnitFloat() < 0.5 ? -1 : 1)
            let direction = Self.tintDirection(&random)
            let (c, s) = (cos(angle), sin(angle))
            let reach = 3 * max(sx, sy)
            let x0 = max(0, Int(cx - reach)), x1 = min(Self.side - 1, Int(cx + reach))
            let y0 = max(0, Int(cy - reach)), y1 = min(Self.side - 1, Int(cy + reach))
            guard x0 <= x1, y0 <= y1 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = Float(x) + 0.5 - cx, dy = Float(y) + 0.5 - cy
                    let u = (c * dx + s * dy) / sx, v = (-s * dx + c * dy) / sy
                    addTint(amplitude * exp(-0.5 * (u * u + v * v)), direction, at: y * Self.side + x)
                }
            }
        }
    }

    private mutating func addTint(_ value: Float, _ direction: (Float, Float, Float), at pixel: Int) {
        canvas[3 * pixel] += value * direction.0
        canvas[3 * pixel + 1] += value * direction.1
        canvas[3 * pixel + 2] += value * direction.2
    }

    // MARK: Distractors

    /// A thin line, a zigzag or a small dot in a palette colour.
    private mutating func drawDistractor(_ random: inout SeededGenerator) {
        let color = Self.randomPaletteColor(&random)
        let brightness = Float.random(in: 0.7...1, using: &random)
        let kind = random.nextUnitFloat()
        var x = Float.random(in: 0..<Float(Self.side), using: &random)
        var y = Float.random(in: 0..<Float(Self.side), using: &random)
        if kind < 0.5 {
            let angle = Float.random(in: 0..<(2 * .pi), using: &random)
            let length = Float.random(in: 6...16, using: &random)
            drawSegment(from: (x, y), to: (x + length * cos(angle), y + length * sin(angle)), color, brightness)
        } else if kind < 0.75 {
            var angle = Float.random(in: 0..<(2 * .pi), using: &random)
            for segment in 0..<3 {
                let length = Float.random(in: 4...7, using: &random)
                let end = (x + length * cos(angle), y + length * sin(angle))
                drawSegment(from: (x, y), to: end, color, brightness)
                (x, y) = end
                let turn = Float.random(in: (Float.pi / 3)...(2 * Float.pi / 3), using: &random)
                angle += segment.isMultiple(of: 2) ? turn : -turn
            }
        } else {
            let size = random.nextUnitFloat() < 0.6 ? 1 : 2
            for dy in 0..<size { for dx in 0..<size { setPixel(Int(x) + dx, Int(y) + dy, color, brightness) } }
        }
    }

    /// A one-pixel-wide segment (every pixel the segment passes through, sampled every 0.35 px).
    private mutating func drawSegment(from start: (Float, Float), to end: (Float, Float), _ color: RGBColor, _ brightness: Float) {
        let (dx, dy) = (end.0 - start.0, end.1 - start.1)
        let steps = max(1, Int((dx * dx + dy * dy).squareRoot() / 0.35))
        for step in 0...steps {
            let t = Float(step) / Float(steps)
            setPixel(Int((start.0 + t * dx).rounded(.down)), Int((start.1 + t * dy).rounded(.down)), color, brightness)
        }
    }

    private mutating func setPixel(_ x: Int, _ y: Int, _ color: RGBColor, _ brightness: Float) {
        guard x >= 0, y >= 0, x < Self.side, y < Self.side else { return }
        let (r, g, b) = color.channels
        let p = 3 * (y * Self.side + x)
        canvas[p] = r * brightness
        canvas[p + 1] = g * brightness
        canvas[p + 2] = b * brightness
    }

    // MARK: Object

    private mutating func drawObject(_ shape: ShapeClass, random: inout SeededGenerator, mask: UnsafeMutableBufferPointer<Bool>) -> ShapeObject {
        let radius = Float.random(in: style.objectRadius, using: &random)
        let stretch = (x: Float.random(in: 0.9...1.1, using: &random), y: Float.random(in: 0.9...1.1, using: &random))
        let rotation = Float.random(in: 0..<(2 * .pi), using: &random)
        // Every outline fits in the disk of radius 1.05 of its local frame.
        let reach = radius * max(stretch.x, stretch.y) * 1.05
        let centerX = Float.random(in: reach...(Float(Self.side) - reach), using: &random)
        let centerY = Float.random(in: reach...(Float(Self.side) - reach), using: &random)
        let color = contrastingColor(around: (centerX, centerY), reach: reach, random: &random)
        let shading = Float.random(in: -style.objectShading...style.objectShading, using: &random)
        let shadingAngle = Float.random(in: 0..<(2 * .pi), using: &random)

        let outline = shape.outline
        let (c, s) = (cos(rotation), sin(rotation))
        let (ax, ay) = (1 / (radius * stretch.x), 1 / (radius * stretch.y))
        let (shadeX, shadeY) = (cos(shadingAngle) * shading / radius, sin(shadingAngle) * shading / radius)
        let (r, g, b) = color.channels
        let n = Self.subsamples
        let threshold = n * n / 2
        for i in 0..<mask.count { mask[i] = false }
        let x0 = max(0, Int(centerX - reach)), x1 = min(Self.side - 1, Int(centerX + reach))
        let y0 = max(0, Int(centerY - reach)), y1 = min(Self.side - 1, Int(centerY + reach))
        for y in y0...y1 {
            for x in x0...x1 {
                var inside = 0
                for sy in 0..<n {
                    let dy = Float(y) + (Float(sy) + 0.5) / Float(n) - centerY
                    for sx in 0..<n {
                        let dx = Float(x) + (Float(sx) + 0.5) / Float(n) - centerX
                        if outline.contains((c * dx + s * dy) * ax, (-s * dx + c * dy) * ay) { inside += 1 }
                    }
                }
                guard inside > threshold else { continue }
                let pixel = y * Self.side + x
                mask[pixel] = true
                let factor = 1 + shadeX * (Float(x) + 0.5 - centerX) + shadeY * (Float(y) + 0.5 - centerY)
                canvas[3 * pixel] = r * factor + objectNoise(&random)
                canvas[3 * pixel + 1] = g * factor + objectNoise(&random)
                canvas[3 * pixel + 2] = b * factor + objectNoise(&random)
            }
        }
        return ShapeObject(shape: shape, centerX: centerX, centerY: centerY, radius: radius, rotation: rotation, stretch: stretch, color: color)
    }

    private func objectNoise(_ random: inout SeededGenerator) -> Float {
        style.objectNoise == 0 ? 0 : (2 * random.nextUnitFloat() - 1) * style.objectNoise
    }

    /// A palette colour far (in RGB) from the mean background around the object; after ten draws
    /// without one, the farthest drawn.
    private func contrastingColor(around center: (Float, Float), reach: Float, random: inout SeededGenerator) -> RGBColor {
        var mean: (Float, Float, Float) = (0, 0, 0)
        var count: Float = 0
        let x0 = max(0, Int(center.0 - reach)), x1 = min(Self.side - 1, Int(center.0 + reach))
        let y0 = max(0, Int(center.1 - reach)), y1 = min(Self.side - 1, Int(center.1 + reach))
        for y in y0...y1 {
            for x in x0...x1 {
                let p = 3 * (y * Self.side + x)
                mean = (mean.0 + canvas[p], mean.1 + canvas[p + 1], mean.2 + canvas[p + 2])
                count += 1
            }
        }
        mean = (mean.0 / count, mean.1 / count, mean.2 / count)
        var best = RGBColor.palette[0]
        var bestDistance: Float = -1
        for _ in 0..<10 {
            let candidate = Self.randomPaletteColor(&random)
            let (r, g, b) = candidate.channels
            let distance = ((r - mean.0) * (r - mean.0) + (g - mean.1) * (g - mean.1) + (b - mean.2) * (b - mean.2)).squareRoot()
            if distance >= 110 { return candidate }
            if distance > bestDistance { (best, bestDistance) = (candidate, distance) }
        }
        return best
    }

    // MARK: Output

    private func quantize(into pixels: UnsafeMutableBufferPointer<UInt8>) {
        for i in 0..<canvas.count {
            pixels[i] = UInt8(min(max(canvas[i].rounded(), 0), 255))
        }
    }

    private func paste(_ patch: OcclusionPatch, pixels: UnsafeMutableBufferPointer<UInt8>, mask: UnsafeMutableBufferPointer<Bool>) {
        for y in 0..<patch.size {
            for x in 0..<patch.size {
                let pixel = y * Self.side + x
                mask[pixel] = false
                for c in 0..<3 { pixels[3 * pixel + c] = patch.pixels[3 * (y * patch.size + x) + c] }
            }
        }
    }
}
