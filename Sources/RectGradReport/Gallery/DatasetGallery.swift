import Foundation

/// A paginated HTML gallery of a dataset run's output folder, built from its index files
/// (``DatasetIndex/latestRows(in:)``): per image the input as the network saw it and, per method,
/// the heatmap without and with the final threshold side by side, with the path, the predicted
/// class and confidence, the explained class and the completeness gaps.
///
/// Every sort order (``SortOrder``) has its own pages, linked from each page, so sorting covers
/// the whole set, not one page. The first page by path is `index.html`; images that failed are
/// listed there. Up to ``embeddingLimit`` images the pictures are embedded (one self-contained
/// file per page); beyond, pages link the PNG files the run wrote (relative links, so the output
/// folder can be moved or served as a whole).
public struct DatasetGallery: Sendable {
    /// How the images of a gallery are ordered.
    public enum SortOrder: String, Sendable, CaseIterable {
        /// By path (the listing order).
        case path
        /// By predicted class index, then path.
        case `class`
        /// By confidence in the predicted class, highest first.
        case confidence
        /// By the largest absolute completeness gap over the methods, largest first; images
        /// without a gap (no baseline method) last.
        case gap

        var title: String {
            switch self {
            case .path: return "path"
            case .class: return "class"
            case .confidence: return "confidence"
            case .gap: return "completeness gap"
            }
        }
    }

    /// Images per page.
    public var pageSize: Int
    /// Up to this many images, pictures are embedded in the pages as data URIs.
    public var embeddingLimit: Int
    /// The gallery's title.
    public var title: String

    /// Creates a gallery layout.
    public init(pageSize: Int = 50, embeddingLimit: Int = 36, title: String = "Attribution gallery") {
        self.pageSize = pageSize
        self.embeddingLimit = embeddingLimit
        self.title = title
    }

    /// What ``write(from:to:)`` wrote.
    public struct Summary: Sendable, Equatable {
        /// The first page (`index.html`).
        public var firstPage: URL
        /// Every page written.
        public var pages: [URL]
        /// Images shown.
        public var imageCount: Int
        /// Images listed as failed.
        public var failedCount: Int
        /// Whether the pictures were embedded.
        public var embedded: Bool
    }

    /// Writes the gallery of the run in `outputFolder` into `galleryFolder` (default
    /// `outputFolder/gallery`).
    /// - Throws: ``DatasetError/invalidConfiguration(_:)`` for a page size below 1 or a folder
    ///   without index rows; the index readers' errors; ``DatasetError/cannotWrite(path:reason:)``.
    public func write(from outputFolder: URL, to galleryFolder: URL? = nil) throws(DatasetError) -> Summary {
        guard pageSize >= 1 else { throw .invalidConfiguration("the page size must be at least 1, got \(pageSize)") }
        let rows = try DatasetIndex.latestRows(in: outputFolder)
        guard !rows.isEmpty else {
            throw .invalidConfiguration("\(outputFolder.path) holds no index rows (index.jsonl or index-<i>-of-<n>.jsonl); run `rectgrad attribute … --output \(outputFolder.path) FOLDER` first")
        }
        let gallery = galleryFolder ?? outputFolder.appendingPathComponent("gallery")
        do { try FileManager.default.createDirectory(at: gallery, withIntermediateDirectories: true) } catch {
            throw .cannotWrite(path: gallery.path, reason: error.localizedDescription)
        }
        let shown = rows.filter { $0.status == .ok }
        let failed = rows.filter { $0.status == .failed }
        let embed = shown.count <= embeddingLimit
        let pictures = PictureSource(outputFolder: outputFolder, galleryFolder: gallery, embed: embed)
        let pageCount = max(1, (shown.count + pageSize - 1) / pageSize)
        var written: [URL] = []
        for order in SortOrder.allCases {
            let sorted = Self.sorted(shown, by: order)
            for page in 1...pageCount {
                let slice = Array(sorted[min((page - 1) * pageSize, sorted.count)..<min(page * pageSize, sorted.count)])
                let html = try render(slice, order: order, page: page, pageCount: pageCount, total: shown.count,
                                      failed: order == .path && page == 1 ? failed : [], failedCount: failed.count, pictures: pictures)
                let url = gallery.appendingPathComponent(Self.pageName(order: order, page: page))
                try AtomicFile.write(Data(html.utf8), to: url)
                written.append(url)
            }
        }
        return Summary(firstPage: gallery.appendingPathComponent("index.html"), pages: written, imageCount: shown.count, failedCount: failed.count, embedded: embed)
    }

