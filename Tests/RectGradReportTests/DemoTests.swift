import Foundation
import Testing
import RectGradAttribution
import RectGradReport

@Test func demoWritesTheReportWithAccuracyFiguresAndMetrics() throws {
    var configuration = DemoConfiguration()
    configuration.accuracyImages = 300
    configuration.metricsImages = 12
    configuration.figureImages = 3
    configuration.sweepImages = 2
    configuration.parameters.steps = 4
    configuration.parameters.samples = 4
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-demo-\(UInt64.random(in: 0...UInt64.max))")
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try Demo(network: try Demo.shippedNetwork(), weightsDescription: "shipped", configuration: configuration).run(writingTo: directory)

    #expect(result.accuracy >= 0.95)
    #expect(result.metrics.map(\.method) == MethodName.allCases)
    #expect(result.metrics.allSatisfy { $0.imageCount == 12 && (0...1).contains($0.outsideFraction) })
    let html = try String(contentsOf: result.reportURL, encoding: .utf8)
    #expect(html.contains(String(format: "accuracy %.1f %%", result.accuracy * 100)))
    // Two comparison tile grids (3 images × input and every method; cifar-cnn max-pools, so no two
    // methods coincide) and the threshold sweep (2 images × input, 9 percentiles and τ = 0), each
    // tile a 32×32 PNG that the browser enlarges: labels are HTML text.
    let tiles = 2 * 3 * (1 + MethodName.allCases.count) + 2 * (1 + configuration.sweepPercentiles.count + 1)
    #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == tiles)
    #expect(html.contains("<th scope=\"col\">q = 98</th>"))
    #expect(html.contains("<th scope=\"col\">guided-backprop</th>"))
    #expect(!html.contains("Identical maps"))
    #expect(html.utf8.count < 400_000)
    #expect(html.contains("RectGrad (q = 98) puts"))
    // The plain comparison with the LRP composites and Grad-CAM states each one's two figures.
    #expect(html.contains("Against the LRP composites") && html.contains("Against Grad-CAM and Guided Grad-CAM"))
    for method in [MethodName.lrpEpsilonPlus, .lrpEpsilonGammaBox, .lrpEpsilonAlpha2Beta1Flat, .gradCAM, .guidedGradCAM] {
        let metrics = try #require(result.metrics.first { $0.method == method })
        #expect(html.contains(String(format: "%@ %.1f %% / %.2f", method.rawValue, metrics.outsideFraction * 100, metrics.normalizedTotalVariation)), "\(method)")
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    #expect(files == ["comparison-baseline-threshold.png", "comparison.png", "report.html", "threshold-sweep.png"])
}
