import ArgumentParser
import Foundation
import RectifiedGradient

extension HeatmapSign: ExpressibleByArgument {}
extension HeatmapView: ExpressibleByArgument {}

/// How `attribute` paints heatmap PNGs.
struct HeatmapOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Which evidence a heatmap shows: all (blue against, red for the class), positive (red), negative (blue) or absolute (magnitude, purple).", valueName: HeatmapSign.allCases.map(\.rawValue).joined(separator: "|")))
    var heatmapSign = HeatmapSign.all

    @Option(name: .long, help: ArgumentHelp("How a heatmap is drawn: the colours alone, blended over the greyscale input, or the input masked by the map's magnitude.", valueName: HeatmapView.allCases.map(\.rawValue).joined(separator: "|")))
    var heatmapView = HeatmapView.heatmap

    @Option(name: .long, help: ArgumentHelp("The heatmaps' display percentiles Q1,Q2 (default: the method's: 0.5,99.5 for the RectGrad family, 95,99.5 for the others, as in the paper).", valueName: "q1,q2"))
    var finalThreshold: String?

    func validate() throws { _ = try threshold(for: .saliency) }

    /// `--final-threshold`, or the method's default.
    func threshold(for method: AttributionMethod) throws -> (lower: Double, upper: Double) {
        guard let finalThreshold else { return method.defaultFinalThreshold }
        do {
            let parsed = try FinalThreshold(parsing: finalThreshold)
            return (parsed.lower, parsed.upper)
        } catch { throw ValidationError("\(error)") }
    }

    /// The heatmap of example `index` of `map` (an attribution `[N, C, H, W]`) over the input `image`.
    func render(_ map: Tensor, example index: Int, method: AttributionMethod, image: RGBImage) throws -> RGBImage {
        let attribution = try map.example(index).reshaped([1] + Array(map.shape.dropFirst()))
        let normalized = try Heatmap.normalizedMap(attribution, sign: heatmapSign, finalThreshold: try threshold(for: method))
        return try Heatmap.render(normalized, sign: heatmapSign, view: heatmapView, image: image)
    }
}

/// `--format`: what a folder given to `attribute --output` receives.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case npy, png, both

    var writesArrays: Bool { self != .png }
    var writesHeatmaps: Bool { self != .npy }
}
