import Foundation
import RectGradCore

/// Similarity measures between two attribution maps, as used by the sanity checks (model and data
/// randomisation, Adebayo et al. 2018) and by the adversarial experiment.
///
/// Each measure is defined to agree with a widely used reference implementation, checked against
/// fixtures from `Scripts/fixtures/make_similarity_fixtures.py`:
/// - ``spearman(_:_:)`` is SciPy's `spearmanr` (average ranks for ties);
/// - ``ssim(_:_:)`` is scikit-image's `structural_similarity` with Gaussian weights (σ = 1.5, 11
///   taps), population covariances, `data_range = 1`, averaged over the pixels at least 5 from the
///   border, applied to the maps after ``scaledMagnitude(_:)``;
/// - ``hogSimilarity(_:_:orientations:cellSize:blockSize:)`` is the cosine similarity of
///   scikit-image's `hog` descriptors (L2-Hys block normalisation) of the scaled magnitudes.
public enum MapSimilarity {
    /// Spearman rank correlation (average ranks for ties) of two equally long value lists.
    ///
    /// - Throws: ``ExperimentError/incompatibleInputs(_:)`` when the lengths differ or fewer than two
    ///   values are given, ``ExperimentError/undefinedMeasure(_:)`` when either list is constant
    ///   (its ranks have no variance) or holds a non-finite value.
    public static func spearman(_ a: [Float], _ b: [Float]) throws(ExperimentError) -> Double {
        guard a.count == b.count else {
            throw .incompatibleInputs("rank correlation of \(a.count) and \(b.count) values")
        }
        guard a.count >= 2 else { throw .incompatibleInputs("rank correlation needs at least 2 values, got \(a.count)") }
        guard a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else {
            throw .undefinedMeasure("rank correlation of a map with non-finite values")
        }
        let rankA = averageRanks(a), rankB = averageRanks(b)
        return try pearson(rankA, rankB, what: "rank correlation")
    }

    /// Mean structural similarity (SSIM) of two H×W maps after ``scaledMagnitude(_:)``.
    ///
    /// - Throws: ``ExperimentError/incompatibleInputs(_:)`` when the maps are not two-dimensional,
    ///   differ in shape, or are smaller than the 11 × 11 window.
    public static func ssim(_ a: Tensor, _ b: Tensor) throws(ExperimentError) -> Double {
        let (height, width) = try planeSize(a, b, minimumSide: 11, measure: "SSIM")
        let x = try scaledMagnitude(a), y = try scaledMagnitude(b)
        let radius = 5
        let weights = gaussianWeights(sigma: 1.5, radius: radius)
        let (meanX, meanY) = (filtered(x, height, width, weights), filtered(y, height, width, weights))
        let meanXX = filtered(zip(x, x).map(*), height, width, weights)
        let meanYY = filtered(zip(y, y).map(*), height, width, weights)
        let meanXY = filtered(zip(x, y).map(*), height, width, weights)
        let c1 = 0.01 * 0.01, c2 = 0.03 * 0.03
        var total = 0.0
        var count = 0
        for row in radius..<(height - radius) {
            for column in radius..<(width - radius) {
                let i = row * width + column
                let (ux, uy) = (meanX[i], meanY[i])
                let varianceX = meanXX[i] - ux * ux, varianceY = meanYY[i] - uy * uy
                let covariance = meanXY[i] - ux * uy
                let numerator = (2 * ux * uy + c1) * (2 * covariance + c2)
                let denominator = (ux * ux + uy * uy + c1) * (varianceX + varianceY + c2)
                total += numerator / denominator
                count += 1
            }
        }
        return total / Double(count)
    }

