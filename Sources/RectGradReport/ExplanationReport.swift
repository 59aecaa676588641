import Foundation
import RectGradAttribution
import RectGradCore
import RectGradImage

/// Turns explained images into pictures (one PNG per image and method) and a self-contained HTML page.
public struct ExplanationReport: Sendable {
    /// The explained images.
    public var images: [ExplainedImage]
    /// The final threshold for every map (the paper: (0.5, 99.5)).
    public var finalThreshold: FinalThreshold
    /// Also show the baselines with the paper's baseline final threshold (95, 99.5).
    public var showsBaselineThreshold: Bool
    /// Integer enlargement of every tile (crisp pixels for small inputs) in the PNG files and the
    /// bitmap grids (``grid(for:)``, ``comparisonGrid(baselineThreshold:)``).
    public var tileScale: Int
    /// The largest side, in pixels, of a picture in the HTML page: larger inputs are shrunk to it
    /// (a 224×224 photo becomes 160×160), smaller ones are stored at their own size and enlarged
    /// by the browser with crisp pixels. Default 160.
    public var displaySide: Int = 160
    /// The most tiles side by side in the HTML page; more wrap into a second table below.
    public var maximumColumns: Int = 7

    /// Creates a report; `tileScale` defaults to enlarging tiles to about 160 pixels.
    public init(images: [ExplainedImage], finalThreshold: FinalThreshold = .paper, showsBaselineThreshold: Bool = true, tileScale: Int? = nil) {
        self.images = images
        self.finalThreshold = finalThreshold
        self.showsBaselineThreshold = showsBaselineThreshold
        let side = images.first.map { max($0.image.width, $0.image.height) } ?? 160
        self.tileScale = tileScale ?? max(1, 160 / max(side, 1))
    }

    /// The tile of one map under a threshold.
    public func tile(_ map: MethodMap, threshold: FinalThreshold) throws -> RGBImage {
        try HeatmapTile.render(map.map, threshold: threshold, scale: tileScale)
    }

    /// The comparison grid of one image: the input, then one column per method; a second row with the
    /// baseline final threshold when ``showsBaselineThreshold``.
    public func grid(for image: ExplainedImage) throws -> RGBImage {
        let input = try image.image.enlarged(by: tileScale)
        let blank = try RGBImage(width: input.width, height: input.height, color: .white)
        var rows: [[RGBImage]] = [[input] + (try image.maps.map { try tile($0, threshold: finalThreshold) })]
        var labels = ["final \(finalThreshold.lower),\(finalThreshold.upper)"]
        if showsBaselineThreshold {
            rows.append([blank] + (try image.maps.map { try tile($0, threshold: .baseline) }))
            labels.append(String(format: "final %g,%g", FinalThreshold.baseline.lower, FinalThreshold.baseline.upper))
        }
        let columns = ["input"] + image.maps.map(\.method.rawValue)
        let textScale = input.width >= 120 ? 2 : 1
        return try ImageGrid(cells: rows, rowLabels: labels, columnLabels: columns, padding: 6, textScale: textScale).render()
    }

    /// All images in one figure: rows = images, columns = the input and every method (the paper's
    /// comparison figure). With `baselineThreshold`, every map gets its method's default final
    /// threshold (`AttributionMethod/defaultFinalThreshold`: the baselines (95, 99.5), the RectGrad
    /// family (0.5, 99.5)).
    public func comparisonGrid(baselineThreshold: Bool) throws -> RGBImage {
        var rows: [[RGBImage]] = []
        for image in images {
            var cells = [try image.image.enlarged(by: tileScale)]
            for map in image.maps {
                let threshold = baselineThreshold ? FinalThreshold(map.attributionMethod.defaultFinalThreshold) : finalThreshold
                cells.append(try tile(map, threshold: threshold))
            }
            rows.append(cells)
        }
        let columns = ["input"] + (images.first?.maps.map { Self.shortLabel($0.method) } ?? [])
        let rowLabels = images.map { "\($0.className) \(String(format: "%.0f", Double($0.confidence) * 100))%" }
        return try ImageGrid(cells: rows, rowLabels: rowLabels, columnLabels: columns, padding: 4, textScale: tileScale * (images.first?.image.width ?? 0) >= 200 ? 2 : 1).render()
    }

