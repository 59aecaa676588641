import Foundation
import RectGradCore
import RectGradExperiments
import RectGradImage

/// The pictures and page of a ``ThresholdSweep``: rows = images, columns = settings.
public struct ThresholdSweepReport: Sendable {
    /// One swept image.
    public struct Row: Sendable {
        /// A display name (the file name).
        public var name: String
        /// The image at the input size.
        public var image: RGBImage
        /// The explained class's name and probability, e.g. `tiger cat (71.2 %)`.
        public var classLabel: String
        /// One map `[1, C, H, W]` per setting.
        public var maps: [Tensor]

        /// Creates a row.
        public init(name: String, image: RGBImage, classLabel: String, maps: [Tensor]) {
            self.name = name
            self.image = image
            self.classLabel = classLabel
            self.maps = maps
        }
    }

    /// The columns.
    public var settings: [ThresholdSweep.Setting]
    /// The rows.
    public var rows: [Row]
    /// How every map is painted (default the paper's (0.5, 99.5)).
    public var finalThreshold: FinalThreshold

    /// Creates a report.
    public init(settings: [ThresholdSweep.Setting], rows: [Row], finalThreshold: FinalThreshold = .paper) {
        self.settings = settings
        self.rows = rows
        self.finalThreshold = finalThreshold
    }

    /// The painted map of row `row`, setting `column`.
    public func tile(row: Int, column: Int, scale: Int = 1) throws -> RGBImage {
        try HeatmapTile.render(rows[row].maps[column], threshold: finalThreshold, scale: scale)
    }

    /// All rows in one bitmap figure, every tile `side` pixels wide at most (inputs shrunk or
    /// enlarged to it); with `includesInputs` the first column shows the image.
    public func figure(side: Int = 112, includesInputs: Bool = true) throws -> RGBImage {
        var cells: [[RGBImage]] = []
        for (r, row) in rows.enumerated() {
            var line: [RGBImage] = []
            if includesInputs { line.append(try Self.fitted(row.image, side: side)) }
            for c in settings.indices { line.append(try Self.fitted(try tile(row: r, column: c), side: side)) }
            cells.append(line)
        }
        let labels = (includesInputs ? ["input"] : []) + settings.map { Self.asciiLabel($0) }
        return try ImageGrid(cells: cells, rowLabels: [], columnLabels: labels, padding: 4, textScale: 1).render()
    }

    /// `q=90`, `tau=0` (the figure font has ASCII glyphs only).
    static func asciiLabel(_ setting: ThresholdSweep.Setting) -> String {
        setting.description.replacingOccurrences(of: "τ", with: "tau").replacingOccurrences(of: " ", with: "")
    }

    /// `image` scaled (nearest neighbour up, area-averaging down) so that its longer side is `side`.
    static func fitted(_ image: RGBImage, side: Int) throws -> RGBImage {
        let longer = max(image.width, image.height)
        if longer == side { return image }
        if longer < side, side % longer == 0 { return try image.enlarged(by: side / longer) }
        let factor = Double(side) / Double(longer)
        return try image.resized(width: max(1, Int((Double(image.width) * factor).rounded())), height: max(1, Int((Double(image.height) * factor).rounded())))
    }

    /// Writes `maps/<image stem>-<setting>.png` for every cell, `sweep.png` (the whole figure) and
    /// `report.html` into `directory`.
    /// - Returns: the URL of `report.html`.
    @discardableResult
    public func write(to directory: URL, title: String, facts: [(String, String)]) throws -> URL {
        let folder = directory.appendingPathComponent("maps")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let scale = rows.first.map { max(1, 160 / max($0.image.width, $0.image.height, 1)) } ?? 1
        for (r, row) in rows.enumerated() {
            let stem = ExplanationReport.fileStem(row.name)
            for (c, setting) in settings.enumerated() {
                try tile(row: r, column: c, scale: scale).writePNG(to: folder.appendingPathComponent("\(stem)-\(setting.fileLabel).png"))
            }
        }
        try figure().writePNG(to: directory.appendingPathComponent("sweep.png"))
        let url = directory.appendingPathComponent("report.html")
        try html(title: title, facts: facts).write(to: url)
        return url
    }

    /// The page: facts, then one tile grid (rows = images, columns = the input and the settings).
    public func html(title: String, facts: [(String, String)]) throws -> HTMLReport {
        let pages = ExplanationReport(images: [])
        var gridRows: [TileGrid.Row] = []
        for (r, row) in rows.enumerated() {
            let stem = ExplanationReport.fileStem(row.name)
            var tiles: [Tile?] = [try pages.pageTile(row.image, alt: "\(stem) input")]
            for (c, setting) in settings.enumerated() {
                tiles.append(try pages.pageTile(try tile(row: r, column: c), alt: "\(stem) \(setting.fileLabel)"))
            }
            gridRows.append(TileGrid.Row(label: "\(row.name): \(row.classLabel)", tiles: tiles))
        }
        let grid = TileGrid(
            columnLabels: ["input"] + settings.map(\.description), rows: gridRows, maximumColumns: settings.count + 1,
            caption: "RectGrad maps painted with the final threshold \(ExplanationReport.thresholdLabel(finalThreshold)); red is evidence for the explained class, blue against it.")
        return HTMLReport(title: title, subtitle: "Generated by rectgrad \(RectifiedGradientVersion.string)", blocks: [
            .facts(facts),
            .paragraph("Columns: RectGrad at percentile q (a unit passes the gradient when its importance a·R exceeds the q-th percentile of its layer), and RectGrad-const with the fixed threshold τ. With q = 0 the threshold is the layer minimum, so units of importance 0 (inactive ones included) pass; RectGrad-const τ = 0 passes exactly the units with a > 0 and R > 0, as guided backprop does (apart from the padding rule)."),
            .tileGrid(grid),
        ])
    }
}