    /// Cosine similarity of the HOG descriptors of two H×W maps after ``scaledMagnitude(_:)``.
    ///
    /// - Parameters:
    ///   - orientations: orientation bins over 0–180°.
    ///   - cellSize: pixels per (square) cell.
    ///   - blockSize: cells per (square) normalisation block.
    /// - Throws: ``ExperimentError/incompatibleInputs(_:)`` for maps of different shapes or smaller
    ///   than one block, ``ExperimentError/invalidOption(name:reason:)`` for a setting below 1,
    ///   ``ExperimentError/undefinedMeasure(_:)`` when a descriptor is zero (a constant map).
    public static func hogSimilarity(
        _ a: Tensor, _ b: Tensor, orientations: Int = 9, cellSize: Int = 8, blockSize: Int = 2
    ) throws(ExperimentError) -> Double {
        for (name, value) in [("orientations", orientations), ("cell-size", cellSize), ("block-size", blockSize)] where value < 1 {
            throw .invalidOption(name: name, reason: "must be at least 1, got \(value)")
        }
        let (height, width) = try planeSize(a, b, minimumSide: 1, measure: "HOG")
        let blockPixels = cellSize.multipliedReportingOverflow(by: blockSize)
        guard !blockPixels.overflow, height >= blockPixels.partialValue, width >= blockPixels.partialValue else {
            throw .incompatibleInputs("HOG of a \(height)×\(width) map needs at least one block of \(blockSize)×\(blockSize) cells of \(cellSize) pixels")
        }
        let shape = HOGShape(height: height, width: width, orientations: orientations, cellSize: cellSize, blockSize: blockSize)
        let first = hogDescriptor(try scaledMagnitude(a), shape)
        let second = hogDescriptor(try scaledMagnitude(b), shape)
        let dot = zip(first, second).reduce(0.0) { $0 + $1.0 * $1.1 }
        let norms = (first.reduce(0.0) { $0 + $1 * $1 }).squareRoot() * (second.reduce(0.0) { $0 + $1 * $1 }).squareRoot()
        guard norms > 0 else { throw .undefinedMeasure("HOG similarity of a map without gradients (constant map)") }
        return dot / norms
    }

    /// The map's magnitude scaled to [0, 1]: `|v| / max |v|` (all zeros stay zeros).
    ///
    /// - Throws: ``ExperimentError/undefinedMeasure(_:)`` for a map with a non-finite value.
    public static func scaledMagnitude(_ map: Tensor) throws(ExperimentError) -> [Double] {
        var largest = 0.0
        for value in map.scalars {
            guard value.isFinite else { throw .undefinedMeasure("similarity of a map with non-finite values") }
            largest = max(largest, Double(abs(value)))
        }
        guard largest > 0 else { return [Double](repeating: 0, count: map.scalars.count) }
        return map.scalars.map { Double(abs($0)) / largest }
    }
}

// MARK: - Implementation

