import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradImage
import RectGradReport
import RectGradZoo

/// Two synthetic 32×32 images explained by a randomly initialised cifar-cnn.
private func explainedImages(methods: [MethodName]) throws -> [ExplainedImage] {
    let entry = try Zoo.entry(named: "cifar-cnn")
    let explainer = Explainer(model: try entry.model(seed: 3), methods: methods)
    var generator = SeededGenerator(seed: 11)
    return try (0..<2).map { index in
        let pixels = (0..<(32 * 32 * 3)).map { _ in UInt8(generator.next() % 256) }
        let image = try RGBImage(width: 32, height: 32, pixels: pixels)
        let mask = (0..<(32 * 32)).map { ($0 / 32) >= 8 && ($0 / 32) < 24 && ($0 % 32) >= 8 && ($0 % 32) < 24 }
        return try explainer.explain(name: "image \(index).png", image: image, mask: mask)
    }
}

@Test func reportHasAFigurePerImageAndTheMetricsTable() throws {
    let methods: [MethodName] = [.saliency, .guidedBackprop, .rectGrad]
    let images = try explainedImages(methods: methods)
    #expect(images.allSatisfy { $0.maps.map(\.method) == methods })
    #expect(images.allSatisfy { $0.maps.allSatisfy { $0.map.shape == [1, 3, 32, 32] } })
    let report = ExplanationReport(images: images)
    let page = try report.html(title: "test", facts: [("model", "cifar-cnn")])
    #expect(page.figureCount == 2)
    let html = page.render()
    #expect(html.contains("Attribution outside the object"))
    #expect(html.contains("guided-backprop"))
    // Every grid holds the input plus one tile per method in two rows (final and baseline threshold).
    let grid = try report.grid(for: images[0])
    #expect(grid.width > 4 * 32 * report.tileScale)
    #expect(grid.height > 2 * 32 * report.tileScale)
}

@Test func writesOnePNGPerImageAndMethodPlusTheReport() throws {
    let images = try explainedImages(methods: [.saliency, .rectGrad])
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-report-\(UInt64.random(in: 0...UInt64.max))")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = try ExplanationReport(images: images).write(to: directory, title: "t", facts: [])
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    #expect(files == ["comparison.png", "image_0-rectgrad.png", "image_0-saliency.png", "image_1-rectgrad.png", "image_1-saliency.png", "report.html"])
    #expect(url.lastPathComponent == "report.html")
    let tile = try ImageDecoding.decode(contentsOf: directory.appendingPathComponent("image_0-rectgrad.png"))
    #expect(tile.width == 32 * ExplanationReport(images: images).tileScale)
}

/// Chromium is installed by `.ci/run`; on a developer machine without it the test is skipped
/// unless `CI` is set, in which case a missing browser fails the test.
private let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Test(.enabled(if: chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil, "needs headless Chromium"))
func headlessChromiumRendersEveryImage() throws {
    let browser = try #require(chromium, "Chromium is not installed")
    let images = try explainedImages(methods: [.saliency, .deconvNet, .rectGrad])
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-chromium-\(UInt64.random(in: 0...UInt64.max))")
    defer { try? FileManager.default.removeItem(at: directory) }
    let report = ExplanationReport(images: images)
    let page = try report.html(title: "render check", facts: [])
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent("report.html")
    try page.write(to: url)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: browser)
    process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "--virtual-time-budget=5000", url.absoluteString]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let dom = String(decoding: data, as: UTF8.self)
    let marker = try #require(dom.range(of: "data-rendered-images=\""), "the page's load script did not run")
    let count = Int(dom[marker.upperBound...].prefix { $0.isNumber })
    #expect(count == page.figureCount)
    #expect(page.figureCount == 2)
}
