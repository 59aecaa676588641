import Foundation
import RectGradExperiments

extension ExperimentTables {
    /// A Markdown table of the paper protocol's curve at eleven fractions (the nearest of the
    /// configured ones to 0, 0.1, …, 1): mean gap ± standard deviation over images, accuracy,
    /// units occluded.
    public static func markdown(_ result: PaperFeatureOcclusionResult) -> String {
        var lines = [
            "Feature-map occlusion, paper protocol: \(result.imageCount) images, layer \(result.configuration.layer) \(result.mapShape), \(String(format: "%.0f", result.meanBackgroundUnits)) background units per image on average, logits averaged over \(result.configuration.orderCount) random orders.",
            "",
            "| fraction of background units occluded | mean logit gap ± sd | accuracy | units occluded |",
            "| ---: | ---: | ---: | ---: |",
        ]
        var shown: [Int] = []
        for target in stride(from: 0.0, through: 1.0, by: 0.1) {
            if let nearest = result.points.indices.min(by: { abs(result.points[$0].fraction - target) < abs(result.points[$1].fraction - target) }), !shown.contains(nearest) {
                shown.append(nearest)
            }
        }
        for i in shown {
            let point = result.points[i]
            lines.append(String(format: "| %.3f | %.3f ± %.3f | %.1f %% | %.0f |", point.fraction, point.meanLogitGap, result.gapStandardDeviations[i], point.accuracy * 100, point.meanOccludedPositions))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `fraction,mean_gap,sd_gap,accuracy,units_occluded`, one line per fraction.
    public static func csv(_ result: PaperFeatureOcclusionResult) -> String {
        var lines = ["fraction,mean_gap,sd_gap,accuracy,units_occluded"]
        for (i, point) in result.points.enumerated() {
            lines.append(String(format: "%.6f,%.4f,%.4f,%.4f,%.2f", point.fraction, point.meanLogitGap, result.gapStandardDeviations[i], point.accuracy, point.meanOccludedPositions))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Mean logit gap against the fraction of background units occluded.
    public static func chart(_ result: PaperFeatureOcclusionResult) -> LineChart {
        LineChart(
            title: "Occluding background units of \(result.configuration.layer) (paper protocol)", xLabel: "fraction of background units occluded",
            yLabel: "mean logit gap", series: [.init(name: "random order, \(result.configuration.orderCount) orders averaged", points: result.points.map { (x: $0.fraction, y: $0.meanLogitGap) })]
        )
    }
}
