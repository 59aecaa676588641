import Foundation
import RectGradAttribution
import RectGradCore
import RectGradExperiments
import RectGradImage
import RectGradZoo

/// Files, tables and the HTML page of an ``AdversarialExperiment`` run.
///
/// Map files follow the layout of the paper's repository, one file name per image for the
/// original and the adversarial map: `<method>/<threshold|no-threshold>/<original|adversarial|adversarial-old-class>/<n>.png`.
/// "threshold" paints a map with its method's `AttributionMethod/defaultFinalThreshold` (the
/// baseline final threshold (95, 99.5) for the baselines, (0.5, 99.5) for the RectGrad family, as
/// the comparison figures do); "no-threshold" paints every map with (0.5, 99.5), the paper's
/// "without final threshold". For the RectGrad family both folders therefore hold the same pictures.
public struct AdversarialReport: Sendable {
    /// The run.
    public var result: AdversarialResult
    /// The model (class names).
    public var model: Model
    /// A display name per input image (file names, or `shapes #17`).
    public var imageNames: [String]
    /// The images and maps shown on the page (the first few whose decision changed).
    public var showcase: [ShowcaseImage]
    /// Integer enlargement of map files (crisp pixels for 32×32 inputs).
    public var tileScale: Int

    /// One image shown on the page with its maps.
    public struct ShowcaseImage: Sendable {
        /// The outcome.
        public var outcome: AdversarialImageOutcome
        /// The original image at the input size.
        public var original: RGBImage
        /// The adversarial image.
        public var adversarial: RGBImage
        /// The maps, one entry per method.
        public var maps: [AdversarialMaps]

        /// Creates a showcase entry.
        public init(outcome: AdversarialImageOutcome, original: RGBImage, adversarial: RGBImage, maps: [AdversarialMaps]) {
            self.outcome = outcome
            self.original = original
            self.adversarial = adversarial
            self.maps = maps
        }
    }

    /// Creates a report.
    public init(result: AdversarialResult, model: Model, imageNames: [String], showcase: [ShowcaseImage], tileScale: Int = 1) {
        self.result = result
        self.model = model
        self.imageNames = imageNames
        self.showcase = showcase
        self.tileScale = tileScale
    }

    /// The two ways a map is painted: the method's default final threshold, and (0.5, 99.5).
    public static func thresholds(for method: AttributionMethod) -> [(folder: String, threshold: FinalThreshold)] {
        [("threshold", FinalThreshold(method.defaultFinalThreshold)), ("no-threshold", .paper)]
    }

    /// The file number of image `index` (from 0): `index + 1`, as the paper's files are numbered.
    public static func fileNumber(_ index: Int) -> Int { index + 1 }

    /// Writes the PNG maps of one image into `directory`, following the layout in the type's description.
    /// - Returns: the number of files written.
    @discardableResult
    public static func writeMaps(_ maps: [AdversarialMaps], methods: [AttributionMethod], imageIndex: Int, to directory: URL, scale: Int) throws -> Int {
        var written = 0
        for (map, method) in zip(maps, methods) {
            for (folder, threshold) in thresholds(for: method) {
                let base = directory.appendingPathComponent(method.name).appendingPathComponent(folder)
                for (kind, tensor) in [("original", map.original), ("adversarial", map.adversarial), ("adversarial-old-class", map.adversarialForOldClass)] {
                    let folderURL = base.appendingPathComponent(kind)
                    try FileManager.default.createDirectory(at: folderURL, withIntermediateDirectories: true)
                    try HeatmapTile.render(tensor, threshold: threshold, scale: scale)
                        .writePNG(to: folderURL.appendingPathComponent("\(fileNumber(imageIndex)).png"))
                    written += 1
                }
            }
        }
        return written
    }

    // MARK: Tables

    static func format(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "" }
    static func format(_ summary: ScoreSummary) -> String {
        summary.count == 0 ? "–" : String(format: "%.3f ± %.3f", summary.mean, summary.standardDeviation)
    }

    /// The per-method table: header and rows (means ± standard deviation over the changed images).
    public func methodTable() -> (header: [String], rows: [[String]]) {
        let control = result.summaries.contains { $0.noiseSpearman.count > 0 }
        let header = ["method", "ρ(O, A)", "SSIM(O, A)", "ρ(A, A′)", "SSIM(A, A′)"] + (control ? ["ρ(O, N)", "SSIM(O, N)"] : []) + ["images"]
        let rows = result.summaries.map { s -> [String] in
            let undefined = s.changeSpearman.undefinedCount + s.classSpearman.undefinedCount
            return [s.method, Self.format(s.changeSpearman), Self.format(s.changeSSIM), Self.format(s.classSpearman), Self.format(s.classSSIM)]
                + (control ? [Self.format(s.noiseSpearman), Self.format(s.noiseSSIM)] : [])
                + ["\(s.changeSpearman.count)" + (undefined > 0 ? " (\(undefined) undefined)" : "")]
        }
        return (header, rows)
    }

