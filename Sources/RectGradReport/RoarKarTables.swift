import Foundation
import RectGradExperiments

/// Markdown, CSV, charts and an HTML report of a paper-protocol ROAR / KAR folder
/// (``RoarKarCollection``): whatever cells are finished, and which are missing.
public enum RoarKarTables {
    /// `mean ± sd (n)` in percent, or `–`.
    static func cell(_ entry: RoarKarCollection.Entry?, repeats: Int) -> String {
        guard let entry else { return "–" }
        let base = String(format: "%.1f ± %.1f", entry.mean * 100, entry.standardDeviation * 100)
        return entry.count == repeats ? base : base + " (\(entry.count)/\(repeats))"
    }

    /// One table per mode: a row per ranking, a column per p, `mean ± sample standard deviation`
    /// of the test accuracy in % over the finished repeats (`(k/n)` when only k of n repeats are
    /// finished, `–` when none), then the progress and the missing cells.
    public static func markdown(_ collection: RoarKarCollection) -> String {
        let c = collection.configuration
        var lines: [String] = []
        if let u = collection.unmodified {
            lines.append(String(format: "Unmodified training and test images: %@ %% test accuracy.", cell(u, repeats: c.repeats)))
        } else {
            lines.append("Unmodified training and test images: not finished yet.")
        }
        lines.append("")
        for mode in c.modes {
            let verb = mode == .removeTop ? "top p % replaced" : "all but the top p % replaced"
            lines.append("\(mode) (\(verb)), test accuracy in %, mean ± sample standard deviation over \(c.repeats) repeats:")
            lines.append("")
            lines.append("| ranking | " + c.percentages.map { "p = \(formattedPercentage($0))" }.joined(separator: " | ") + " |")
            lines.append("| --- |" + String(repeating: " ---: |", count: c.percentages.count))
            for ranking in c.rankings {
                let cells = c.percentages.map { cell(collection.entry(ranking: ranking, mode: mode, percentage: $0), repeats: c.repeats) }
                lines.append("| \(ranking) | " + cells.joined(separator: " | ") + " |")
            }
            lines.append("")
        }
        lines.append(progressLine(collection))
        if !collection.missing.isEmpty {
            lines.append("")
            lines.append("Missing cells: " + collection.missing.map(\.key).joined(separator: ", "))
        }
        if !collection.ignoredFiles.isEmpty {
            lines.append("")
            lines.append("Ignored files in cells/ (not a finished result of this protocol): " + collection.ignoredFiles.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `finished k of n cells; mean s per cell; about h hours of one worker remaining`.
    public static func progressLine(_ collection: RoarKarCollection) -> String {
        let total = collection.configuration.cells.count
        var line = "Finished \(collection.finishedCount) of \(total) cells"
        if let seconds = collection.meanCellSeconds {
            let remaining = Double(collection.missing.count) * seconds
            line += String(format: "; mean %.0f s per finished cell; the %d missing cells take about %.1f hours of one worker at that pace (ranking caches excluded)", seconds, collection.missing.count, remaining / 3600)
        }
        return line + "."
    }

    /// `ranking,mode,percentage,repeats,mean,sd,min,max,mean_seconds` per table entry, then
    /// `key,...` lines for every finished cell.
    public static func csv(_ collection: RoarKarCollection) -> String {
        let c = collection.configuration
        var lines = ["ranking,mode,percentage,finished_repeats,mean_accuracy,sd_accuracy,min_accuracy,max_accuracy,mean_seconds"]
        func row(_ ranking: String, _ mode: String, _ p: Double, _ e: RoarKarCollection.Entry?) {
            guard let e else {
                lines.append("\(ranking),\(mode),\(formattedPercentage(p)),0,,,,,")
                return
            }
            lines.append("\(ranking),\(mode),\(formattedPercentage(p)),\(e.count)," + [e.mean, e.standardDeviation, e.minimum, e.maximum].map { String(format: "%.4f", $0) }.joined(separator: ",") + String(format: ",%.1f", e.meanSeconds))
        }
        row("unmodified", "none", 0, collection.unmodified)
        for mode in c.modes {
            for ranking in c.rankings {
                for p in c.percentages { row(ranking.description, mode.rawValue, p, collection.entry(ranking: ranking, mode: mode, percentage: p)) }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every finished cell: `key,ranking,mode,percentage,repeat,accuracy,seconds`.
    public static func cellsCSV(_ collection: RoarKarCollection) -> String {
        var lines = ["key,ranking,mode,percentage,repeat,accuracy,seconds"]
        for cell in collection.configuration.cells {
            guard let r = collection.results[cell.key] else { continue }
            lines.append("\(r.key),\(r.ranking),\(r.mode),\(formattedPercentage(r.percentage)),\(r.repeatIndex),\(String(format: "%.4f", r.accuracy)),\(String(format: "%.1f", r.seconds))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One chart per mode: mean accuracy against p, a line per ranking (finished entries only).
    public static func charts(_ collection: RoarKarCollection) -> [(mode: RetrainingMode, chart: LineChart)] {
        let c = collection.configuration
        return c.modes.map { mode in
            let series = c.rankings.map { ranking in
                LineChart.Series(name: ranking.description, points: c.percentages.compactMap { p in
                    collection.entry(ranking: ranking, mode: mode, percentage: p).map { (x: p, y: $0.mean * 100) }
                })
            }
            let title = mode == .removeTop ? "ROAR (paper protocol): top p % replaced, retrained" : "KAR (paper protocol): all but the top p % replaced, retrained"
            return (mode, LineChart(title: title, xLabel: "p (%)", yLabel: "mean test accuracy (%)", series: series, yRange: 0...100))
        }
    }

    /// The HTML report: the facts of the protocol, a chart and a table per mode, the missing cells.
    /// - Throws: image errors from drawing the charts.
    public static func report(_ collection: RoarKarCollection) throws -> HTMLReport {
        let c = collection.configuration
        var blocks: [HTMLReport.Block] = [
            .facts([
                ("rankings", c.rankings.map(\.description).joined(separator: ", ")),
                ("p", c.percentages.map(formattedPercentage).joined(separator: ", ")),
                ("images", "\(c.trainCount) training, \(c.testCount) held-out (seed \(c.seed))"),
                ("retraining", "cifar-cnn, \(c.epochs) epochs, batch \(c.batchSize), Adam \(c.learningRate), \(c.repeats) repeats"),
                ("ranking", "channel-summed attribution for the predicted class (RectGrad family: positive part), plus N(0, \(c.tieBreakingNoise)²) noise"),
                ("unmodified", collection.unmodified.map { cell($0, repeats: c.repeats) + " %" } ?? "not finished"),
                ("progress", progressLine(collection)),
            ]),
        ]
        for (mode, chart) in charts(collection) {
            blocks.append(.heading(mode.description, level: 2))
            blocks.append(.figure(png: try chart.render().encodePNG(), caption: chart.title, alt: chart.title, pixelWidth: chart.plotWidth + 200))
            blocks.append(.table(
                header: ["ranking"] + c.percentages.map { "p = \(formattedPercentage($0))" },
                rows: c.rankings.map { ranking in [ranking.description] + c.percentages.map { cell(collection.entry(ranking: ranking, mode: mode, percentage: $0), repeats: c.repeats) } },
                caption: "test accuracy in %, mean ± sample standard deviation"
            ))
        }
        if !collection.missing.isEmpty {
            blocks.append(.details(summary: "\(collection.missing.count) missing cells", blocks: [.paragraph(collection.missing.map(\.key).joined(separator: ", "))]))
        }
        return HTMLReport(title: "ROAR / KAR, paper protocol", subtitle: "finished \(collection.finishedCount) of \(c.cells.count) cells", blocks: blocks)
    }
}