    /// All images as one tile grid that fits the page width: rows = images (labelled with the
    /// class and probability), columns = the input and every method, HTML labels. Methods whose
    /// maps coincide (``coincidences(relativeTolerance:)``) share a column. With
    /// `baselineThreshold`, every map gets its method's default final threshold.
    public func comparisonTileGrid(baselineThreshold: Bool, maximumColumns: Int = 13) throws -> TileGrid {
        let columns = displayedColumns(coincidences())
        var rows: [TileGrid.Row] = []
        for image in images {
            let stem = Self.fileStem(image.name)
            var tiles: [Tile?] = [try pageTile(image.image, alt: "\(stem) input")]
            for column in columns {
                let map = image.maps[column.index]
                let threshold = baselineThreshold ? FinalThreshold(map.attributionMethod.defaultFinalThreshold) : finalThreshold
                tiles.append(try pageTile(try HeatmapTile.render(map.map, threshold: threshold), alt: "\(stem) \(map.method.rawValue) \(Self.thresholdLabel(threshold))"))
            }
            rows.append(TileGrid.Row(label: "\(image.className) \(String(format: "%.0f", Double(image.confidence) * 100)) %", tiles: tiles))
        }
        return TileGrid(columnLabels: ["input"] + columns.map(\.label), rows: rows, maximumColumns: maximumColumns)
    }

    /// Column labels short enough for 128-pixel tiles.
    public static func shortLabel(_ method: MethodName) -> String {
        switch method {
        case .gradientTimesInput: return "grad x input"
        case .integratedGradients: return "integ. grad."
        case .guidedBackprop: return "guided bp"
        case .rectGradConstant: return "rectgrad tau=0"
        default: return method.rawValue
        }
    }

    /// Where the HTML page keeps its pictures.
    public enum TileStorage: Sendable, Hashable {
        /// Embedded in the page (one self-contained file).
        case embedded
        /// PNG files in a `tiles` folder next to the page.
        case files
        /// Embedded while the pictures add at most `maximumEmbeddedBytes` to the page, files otherwise.
        case automatic(maximumEmbeddedBytes: Int)

        /// Embedded up to 4 MB of pictures (about 25 ImageNet photos with 12 methods at the
        /// default display size), files beyond.
        public static let standard = TileStorage.automatic(maximumEmbeddedBytes: 4_000_000)
    }

