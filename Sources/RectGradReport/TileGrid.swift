import Foundation

/// One picture of a ``TileGrid``.
public struct Tile: Sendable {
    /// Where the browser finds the picture.
    public enum Source: Sendable {
        /// A PNG embedded in the page as a `data:` URI.
        case embeddedPNG(Data)
        /// A file next to the page, by a path relative to it (for example `tiles/cat-saliency.png`).
        case file(relativePath: String)
    }

    /// Where the picture is.
    public var source: Source
    /// The alternative text.
    public var alt: String
    /// The picture's width in pixels (for its aspect ratio; the grid scales it to the column width).
    public var pixelWidth: Int
    /// The picture's height in pixels.
    public var pixelHeight: Int

    /// Creates a tile.
    public init(source: Source, alt: String, pixelWidth: Int, pixelHeight: Int) {
        self.source = source
        self.alt = alt
        self.pixelWidth = pixelWidth
        self.pixelHeight = pixelHeight
    }

    /// The number of bytes the tile adds to the page (the base64 text of an embedded PNG).
    public var embeddedByteCount: Int {
        if case .embeddedPNG(let data) = source { return (data.count + 2) / 3 * 4 }
        return 0
    }
}

/// Pictures in rows and columns with HTML labels, laid out to fit the page width: every column
/// gets the same share of the width, and more than ``maximumColumns`` columns continue in a
/// second table below the first (so tiles never become narrower than a page width divided by
/// ``maximumColumns``). Labels are text, so they stay readable at any zoom.
public struct TileGrid: Sendable {
    /// One row: a label and one optional tile per column (`nil` leaves the cell empty).
    public struct Row: Sendable {
        /// The row label (empty for none).
        public var label: String
        /// The tiles, one per column.
        public var tiles: [Tile?]

        /// Creates a row.
        public init(label: String, tiles: [Tile?]) {
            self.label = label
            self.tiles = tiles
        }
    }

    /// The column labels.
    public var columnLabels: [String]
    /// The rows.
    public var rows: [Row]
    /// The most columns in one table; further columns wrap into another table below.
    public var maximumColumns: Int
    /// A caption under the grid (empty for none).
    public var caption: String

    /// Creates a grid; `maximumColumns` is clamped to at least 1.
    public init(columnLabels: [String], rows: [Row], maximumColumns: Int = 7, caption: String = "") {
        self.columnLabels = columnLabels
        self.rows = rows
        self.maximumColumns = max(1, maximumColumns)
        self.caption = caption
    }

    /// The grid as HTML: one `<table class="tiles">` per group of at most ``maximumColumns`` columns.
    public func html() -> String {
        let hasRowLabels = rows.contains { !$0.label.isEmpty }
        let columnsPerTable = min(maximumColumns, max(columnLabels.count, 1))
        var html = "<figure class=\"tilegrid\">"
        for start in stride(from: 0, to: max(columnLabels.count, 1), by: columnsPerTable) {
            let range = start..<min(start + columnsPerTable, columnLabels.count)
            let padding = columnsPerTable - range.count
            html += "<table class=\"tiles\"><colgroup>"
            if hasRowLabels { html += "<col class=\"label\">" }
            html += String(repeating: "<col>", count: columnsPerTable) + "</colgroup><thead><tr>"
            if hasRowLabels { html += "<th></th>" }
            html += range.map { "<th scope=\"col\">\(escape(columnLabels[$0]))</th>" }.joined()
            html += String(repeating: "<th></th>", count: padding) + "</tr></thead><tbody>"
            for row in rows {
                html += "<tr>"
                if hasRowLabels { html += "<th scope=\"row\">\(escape(row.label))</th>" }
                for column in range {
                    if column < row.tiles.count, let tile = row.tiles[column] {
                        html += "<td>\(Self.image(tile))</td>"
                    } else {
                        html += "<td></td>"
                    }
                }
                html += String(repeating: "<td></td>", count: padding) + "</tr>"
            }
            html += "</tbody></table>"
        }
        if !caption.isEmpty { html += "<figcaption>\(escape(caption))</figcaption>" }
        return html + "</figure>"
    }

    static func image(_ tile: Tile) -> String {
        let source: String
        switch tile.source {
        case .embeddedPNG(let data): source = "data:image/png;base64," + data.base64EncodedString()
        case .file(let path): source = escape(path.split(separator: "/", omittingEmptySubsequences: false).map { percentEncoded(String($0)) }.joined(separator: "/"))
        }
        return "<img src=\"\(source)\" alt=\"\(escape(tile.alt))\" width=\"\(tile.pixelWidth)\" height=\"\(tile.pixelHeight)\">"
    }

    static func percentEncoded(_ component: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }
}