    /// The table as Markdown (for Docs and the command's output).
    public func markdownTable() -> String {
        let (header, rows) = methodTable()
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in " --- " }.joined(separator: "|") + "|"]
        lines += rows.map { "| " + $0.joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line per image and method (images whose decision did not change get one line without scores).
    public func csv() -> String {
        var lines = ["n,image,original_class,original_confidence,adversarial_class,adversarial_confidence,old_class_confidence_after,decision_changed,attack_succeeded,noise_changed_decision,largest_perturbation,method,spearman_original_adversarial,ssim_original_adversarial,spearman_new_old_class,ssim_new_old_class,spearman_original_noise,ssim_original_noise"]
        for o in result.outcomes {
            let prefix = [
                "\(Self.fileNumber(o.index))", Self.csvField(name(of: o.index)),
                "\(o.originalClass)", String(format: "%.5f", o.originalConfidence),
                "\(o.adversarialClass)", String(format: "%.5f", o.adversarialConfidence),
                String(format: "%.5f", o.oldClassConfidenceAfterAttack),
                "\(o.decisionChanged)", "\(o.attackSucceeded)", o.noiseChangedDecision.map { "\($0)" } ?? "",
                String(format: "%.6f", o.largestPerturbation),
            ].joined(separator: ",")
            if o.scores.isEmpty {
                lines.append(prefix + ",,,,,,,")
            }
            for s in o.scores {
                lines.append(prefix + ",\(s.method),\(Self.format(s.changeSpearman)),\(Self.format(s.changeSSIM)),\(Self.format(s.classSpearman)),\(Self.format(s.classSSIM)),\(Self.format(s.noiseSpearman)),\(Self.format(s.noiseSSIM))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The per-method summary as CSV.
    public func summaryCSV() -> String {
        var lines = ["method,images,spearman_original_adversarial_mean,spearman_original_adversarial_sd,ssim_original_adversarial_mean,ssim_original_adversarial_sd,spearman_new_old_class_mean,spearman_new_old_class_sd,ssim_new_old_class_mean,ssim_new_old_class_sd,spearman_original_noise_mean,spearman_original_noise_sd,ssim_original_noise_mean,ssim_original_noise_sd"]
        for s in result.summaries {
            let values = [s.changeSpearman, s.changeSSIM, s.classSpearman, s.classSSIM, s.noiseSpearman, s.noiseSSIM].flatMap { [String(format: "%.4f", $0.mean), String(format: "%.4f", $0.standardDeviation)] }
            lines.append(([s.method, "\(s.changeSpearman.count)"] + values).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    func name(of index: Int) -> String { imageNames.indices.contains(index) ? imageNames[index] : "#\(Self.fileNumber(index))" }

    func classLabel(_ index: Int, _ confidence: Float) -> String {
        "\(model.className(index)) (\(ExplanationReport.percent(confidence)))"
    }

    // MARK: Page

    /// The report page: facts, the per-method table, the predictions, then the showcase images
    /// (original and adversarial rows, one column per method).
    public func html(title: String, facts: [(String, String)], methods: [AttributionMethod]) throws -> HTMLReport {
        let changed = result.changed.count
        var blocks: [HTMLReport.Block] = [.facts(facts + [
            ("images attacked", "\(result.outcomes.count)"),
            ("decision changed (explained)", "\(changed)"),
            ("failed attacks (decision unchanged, left out)", "\(result.failedCount)"),
        ] + (result.outcomes.contains { $0.noiseChangedDecision != nil } ? [("decisions changed by random ±ε sign noise (control)", "\(result.noiseChangedCount)")] : []) + (result.missedTargetCount > 0 ? [("changed, but not to the target", "\(result.missedTargetCount)")] : []))]
        blocks.append(.heading("How much the maps change", level: 2))
        blocks.append(.paragraph("""
            Per method, over the \(changed) images whose decision the attack changed: O is the map of the original image for its \
            predicted (old) class, A the map of the adversarial image for its new predicted class, A′ the map of the adversarial \
            image for the old class. Scores compare magnitude maps |Σ_c map_c|: Spearman's rank correlation ρ and SSIM \
            (mean ± standard deviation over images). ρ(O, A) near 1: the invisible perturbation left the map's ranking as it was. \
            ρ(A, A′) near 1: the map of the adversarial image is the same whichever class is explained, so it cannot show the new \
            decision; lower values mean the map follows the explained class. N (the control) is the map of the original image \
            under random ±ε sign noise for the old class: ρ(O, N) shows how much any perturbation of that size moves the map, \
            so ρ(O, A) well below ρ(O, N) is the adversarial direction's doing. Undefined scores (Spearman of a constant map, \
            SSIM of a map under 11 × 11) are left out.
            """))
        let table = methodTable()
        blocks.append(.table(header: table.header, rows: table.rows, caption: nil))

        blocks.append(.heading("Predictions before and after the attack", level: 2))
        let predictionRows = result.outcomes.map { o -> [String] in
            [
                "\(Self.fileNumber(o.index))", name(of: o.index), classLabel(o.originalClass, o.originalConfidence),
                classLabel(o.adversarialClass, o.adversarialConfidence), ExplanationReport.percent(o.oldClassConfidenceAfterAttack),
                o.decisionChanged ? "yes" : "no (left out)",
            ]
        }
        blocks.append(.details(summary: "All \(result.outcomes.count) images", blocks: [
            .table(header: ["n", "image", "before", "after", "old class after", "changed"], rows: predictionRows, caption: nil),
        ]))

        if !showcase.isEmpty {
            blocks.append(.heading("Maps of the first \(showcase.count) images whose decision changed", level: 2))
            blocks.append(.paragraph("Each map with its method's default final threshold (the baselines (95, 99.5), the RectGrad family (0.5, 99.5)); red is evidence for the explained class, blue against it. Rows: O (original, old class), A (adversarial, new class), A′ (adversarial, old class)."))
            let labels = ["image"] + methods.map { ExplanationReport.shortLabel(MethodName(rawValue: $0.name) ?? .saliency, fallback: $0.name) }
            for entry in showcase {
                let o = entry.outcome
                let n = Self.fileNumber(o.index)
                var rows: [TileGrid.Row] = []
                let kinds: [(String, RGBImage?, KeyPath<AdversarialMaps, Tensor>)] = [
                    ("O: \(model.className(o.originalClass))", entry.original, \.original),
                    ("A: \(model.className(o.adversarialClass))", entry.adversarial, \.adversarial),
                    ("A′: \(model.className(o.originalClass))", nil, \.adversarialForOldClass),
                ]
                for (label, picture, path) in kinds {
                    var tiles: [Tile?] = [try picture.map { try Self.pageTile($0, alt: "\(n) \(label) input") }]
                    for (map, method) in zip(entry.maps, methods) {
                        let painted = try HeatmapTile.render(map[keyPath: path], threshold: FinalThreshold(method.defaultFinalThreshold))
                        tiles.append(try Self.pageTile(painted, alt: "\(n) \(label) \(method.name)"))
                    }
                    rows.append(TileGrid.Row(label: label, tiles: tiles))
                }
                blocks.append(.heading("\(n): \(name(of: o.index)) — \(classLabel(o.originalClass, o.originalConfidence)) → \(classLabel(o.adversarialClass, o.adversarialConfidence))", level: 3))
                blocks.append(.tileGrid(TileGrid(columnLabels: labels, rows: rows, maximumColumns: 12)))
            }
        }
        return HTMLReport(title: title, subtitle: "Generated by rectgrad \(RectifiedGradientVersion.string)", blocks: blocks)
    }

    /// A bitmap figure of the first `imageCount` showcase images: two rows per image (O: the
    /// original map, A: the adversarial map), one column per method, each map with its method's
    /// default final threshold, tiles `side` pixels wide; with `includesInputs` a first column
    /// shows the original and the adversarial image.
    public func figure(methods: [AttributionMethod], imageCount: Int = 3, side: Int = 96, includesInputs: Bool) throws -> RGBImage {
        var cells: [[RGBImage]] = [], labels: [String] = []
        for entry in showcase.prefix(imageCount) {
            let o = entry.outcome
            let rows: [(String, RGBImage, KeyPath<AdversarialMaps, Tensor>)] = [
                ("\(Self.fileNumber(o.index)) O: \(Self.ascii(model.className(o.originalClass)))", entry.original, \.original),
                ("\(Self.fileNumber(o.index)) A: \(Self.ascii(model.className(o.adversarialClass)))", entry.adversarial, \.adversarial),
            ]
            for (label, picture, path) in rows {
                var line: [RGBImage] = includesInputs ? [try ThresholdSweepReport.fitted(picture, side: side)] : []
                for (map, method) in zip(entry.maps, methods) {
                    let painted = try HeatmapTile.render(map[keyPath: path], threshold: FinalThreshold(method.defaultFinalThreshold))
                    line.append(try ThresholdSweepReport.fitted(painted, side: side))
                }
                cells.append(line)
                labels.append(label)
            }
        }
        let columns = (includesInputs ? ["image"] : []) + methods.map { Self.ascii(ExplanationReport.shortLabel(MethodName(rawValue: $0.name) ?? .saliency, fallback: $0.name)) }
        return try ImageGrid(cells: cells, rowLabels: labels, columnLabels: columns, padding: 4, textScale: 1).render()
    }

    /// `text` with characters outside printable ASCII replaced by `?` (the figure font's range),
    /// at most 18 characters.
    static func ascii(_ text: String) -> String {
        String(String(text.map { $0.isASCII && !$0.isNewline ? $0 : "?" }).prefix(18))
    }

    /// A page picture, shrunk to 160 pixels when larger (as ``ExplanationReport`` shows them).
    static func pageTile(_ image: RGBImage, alt: String) throws -> Tile {
        try ExplanationReport(images: []).pageTile(image, alt: alt)
    }
}

extension ExplanationReport {
    /// ``shortLabel(_:)`` of a method known by name, or `fallback`.
    static func shortLabel(_ method: MethodName, fallback: String) -> String {
        method.rawValue == fallback ? shortLabel(method) : fallback
    }
}