    /// Writes `NAME-METHOD.png` for every image and method, `comparison.png` (all images), and
    /// `report.html`, into `directory`. With many images (see ``TileStorage/standard``) the page's
    /// pictures go to `directory/tiles/` instead of into the page.
    /// - Returns: the URL of `report.html`.
    @discardableResult
    public func write(to directory: URL, title: String, facts: [(String, String)], extraBlocks: [HTMLReport.Block] = [], tileStorage: TileStorage = .standard) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for image in images {
            let stem = Self.fileStem(image.name)
            for map in image.maps {
                try tile(map, threshold: finalThreshold).writePNG(to: directory.appendingPathComponent("\(stem)-\(map.method.rawValue).png"))
            }
        }
        try comparisonGrid(baselineThreshold: false).writePNG(to: directory.appendingPathComponent("comparison.png"))
        var report = try html(title: title, facts: facts, extraBlocks: extraBlocks)
        let external: Bool
        switch tileStorage {
        case .embedded: external = false
        case .files: external = true
        case .automatic(let limit): external = report.embeddedPictureBytes > limit
        }
        if external {
            let folder = directory.appendingPathComponent("tiles")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var written = Set<String>()
            report.blocks = try report.blocks.map { block in
                try Self.externalizing(block, folder: folder, written: &written)
            }
        }
        let url = directory.appendingPathComponent("report.html")
        try report.write(to: url)
        return url
    }

    /// Moves a tile grid's embedded pictures into files named after their alt text.
    static func externalizing(_ block: HTMLReport.Block, folder: URL, written: inout Set<String>) throws -> HTMLReport.Block {
        switch block {
        case .details(let summary, let inner):
            return .details(summary: summary, blocks: try inner.map { try externalizing($0, folder: folder, written: &written) })
        case .tileGrid(var grid):
            for r in grid.rows.indices {
                for c in grid.rows[r].tiles.indices {
                    guard let tile = grid.rows[r].tiles[c], case .embeddedPNG(let data) = tile.source else { continue }
                    let base = fileName(tile.alt)
                    var name = base
                    var suffix = 2
                    while written.contains(name) {
                        name = base + "-\(suffix)"
                        suffix += 1
                    }
                    written.insert(name)
                    try data.write(to: folder.appendingPathComponent(name + ".png"), options: .atomic)
                    grid.rows[r].tiles[c]?.source = .file(relativePath: "tiles/\(name).png")
                }
            }
            return .tileGrid(grid)
        default:
            return block
        }
    }

    /// A method whose maps equal another method's on every image of the report.
    public struct Coincidence: Sendable, Hashable {
        /// The method not shown in a column of its own.
        public var method: MethodName
        /// The earlier method it coincides with (shown as `sameAs = method`).
        public var sameAs: MethodName
        /// The largest |difference| between the two maps over all images, relative to the largest |value|.
        public var largestRelativeDifference: Float
    }

    /// The methods whose maps equal an earlier method's on every image, within `relativeTolerance`
    /// of the map's largest magnitude (exactly equal maps give a difference of 0). RectGrad-PRR
    /// coincides with RectGrad on networks without max-pooling, for example.
    public func coincidences(relativeTolerance: Float = 1e-6) -> [Coincidence] {
        guard let methods = images.first?.maps.map(\.method), !methods.isEmpty,
              images.allSatisfy({ $0.maps.map(\.method) == methods }) else { return [] }
        var result: [Coincidence] = []
        for j in methods.indices.dropFirst() {
            for i in 0..<j where !result.contains(where: { $0.method == methods[i] }) {
                var largest: Float = 0
                var equal = true
                for image in images {
                    guard let difference = Self.relativeDifference(image.maps[i].map, image.maps[j].map), difference <= relativeTolerance else {
                        equal = false
                        break
                    }
                    largest = max(largest, difference)
                }
                if equal {
                    result.append(Coincidence(method: methods[j], sameAs: methods[i], largestRelativeDifference: largest))
                    break
                }
            }
        }
        return result
    }

    /// max |a − b| / max(|a|, |b|); 0 for two all-zero maps; nil for different shapes or non-finite values.
    static func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float? {
        guard a.shape == b.shape else { return nil }
        var difference: Float = 0, magnitude: Float = 0
        for (x, y) in zip(a.scalars, b.scalars) {
            difference = max(difference, abs(x - y))
            magnitude = max(magnitude, abs(x), abs(y))
        }
        guard difference.isFinite, magnitude.isFinite else { return nil }
        return magnitude > 0 ? difference / magnitude : 0
    }

    /// The sentence that says once which methods coincide and why.
    static func coincidenceNote(_ coincidences: [Coincidence], imageCount: Int) -> String {
        let pairs = coincidences.map { "\($0.method.rawValue) equals \($0.sameAs.rawValue)" }.joined(separator: "; ")
        var text = "Identical maps on all \(imageCount) image\(imageCount == 1 ? "" : "s"): \(pairs). Each such pair is shown once, in the column labelled \u{201C}A = B\u{201D}."
        if coincidences.contains(where: { $0.method == .rectGradPRR && $0.sameAs == .rectGrad }) {
            text += " RectGrad-PRR changes the backward pass only at max-pooling layers, so it equals RectGrad on a network without max-pooling."
        }
        return text
    }

    /// A picture for the page: shrunk to ``displaySide`` when larger, PNG-encoded.
    func pageTile(_ image: RGBImage, alt: String) throws -> Tile {
        var picture = image
        let side = max(image.width, image.height)
        if side > displaySide {
            let factor = Double(displaySide) / Double(side)
            picture = try image.resized(width: max(1, Int((Double(image.width) * factor).rounded())),
                                        height: max(1, Int((Double(image.height) * factor).rounded())))
        }
        return Tile(source: .embeddedPNG(try picture.encodePNG(compressionLevel: 9)), alt: alt, pixelWidth: picture.width, pixelHeight: picture.height)
    }

    /// The column labels and method indices shown: coinciding methods share one column.
    func displayedColumns(_ coincidences: [Coincidence]) -> [(label: String, index: Int)] {
        let methods = images.first?.maps.map(\.method) ?? []
        return methods.enumerated().compactMap { index, method in
            if coincidences.contains(where: { $0.method == method }) { return nil }
            let same = coincidences.filter { $0.sameAs == method }.map(\.method.rawValue)
            return (([method.rawValue] + same).joined(separator: " = "), index)
        }
    }

    /// The tile grid of one image: the input, then one column per (distinct) method; a second row
    /// with the baseline final threshold when ``showsBaselineThreshold``.
    public func tileGrid(for image: ExplainedImage, coincidences: [Coincidence]? = nil) throws -> TileGrid {
        let columns = displayedColumns(coincidences ?? self.coincidences())
        let stem = Self.fileStem(image.name)
        var thresholds = [finalThreshold]
        if showsBaselineThreshold { thresholds.append(.baseline) }
        var rows: [TileGrid.Row] = []
        for (row, threshold) in thresholds.enumerated() {
            var tiles: [Tile?] = [row == 0 ? try pageTile(image.image, alt: "\(stem) input") : nil]
            for column in columns {
                let map = image.maps[column.index]
                let picture = try HeatmapTile.render(map.map, threshold: threshold)
                tiles.append(try pageTile(picture, alt: "\(stem) \(map.method.rawValue) \(Self.thresholdLabel(threshold))"))
            }
            rows.append(TileGrid.Row(label: "final threshold " + Self.thresholdLabel(threshold), tiles: tiles))
        }
        return TileGrid(columnLabels: ["input"] + columns.map(\.label), rows: rows, maximumColumns: maximumColumns)
    }

    static func thresholdLabel(_ threshold: FinalThreshold) -> String {
        String(format: "(%g, %g)", threshold.lower, threshold.upper)
    }

    /// The report page: facts, a note on coinciding methods, then per image a tile grid that fits
    /// the page width with HTML labels, and its timings folded away; finally the metrics table.
    public func html(title: String, facts: [(String, String)], extraBlocks: [HTMLReport.Block] = []) throws -> HTMLReport {
        var blocks: [HTMLReport.Block] = [.facts(facts)]
        blocks += extraBlocks
        let coincidences = coincidences()
        if !coincidences.isEmpty {
            blocks.append(.paragraph(Self.coincidenceNote(coincidences, imageCount: images.count)))
        }
        if let first = images.first, !first.maps.isEmpty {
            blocks.append(.paragraph("Each map is painted blue-white-red over its symmetric range after the final threshold (q1, q2) of its row: red is evidence for the class, blue against it."))
        }
        for image in images {
            blocks.append(.heading("\(image.name) — \(image.className) (\(Self.percent(image.confidence)))", level: 2))
            var grid = try tileGrid(for: image, coincidences: coincidences)
            grid.caption = "Predicted \(image.className) with probability \(Self.percent(image.confidence))."
            blocks.append(.tileGrid(grid))
            let timing = image.maps.map { [$0.method.rawValue, String(format: "%.1f ms", $0.seconds * 1000)] }
            blocks.append(.details(summary: "Timing", blocks: [
                .table(header: ["method", "time"], rows: [["forward (shared)", String(format: "%.1f ms", image.forwardSeconds * 1000)]] + timing, caption: nil),
            ]))
        }
        let methods = images.first?.maps.map(\.method) ?? []
        let metrics = try methods.compactMap { try MethodMetrics.average($0, over: images) }
        if !metrics.isEmpty {
            blocks.append(.heading("Attribution outside the object and total variation", level: 2))
            blocks.append(.table(header: MetricsFormatting.header, rows: metrics.map(MetricsFormatting.row), caption: MetricsFormatting.caption(imageCount: metrics[0].imageCount)))
        }
        return HTMLReport(title: title, subtitle: "Generated by rectgrad \(RectifiedGradientVersion.string)", blocks: blocks)
    }

    static func percent(_ value: Float) -> String { String(format: "%.1f %%", Double(value) * 100) }

    /// A file-name-safe version of a text: letters, digits, `-`, `_` and `.` kept, runs of anything
    /// else become one `_`.
    static func fileName(_ text: String) -> String {
        var result = ""
        for character in text {
            if character.isLetter || character.isNumber || character == "-" || character == "." {
                result.append(character)
            } else if result.last != "_" {
                result.append("_")
            }
        }
        while result.hasSuffix("_") { result.removeLast() }
        return result.isEmpty ? "tile" : result
    }

    /// A file-name-safe stem of an image name.
    static func fileStem(_ name: String) -> String {
        let base = (name as NSString).deletingPathExtension
        let safe = base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        return safe.isEmpty ? "image" : String(safe)
    }
}