    /// `index.html` for the first page by path, else `<order>-<page>.html`.
    public static func pageName(order: SortOrder, page: Int) -> String {
        order == .path && page == 1 ? "index.html" : "\(order.rawValue)-\(page).html"
    }

    static func sorted(_ rows: [DatasetIndexRow], by order: SortOrder) -> [DatasetIndexRow] {
        func byPath(_ a: DatasetIndexRow, _ b: DatasetIndexRow) -> Bool { a.path.utf8.lexicographicallyPrecedes(b.path.utf8) }
        switch order {
        case .path:
            return rows.sorted(by: byPath)
        case .class:
            return rows.sorted { a, b in
                let (x, y) = (a.predicted?.index ?? Int.max, b.predicted?.index ?? Int.max)
                return x != y ? x < y : byPath(a, b)
            }
        case .confidence:
            return rows.sorted { a, b in
                let (x, y) = (a.predicted?.confidence ?? -1, b.predicted?.confidence ?? -1)
                return x != y ? x > y : byPath(a, b)
            }
        case .gap:
            return rows.sorted { a, b in
                let (x, y) = (a.largestGap ?? -1, b.largestGap ?? -1)
                return x != y ? x > y : byPath(a, b)
            }
        }
    }

    // MARK: HTML

    func render(_ rows: [DatasetIndexRow], order: SortOrder, page: Int, pageCount: Int, total: Int,
                failed: [DatasetIndexRow], failedCount: Int, pictures: PictureSource) throws(DatasetError) -> String {
        var methods: [String] = []
        for row in rows { for record in row.methods ?? [] where !methods.contains(record.method) { methods.append(record.method) } }
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) — page \(page) of \(pageCount) by \(order.title)</title>
        <style>\(Self.styleSheet)</style>
        <script>\(HTMLReport.renderCheck)</script>
        </head><body data-images="\(rows.count)">
        <header><h1>\(escape(title))</h1>
        <p class="subtitle">\(total) image\(total == 1 ? "" : "s")\(failedCount > 0 ? ", \(failedCount) failed (listed on <a href=\"index.html#failed\">the first page</a>)" : ""). Each method: without the final threshold, then with it.</p>
        <nav class="sort">Sort by: \(SortOrder.allCases.map { $0 == order ? "<strong>\(escape($0.title))</strong>" : "<a href=\"\(Self.pageName(order: $0, page: 1))\">\(escape($0.title))</a>" }.joined(separator: " · "))</nav>
        \(pagination(order: order, page: page, pageCount: pageCount))
        </header>
        <table class="gallery"><thead><tr><th>image</th>
        """
        for method in methods { html += "<th colspan=\"2\">\(escape(method))<br><span class=\"sub\">without · with final threshold</span></th>" }
        html += "</tr></thead><tbody>\n"
        for row in rows {
            html += "<tr><td class=\"image\">"
            if let input = row.input { html += try pictures.tag(input, alt: "input \(row.path)") }
            html += "<div class=\"caption\"><code>\(escape(row.path))</code>"
            if let predicted = row.predicted {
                html += "<br>predicted \(escape(Self.label(predicted.index, predicted.name))) (\(String(format: "%.1f", predicted.confidence * 100)) %)"
            }
            if let target = row.target { html += "<br>explained \(escape(Self.label(target.index, target.name))) (\(target.source.rawValue))" }
            html += "</div></td>"
            for method in methods {
                guard let record = row.methods?.first(where: { $0.method == method }) else { html += "<td colspan=\"2\"></td>"; continue }
                let heatmaps = record.files.filter { $0.hasSuffix(".png") }
                if heatmaps.isEmpty {
                    html += "<td colspan=\"2\" class=\"nomap\">no heatmap (run with --format png or both)</td>"
                } else {
                    for file in heatmaps.prefix(2) {
                        html += "<td>" + (try pictures.tag(file, alt: "\(method) \(row.path)")) + "</td>"
                    }
                    if heatmaps.count == 1 { html += "<td></td>" }
                }
            }
            html += "</tr>\n"
            let gaps = (row.methods ?? []).compactMap { record in record.gap.map { "\(record.method) \(String(format: "%.3g", $0))" } }
            if !gaps.isEmpty {
                html += "<tr class=\"gaps\"><td colspan=\"\(1 + 2 * methods.count)\">completeness gap: \(escape(gaps.joined(separator: ", ")))</td></tr>\n"
            }
        }
        html += "</tbody></table>\n"
        html += pagination(order: order, page: page, pageCount: pageCount)
        if !failed.isEmpty {
            html += "<h2 id=\"failed\">Failed images</h2><table class=\"failed\"><thead><tr><th>path</th><th>error</th></tr></thead><tbody>"
            for row in failed { html += "<tr><td><code>\(escape(row.path))</code></td><td>\(escape(row.error ?? ""))</td></tr>" }
            html += "</tbody></table>\n"
        }
        html += "</body></html>\n"
        return html
    }

    func pagination(order: SortOrder, page: Int, pageCount: Int) -> String {
        guard pageCount > 1 else { return "" }
        var parts: [String] = []
        if page > 1 { parts.append("<a href=\"\(Self.pageName(order: order, page: page - 1))\" rel=\"prev\">← previous</a>") }
        parts.append("page \(page) of \(pageCount)")
        if page < pageCount { parts.append("<a href=\"\(Self.pageName(order: order, page: page + 1))\" rel=\"next\">next →</a>") }
        return "<nav class=\"pages\">\(parts.joined(separator: " · "))</nav>\n"
    }

    static func label(_ index: Int, _ name: String) -> String { name.isEmpty ? "\(index)" : "\(index) \(name)" }

    static let styleSheet = """
    body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1400px;padding:1em 1.5em;color:#1d1d1f;line-height:1.4}
    h1{font-size:1.5em;margin:.2em 0}.subtitle{color:#555}nav{margin:.4em 0}
    table{border-collapse:collapse;width:100%;table-layout:fixed}th,td{border:1px solid #e3e3e3;padding:.25em;vertical-align:top;font-size:.85em}
    th{background:#f6f6f6;font-weight:600}.sub{font-weight:normal;color:#666;font-size:.9em}
    img{display:block;width:100%;max-width:160px;height:auto;image-rendering:pixelated}
    td.image .caption{word-break:break-all;color:#444;margin-top:.2em}tr.gaps td{color:#555;border-top:none}
    table.failed{table-layout:auto}td.nomap{color:#777}
    """
}

/// Where a page's pictures come from: embedded data URIs, or relative links to the run's files.
struct PictureSource: Sendable {
    var outputFolder: URL
    var galleryFolder: URL
    var embed: Bool

    /// An `<img>` for the file `relativePath` of the output folder.
    func tag(_ relativePath: String, alt: String) throws(DatasetError) -> String {
        let file = outputFolder.appendingPathComponent(relativePath)
        let source: String
        if embed {
            let data: Data
            do { data = try Data(contentsOf: file) } catch {
                throw .invalidConfiguration("\(file.path), listed in the index, cannot be read: \(error.localizedDescription)")
            }
            source = "data:image/png;base64," + data.base64EncodedString()
        } else {
            source = Self.relativePath(from: galleryFolder, to: file).split(separator: "/").map { part in
                String(part).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String(part)
            }.joined(separator: "/")
        }
        return "<img src=\"\(escape(source))\" alt=\"\(escape(alt))\">"
    }

    /// The relative path from the folder `base` to `target` (`../a/b.png`).
    static func relativePath(from base: URL, to target: URL) -> String {
        let from = base.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let to = target.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        var common = 0
        while common < from.count, common < to.count, from[common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: from.count - common)
        return (ups + to[common...]).joined(separator: "/")
    }
}
