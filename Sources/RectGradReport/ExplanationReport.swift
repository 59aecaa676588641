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
    /// Integer enlargement of every tile (crisp pixels for small inputs).
    public var tileScale: Int

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
    /// threshold (``AttributionMethod/defaultFinalThreshold``: the baselines (95, 99.5), the RectGrad
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

    /// Writes `NAME-METHOD.png` for every image and method, `comparison.png` (all images), and
    /// `report.html`, into `directory`.
    /// - Returns: the URL of `report.html`.
    @discardableResult
    public func write(to directory: URL, title: String, facts: [(String, String)], extraBlocks: [HTMLReport.Block] = []) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for image in images {
            let stem = Self.fileStem(image.name)
            for map in image.maps {
                try tile(map, threshold: finalThreshold).writePNG(to: directory.appendingPathComponent("\(stem)-\(map.method.rawValue).png"))
            }
        }
        try comparisonGrid(baselineThreshold: false).writePNG(to: directory.appendingPathComponent("comparison.png"))
        let report = try html(title: title, facts: facts, extraBlocks: extraBlocks)
        let url = directory.appendingPathComponent("report.html")
        try report.write(to: url)
        return url
    }

    /// The report page.
    public func html(title: String, facts: [(String, String)], extraBlocks: [HTMLReport.Block] = []) throws -> HTMLReport {
        var blocks: [HTMLReport.Block] = [.facts(facts)]
        blocks += extraBlocks
        for image in images {
            blocks.append(.heading("\(image.name) — \(image.className) (\(Self.percent(image.confidence)))", level: 2))
            let grid = try grid(for: image)
            blocks.append(.figure(
                png: try grid.encodePNG(),
                caption: "Predicted \(image.className) with probability \(Self.percent(image.confidence)). Blue-white-red over the symmetric range of each map; red is evidence for the class.",
                alt: "\(image.name): input and \(image.maps.count) attribution maps", pixelWidth: grid.width
            ))
            let timing = image.maps.map { [$0.method.rawValue, String(format: "%.1f ms", $0.seconds * 1000)] }
            blocks.append(.table(header: ["method", "time"], rows: [["forward (shared)", String(format: "%.1f ms", image.forwardSeconds * 1000)]] + timing, caption: "Timing"))
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
