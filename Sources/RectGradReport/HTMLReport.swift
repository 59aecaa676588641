import Foundation

/// A self-contained HTML report: every picture is embedded as a `data:` URI, the style sheet is
/// inline, nothing is fetched when the page opens.
public struct HTMLReport: Sendable {
    /// One block of the report, rendered in order.
    public indirect enum Block: Sendable {
        /// A heading of level 2 (section) or 3 (subsection).
        case heading(String, level: Int)
        /// A paragraph of plain text (escaped).
        case paragraph(String)
        /// An embedded PNG with a caption.
        case figure(png: Data, caption: String, alt: String, pixelWidth: Int)
        /// A table with a header row; cells are plain text (escaped).
        case table(header: [String], rows: [[String]], caption: String?)
        /// Key–value facts (parameters, timings), shown as a compact definition list.
        case facts([(String, String)])
        /// Pictures in a table that fits the page width, with HTML column and row labels.
        case tileGrid(TileGrid)
        /// Blocks hidden behind a one-line summary the reader clicks to open (`<details>`).
        case details(summary: String, blocks: [Block])
    }

    /// The page title.
    public var title: String
    /// A line under the title.
    public var subtitle: String
    /// The content.
    public var blocks: [Block]

    /// Creates a report.
    public init(title: String, subtitle: String = "", blocks: [Block] = []) {
        self.title = title
        self.subtitle = subtitle
        self.blocks = blocks
    }

    /// The number of `.figure` blocks (nested ones included).
    public var figureCount: Int {
        Self.count(blocks) { if case .figure = $0 { return 1 } else { return 0 } }
    }

    /// The number of pictures on the page: figures and every tile of every tile grid.
    public var pictureCount: Int {
        Self.count(blocks) { block in
            switch block {
            case .figure: return 1
            case .tileGrid(let grid): return grid.rows.reduce(0) { $0 + $1.tiles.compactMap { $0 }.count }
            default: return 0
            }
        }
    }

    /// The bytes that embedded pictures add to the page (base64 text).
    public var embeddedPictureBytes: Int {
        Self.count(blocks) { block in
            switch block {
            case .figure(let png, _, _, _): return (png.count + 2) / 3 * 4
            case .tileGrid(let grid): return grid.rows.reduce(0) { $0 + $1.tiles.reduce(0) { $0 + ($1?.embeddedByteCount ?? 0) } }
            default: return 0
            }
        }
    }

    static func count(_ blocks: [Block], _ value: (Block) -> Int) -> Int {
        blocks.reduce(0) { total, block in
            if case .details(_, let inner) = block { return total + count(inner, value) }
            return total + value(block)
        }
    }

    /// The complete HTML page.
    public func render() -> String {
        var body: [String] = []
        body.append("<header><h1>\(escape(title))</h1>")
        if !subtitle.isEmpty { body.append("<p class=\"subtitle\">\(escape(subtitle))</p>") }
        body.append("</header><main>")
        Self.render(blocks, into: &body)
        body.append("</main>")
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(Self.styleSheet)</style>
        </head><body>
        \(body.joined(separator: "\n"))
        <script>\(Self.renderCheck)</script>
        </body></html>
        """
    }

    static func render(_ blocks: [Block], into body: inout [String]) {
        for block in blocks {
            switch block {
            case .heading(let text, let level):
                let tag = level <= 2 ? "h2" : "h3"
                body.append("<\(tag)>\(escape(text))</\(tag)>")
            case .paragraph(let text):
                body.append("<p>\(escape(text))</p>")
            case .figure(let png, let caption, let alt, let width):
                body.append("""
                <figure><img src="data:image/png;base64,\(png.base64EncodedString())" alt="\(escape(alt))" width="\(width)"><figcaption>\(escape(caption))</figcaption></figure>
                """)
            case .table(let header, let rows, let caption):
                var html = "<table>"
                if let caption { html += "<caption>\(escape(caption))</caption>" }
                html += "<thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
                for row in rows { html += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }
                body.append(html + "</tbody></table>")
            case .facts(let facts):
                body.append("<dl>" + facts.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined() + "</dl>")
            case .tileGrid(let grid):
                body.append(grid.html())
            case .details(let summary, let inner):
                body.append("<details><summary>\(escape(summary))</summary>")
                render(inner, into: &body)
                body.append("</details>")
            }
        }
    }

    /// Writes the page to `url` (UTF-8).
    public func write(to url: URL) throws {
        try Data(render().utf8).write(to: url, options: .atomic)
    }

    /// Marks `<body>` for a headless browser: `data-rendered-images` is the number of images that
    /// decoded (so a test can confirm that every picture renders) and `data-fits-width` is `true`
    /// when nothing is wider than the window (no horizontal scrolling).
    static let renderCheck = """
    window.addEventListener('load',function(){var n=0;for(const i of document.images){if(i.complete&&i.naturalWidth>0){n++;}}document.body.setAttribute('data-rendered-images',String(n));var e=document.documentElement;document.body.setAttribute('data-fits-width',String(e.scrollWidth<=e.clientWidth));});
    """

    static let styleSheet = """
    body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:1.5em 2em;color:#1d1d1f;background:#fff;line-height:1.45}
    header{border-bottom:1px solid #ddd;margin-bottom:1em}h1{font-size:1.7em;margin:.2em 0}
    .subtitle{color:#555;margin-top:0}h2{margin-top:1.8em;font-size:1.3em;border-bottom:1px solid #eee}h3{font-size:1.05em}
    figure{margin:1em 0;overflow-x:auto}img{image-rendering:pixelated;border:1px solid #eee;max-width:100%;height:auto}
    figcaption{color:#555;font-size:.9em;margin-top:.3em}
    table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}caption{text-align:left;color:#555;padding-bottom:.3em}
    th,td{border:1px solid #ddd;padding:.3em .7em;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f6f6f6}
    dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#555}dd{margin:0;font-family:ui-monospace,Menlo,monospace}
    table.tiles{table-layout:fixed;width:100%;margin:.4em 0}table.tiles th,table.tiles td{border:none;padding:2px 3px;text-align:center;vertical-align:bottom;background:none;overflow-wrap:break-word}
    table.tiles thead th{font-weight:600;font-size:.78em;line-height:1.2}table.tiles tbody th{text-align:right;font-weight:normal;font-size:.8em;color:#555;vertical-align:middle}
    table.tiles col.label{width:6.5em}table.tiles img{display:block;width:100%;height:auto;border:none}
    details{margin:.5em 0}summary{cursor:pointer;color:#555}p.note{background:#f6f6f6;border-left:3px solid #bbb;padding:.4em .8em}
    """
}

/// Escapes text for HTML element content and attribute values.
func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}
