import Foundation
import RectGradExperiments

/// Markdown and CSV renderings of the experiments' results, and their charts.
public enum ExperimentTables {
    /// One Markdown table per mode: a row per ranking, a column per percentage (accuracy in %),
    /// preceded by the unmodified reference accuracy when it was measured.
    public static func markdown(_ result: RemoveAndRetrainResult) -> String {
        let c = result.configuration
        var lines: [String] = []
        if let unmodified = result.unmodifiedAccuracy {
            lines.append(String(format: "Unmodified training and test images: %.1f %% test accuracy.", unmodified * 100))
            lines.append("")
        }
        for mode in c.modes {
            let verb = mode == .removeTop ? "top p % replaced" : "all but the top p % replaced"
            lines.append("\(mode) (\(verb)), test accuracy in %:")
            lines.append("")
            lines.append("| ranking | " + c.percentages.map { "p = \(formattedPercentage($0))" }.joined(separator: " | ") + " |")
            lines.append("| --- |" + String(repeating: " ---: |", count: c.percentages.count))
            for ranking in c.rankings.map(\.description) {
                let cells = c.percentages.map { p in
                    result.accuracy(ranking: ranking, mode: mode, percentage: p).map { String(format: "%.1f", $0 * 100) } ?? "–"
                }
                lines.append("| \(ranking) | " + cells.joined(separator: " | ") + " |")
            }
            lines.append("")
        }
        if !result.rankingStatistics.isEmpty {
            lines.append("How the rankings order the \(c.testCount) held-out images (object: \(String(format: "%.1f", (result.rankingStatistics.first?.objectFraction ?? 0) * 100)) % of the pixels on average):")
            lines.append("")
            lines.append("| ranking | tied pixels | " + c.percentages.map { "top \(formattedPercentage($0)) % on object" }.joined(separator: " | ") + " |")
            lines.append("| --- | ---: |" + String(repeating: " ---: |", count: c.percentages.count))
            for s in result.rankingStatistics {
                lines.append("| \(s.ranking) | \(String(format: "%.1f %%", s.tiedFraction * 100)) | " + s.topOnObject.map { String(format: "%.1f %%", $0 * 100) }.joined(separator: " | ") + " |")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// `ranking,mode,percentage,accuracy,seconds`, one line per retraining (the unmodified
    /// reference as ranking `unmodified`, mode `none`, percentage 0).
    public static func csv(_ result: RemoveAndRetrainResult) -> String {
        var lines = ["ranking,mode,percentage,accuracy,seconds"]
        if let unmodified = result.unmodifiedAccuracy { lines.append("unmodified,none,0,\(String(format: "%.4f", unmodified)),") }
        for o in result.outcomes {
            lines.append("\(o.ranking),\(o.mode.rawValue),\(formattedPercentage(o.percentage)),\(String(format: "%.4f", o.accuracy)),\(String(format: "%.1f", o.seconds))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One chart per mode: accuracy against p, a line per ranking.
    public static func charts(_ result: RemoveAndRetrainResult) -> [(mode: RetrainingMode, chart: LineChart)] {
        let c = result.configuration
        return c.modes.map { mode in
            let series = c.rankings.map(\.description).map { ranking in
                LineChart.Series(name: ranking, points: c.percentages.compactMap { p in
                    result.accuracy(ranking: ranking, mode: mode, percentage: p).map { (x: p, y: $0 * 100) }
                })
            }
            let title = mode == .removeTop ? "ROAR: top p % of pixels replaced, retrained" : "KAR: all but the top p % replaced, retrained"
            return (mode, LineChart(title: title, xLabel: "p (%)", yLabel: "test accuracy (%)", series: series, yRange: 0...100))
        }
    }

    /// A Markdown table: a row per fraction, per order the mean logit gap and the accuracy.
    public static func markdown(_ result: FeatureOcclusionResult) -> String {
        let orders = result.curves.map(\.order)
        var lines = [
            String(format: "Layer `%@` (%@ per image), %d images; on average %.1f background and %.1f object positions per image.",
                   result.configuration.layer, result.mapShape.map(String.init).joined(separator: "×"), result.imageCount,
                   result.meanBackgroundPositions, result.meanObjectPositions),
            "",
            "| occluded fraction | " + orders.map { "\($0): gap | \($0): accuracy" }.joined(separator: " | ") + " |",
            "| ---: |" + String(repeating: " ---: | ---: |", count: orders.count),
        ]
        for (index, fraction) in result.configuration.fractions.enumerated() {
            let cells = result.curves.map { curve in
                let point = curve.points[index]
                return String(format: "%.2f | %.1f %%", point.meanLogitGap, point.accuracy * 100)
            }
            lines.append("| \(String(format: "%.1f", fraction)) | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `order,fraction,mean_logit_gap,accuracy,mean_occluded_positions`, one line per point.
    public static func csv(_ result: FeatureOcclusionResult) -> String {
        var lines = ["order,fraction,mean_logit_gap,accuracy,mean_occluded_positions"]
        for curve in result.curves {
            for p in curve.points {
                lines.append("\(curve.order.rawValue),\(p.fraction),\(String(format: "%.4f", p.meanLogitGap)),\(String(format: "%.4f", p.accuracy)),\(String(format: "%.2f", p.meanOccludedPositions))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The mean logit gap against the occluded fraction, a line per order.
    public static func chart(_ result: FeatureOcclusionResult) -> LineChart {
        LineChart(
            title: "Occluding positions of \(result.configuration.layer): mean logit gap",
            xLabel: "occluded fraction (%)", yLabel: "true - best other logit",
            series: result.curves.map { curve in
                LineChart.Series(name: curve.order.rawValue, points: curve.points.map { (x: $0.fraction * 100, y: $0.meanLogitGap) })
            }
        )
    }
}