extension MapSimilarity {
    /// Ranks 1…n, tied values sharing the mean of their ranks.
    static func averageRanks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let mean = Double(start + 1 + end) / 2  // mean of ranks start+1 … end
            for k in start..<end { ranks[order[k]] = mean }
            start = end
        }
        return ranks
    }

    static func pearson(_ x: [Double], _ y: [Double], what: String) throws(ExperimentError) -> Double {
        let n = Double(x.count)
        let meanX = x.reduce(0, +) / n, meanY = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (u, v) in zip(x, y) {
            sxy += (u - meanX) * (v - meanY)
            sxx += (u - meanX) * (u - meanX)
            syy += (v - meanY) * (v - meanY)
        }
        guard sxx > 0, syy > 0 else { throw .undefinedMeasure("\(what) of a constant map") }
        return min(1, max(-1, sxy / (sxx * syy).squareRoot()))
    }

    static func planeSize(_ a: Tensor, _ b: Tensor, minimumSide: Int, measure: String) throws(ExperimentError) -> (Int, Int) {
        guard a.shape.count == 2, a.shape == b.shape else {
            throw .incompatibleInputs("\(measure) needs two H×W maps of one shape, got \(a.shape) and \(b.shape)")
        }
        guard a.shape[0] >= minimumSide, a.shape[1] >= minimumSide else {
            throw .incompatibleInputs("\(measure) needs maps of at least \(minimumSide)×\(minimumSide), got \(a.shape[0])×\(a.shape[1])")
        }
        return (a.shape[0], a.shape[1])
    }

    static func gaussianWeights(sigma: Double, radius: Int) -> [Double] {
        let raw = (-radius...radius).map { offset in
            let x = Double(offset)
            return exp(-0.5 * x * x / (sigma * sigma))
        }
        let sum = raw.reduce(0, +)
        return raw.map { $0 / sum }
    }

    /// Separable filtering with `weights` (odd length), mirroring at the borders like
    /// `scipy.ndimage`'s `reflect` mode (only the values at least a radius from the border are used).
    static func filtered(_ plane: [Double], _ height: Int, _ width: Int, _ weights: [Double]) -> [Double] {
        let radius = weights.count / 2
        func mirrored(_ index: Int, _ size: Int) -> Int {
            var i = index
            while i < 0 || i >= size { i = i < 0 ? -i - 1 : 2 * size - i - 1 }
            return i
        }
        var rows = [Double](repeating: 0, count: plane.count)
        for r in 0..<height {
            for c in 0..<width {
                var sum = 0.0
                for (k, w) in weights.enumerated() { sum += w * plane[r * width + mirrored(c + k - radius, width)] }
                rows[r * width + c] = sum
            }
        }
        var result = [Double](repeating: 0, count: plane.count)
        for r in 0..<height {
            for c in 0..<width {
                var sum = 0.0
                for (k, w) in weights.enumerated() { sum += w * rows[mirrored(r + k - radius, height) * width + c] }
                result[r * width + c] = sum
            }
        }
        return result
    }

    struct HOGShape {
        var height, width, orientations, cellSize, blockSize: Int
    }

    /// HOG features: central-difference gradients (zero on the border rows/columns), unsigned
    /// orientation histograms of whole cells averaged over the cell's pixels, L2-Hys-normalised
    /// overlapping blocks.
    static func hogDescriptor(_ plane: [Double], _ shape: HOGShape) -> [Double] {
        let (height, width) = (shape.height, shape.width)
        var magnitude = [Double](repeating: 0, count: plane.count)
        var orientation = [Double](repeating: 0, count: plane.count)
        for r in 0..<height {
            for c in 0..<width {
                let gRow = (r == 0 || r == height - 1) ? 0 : plane[(r + 1) * width + c] - plane[(r - 1) * width + c]
                let gColumn = (c == 0 || c == width - 1) ? 0 : plane[r * width + c + 1] - plane[r * width + c - 1]
                magnitude[r * width + c] = (gRow * gRow + gColumn * gColumn).squareRoot()
                var degrees = atan2(gRow, gColumn) * 180 / .pi
                degrees = degrees.truncatingRemainder(dividingBy: 180)
                if degrees < 0 { degrees += 180 }
                orientation[r * width + c] = degrees
            }
        }
        let cellRows = height / shape.cellSize, cellColumns = width / shape.cellSize
        let binWidth = 180 / Double(shape.orientations)
        var histogram = [Double](repeating: 0, count: cellRows * cellColumns * shape.orientations)
        let cellArea = Double(shape.cellSize * shape.cellSize)
        for cellRow in 0..<cellRows {
            for cellColumn in 0..<cellColumns {
                for r in (cellRow * shape.cellSize)..<((cellRow + 1) * shape.cellSize) {
                    for c in (cellColumn * shape.cellSize)..<((cellColumn + 1) * shape.cellSize) {
                        let angle = orientation[r * width + c]
                        for bin in 0..<shape.orientations where angle >= binWidth * Double(bin) && angle < binWidth * Double(bin + 1) {
                            histogram[(cellRow * cellColumns + cellColumn) * shape.orientations + bin] += magnitude[r * width + c] / cellArea
                        }
                    }
                }
            }
        }
        let block = shape.blockSize
        var features: [Double] = []
        let epsilonSquared = 1e-10
        for blockRow in 0...(cellRows - block) {
            for blockColumn in 0...(cellColumns - block) {
                var values: [Double] = []
                for r in blockRow..<(blockRow + block) {
                    for c in blockColumn..<(blockColumn + block) {
                        let start = (r * cellColumns + c) * shape.orientations
                        values.append(contentsOf: histogram[start..<(start + shape.orientations)])
                    }
                }
                var norm = (values.reduce(0) { $0 + $1 * $1 } + epsilonSquared).squareRoot()
                values = values.map { min($0 / norm, 0.2) }
                norm = (values.reduce(0) { $0 + $1 * $1 } + epsilonSquared).squareRoot()
                features.append(contentsOf: values.map { $0 / norm })
            }
        }
        return features
    }
}