/// How the metrics table is written, shared by the report and the docs.
public enum MetricsFormatting {
    /// The table header.
    public static let header = ["method", "outside mask (fraction)", "outside mask (raw)", "total variation (normalised)", "total variation (raw)"]

    /// One row.
    public static func row(_ m: MethodMetrics) -> [String] {
        [m.method.rawValue, String(format: "%.3f", m.outsideFraction), String(format: "%.4g", m.outsideTotal),
         String(format: "%.3f", m.normalizedTotalVariation), String(format: "%.4g", m.totalVariation)]
            + (m.patchFraction.map { [String(format: "%.4f", $0)] } ?? [])
    }

    /// The header with the occlusion-patch column.
    public static let headerWithPatch = header + ["in the 10×10 patch (fraction)"]

    /// The caption, naming the protocol.
    public static func caption(imageCount: Int) -> String {
        "Means over \(imageCount) images. Outside mask: the paper's protocol (RectGrad family: max(A, 0) then preprocess(0, 100); other methods: preprocess(95, 100)); fraction = Σ outside |M| / Σ |M|. Total variation of the channel-summed map; normalised = TV / Σ |M|. Lower is better for both."
    }
}

/// The package version shown in reports.
public enum RectifiedGradientVersion {
    /// The version string.
    public static let string = "0.1.0"
}
