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

@Test func reportHasATileGridPerImageAndTheMetricsTable() throws {
    let methods: [MethodName] = [.saliency, .guidedBackprop, .rectGrad]
    let images = try explainedImages(methods: methods)
    #expect(images.allSatisfy { $0.maps.map(\.method) == methods })
    #expect(images.allSatisfy { $0.maps.allSatisfy { $0.map.shape == [1, 3, 32, 32] } })
    let report = ExplanationReport(images: images)
    let page = try report.html(title: "test", facts: [("model", "cifar-cnn")])
    // Per image: the input and one tile per method at the final threshold, one per method at the
    // baseline threshold; no bitmap figures.
    #expect(page.figureCount == 0)
    #expect(page.pictureCount == 2 * (1 + 2 * methods.count))
    let html = page.render()
    #expect(html.contains("Attribution outside the object"))
    // Labels are HTML text, not pixels.
    #expect(html.contains("<th scope=\"col\">guided-backprop</th>"))
    #expect(html.contains("<th scope=\"row\">final threshold (95, 99.5)</th>"))
    // The timings are folded away, one table per image.
    #expect(html.components(separatedBy: "<details><summary>Timing</summary>").count == 3)
    // cifar-cnn max-pools, so no two of these methods coincide.
    #expect(report.coincidences().isEmpty)
    #expect(!html.contains("Identical maps"))
    // The bitmap grid is still available for the PNG files.
    let grid = try report.grid(for: images[0])
    #expect(grid.width > 4 * 32 * report.tileScale)
    #expect(grid.height > 2 * 32 * report.tileScale)
}

@Test func coincidingMethodsShareOneColumnAndAreNamedOnce() throws {
    var images = try explainedImages(methods: [.saliency, .rectGrad, .rectGradPRR, .deconvNet])
    let differentPRR = ExplanationReport(images: images)
    #expect(differentPRR.coincidences().isEmpty)
    // As on a network without max-pooling: RectGrad-PRR's maps equal RectGrad's on every image.
    for index in images.indices { images[index].maps[2].map = images[index].maps[1].map }
    let report = ExplanationReport(images: images)
    let coincidences = report.coincidences()
    #expect(coincidences.map(\.method) == [.rectGradPRR])
    #expect(coincidences.first?.sameAs == .rectGrad)
    #expect(coincidences.first?.largestRelativeDifference == 0)
    let html = try report.html(title: "t", facts: []).render()
    #expect(html.components(separatedBy: "Identical maps on all 2 images").count == 2)
    #expect(html.contains("rectgrad-prr equals rectgrad"))
    #expect(html.contains("<th scope=\"col\">rectgrad = rectgrad-prr</th>"))
    #expect(!html.contains("<th scope=\"col\">rectgrad-prr</th>"))
    let grid = try report.tileGrid(for: images[0])
    #expect(grid.columnLabels == ["input", "saliency", "rectgrad = rectgrad-prr", "deconvnet"])
    // Equal on one image only is not a coincidence.
    images[1].maps[2].map = images[1].maps[3].map
    #expect(ExplanationReport(images: images).coincidences().isEmpty)
}

/// `count` explained images at ImageNet size with random (incompressible: the worst case) maps.
private func largeImages(count: Int, methods: [MethodName]) throws -> [ExplainedImage] {
    let template = try #require(try explainedImages(methods: methods).first)
    var generator = SeededGenerator(seed: 5)
    return try (0..<count).map { index in
        var image = template
        image.name = "photo \(index).jpg"
        image.image = try RGBImage(width: 224, height: 224, pixels: (0..<(224 * 224 * 3)).map { _ in UInt8(generator.next() % 256) })
        for m in image.maps.indices {
            image.maps[m].map = try Tensor(shape: [1, 3, 224, 224], scalars: (0..<(3 * 224 * 224)).map { _ in Float(generator.next() % 2001) / 1000 - 1 })
        }
        image.mask = nil
        return image
    }
}

@Test func pageSizeIsBoundedByTheDisplaySizeAndManyImagesGoToFiles() throws {
    let methods: [MethodName] = [.saliency, .rectGrad]
    let images = try largeImages(count: 3, methods: methods)
    let report = ExplanationReport(images: images)
    let page = try report.html(title: "size", facts: [])
    // Every picture is stored at most at the display size (160 px), not at 224 px.
    let grid = try report.tileGrid(for: images[0])
    let tiles = grid.rows.flatMap { $0.tiles.compactMap { $0 } }
    #expect(tiles.count == 1 + 2 * methods.count)
    #expect(tiles.allSatisfy { $0.pixelWidth == 160 && $0.pixelHeight == 160 })
    // So the page is bounded by N × tiles × (base64 of raw 160×160 RGB + PNG overhead) plus text.
    let tileBound = (160 * 160 * 3 + 2_000) * 4 / 3
    #expect(page.render().utf8.count <= images.count * (1 + 2 * methods.count) * tileBound + 50_000)

    // Above the embedding budget the pictures go to tiles/ and the page stays small.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-size-\(UInt64.random(in: 0...UInt64.max))")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = try report.write(to: directory, title: "size", facts: [], tileStorage: .automatic(maximumEmbeddedBytes: 100_000))
    let html = try String(contentsOf: url, encoding: .utf8)
    #expect(html.utf8.count < 40_000)
    #expect(!html.contains("data:image/png"))
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("tiles").path)
    #expect(files.count == page.pictureCount)
    #expect(html.contains("src=\"tiles/photo_0_input.png\""))
    // Below the budget, one self-contained page.
    let embedded = try report.write(to: directory, title: "size", facts: [], tileStorage: .standard)
    #expect(try String(contentsOf: embedded, encoding: .utf8).contains("data:image/png"))
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

@Test(.enabled(if: chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil, "needs headless Chromium"), arguments: [false, true])
func headlessChromiumRendersEveryImageWithinTheWindowWidth(tilesAsFiles: Bool) throws {
    let browser = try #require(chromium, "Chromium is not installed")
    let methods: [MethodName] = [.saliency, .gradientTimesInput, .integratedGradients, .smoothGrad, .deconvNet, .guidedBackprop, .rectGrad, .rectGradConstant, .rectGradPRR, .epsilonLRP, .deepLIFT]
    let images = try largeImages(count: 2, methods: methods)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-chromium-\(UInt64.random(in: 0...UInt64.max))")
    defer { try? FileManager.default.removeItem(at: directory) }
    let report = ExplanationReport(images: images)
    let page = try report.html(title: "render check", facts: [])
    let url = try report.write(to: directory, title: "render check", facts: [], tileStorage: tilesAsFiles ? .files : .embedded)

    // A window narrower than the page's maximum width: the 12 columns must still fit.
    let process = Process()
    process.executableURL = URL(fileURLWithPath: browser)
    process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1024,768", "--dump-dom", "--virtual-time-budget=5000", url.absoluteString]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let dom = String(decoding: data, as: UTF8.self)
    let marker = try #require(dom.range(of: "data-rendered-images=\""), "the page's load script did not run")
    let count = Int(dom[marker.upperBound...].prefix { $0.isNumber })
    #expect(page.pictureCount == 2 * (1 + 2 * methods.count))
    #expect(count == page.pictureCount)
    #expect(dom.contains("data-fits-width=\"true\""))
}
