import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradReport

/// A run of `count` images with one failure, in `root/out`.
private func galleryRun(count: Int, root: URL) throws -> URL {
    let input = root.appendingPathComponent("input")
    try writeImageTree(count: count, under: input)
    try Data("junk".utf8).write(to: input.appendingPathComponent("a/zz-junk.png"))
    let output = root.appendingPathComponent("out")
    _ = try DatasetAttribution(configuration: try configuration(batchSize: 8, methods: [.rectGrad(), .integratedGradients(steps: 4)]))
        .run(items: try DatasetListing.folder(input), output: output)
    return output
}

@Test func galleryPagesLinkTheRunsFilesAndSortEveryOrderOverTheWholeSet() throws {
    let root = try datasetTemporaryFolder("gallery")
    defer { try? FileManager.default.removeItem(at: root) }
    let output = try galleryRun(count: 12, root: root)
    let summary = try DatasetGallery(pageSize: 5, embeddingLimit: 4).write(from: output)
    #expect(summary.imageCount == 12 && summary.failedCount == 1 && !summary.embedded)
    #expect(summary.pages.count == 4 * 3)  // four orders, three pages each
    let gallery = output.appendingPathComponent("gallery")
    let first = try String(contentsOf: gallery.appendingPathComponent("index.html"), encoding: .utf8)
    #expect(first.contains("zz-junk.png") && first.contains("id=\"failed\""))
    #expect(!first.contains("data:image/png"))
    // Every linked picture exists, relative to the page.
    for page in summary.pages {
        let html = try String(contentsOf: page, encoding: .utf8)
        let sources = html.components(separatedBy: "<img src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(!sources.isEmpty)
        for source in sources {
            let path = try #require(source.removingPercentEncoding)
            #expect(FileManager.default.fileExists(atPath: gallery.appendingPathComponent(path).path), "\(page.lastPathComponent): \(source)")
        }
    }
    // The confidence pages list every image once, in decreasing confidence.
    let rows = try DatasetIndex.latestRows(in: output).filter { $0.status == .ok }
    var listed: [String] = []
    for page in 1...3 {
        let html = try String(contentsOf: gallery.appendingPathComponent("confidence-\(page).html"), encoding: .utf8)
        listed += html.components(separatedBy: "<div class=\"caption\"><code>").dropFirst().map { String($0.prefix { $0 != "<" }) }
    }
    let confidence = Dictionary(uniqueKeysWithValues: rows.map { ($0.path, $0.predicted?.confidence ?? -1) })
    #expect(listed.count == 12 && Set(listed) == Set(rows.map(\.path)))
    #expect(zip(listed, listed.dropFirst()).allSatisfy { (confidence[$0] ?? 0) >= (confidence[$1] ?? 0) })
}

@Test func smallGalleriesEmbedTheirPictures() throws {
    let root = try datasetTemporaryFolder("gallery-small")
    defer { try? FileManager.default.removeItem(at: root) }
    let output = try galleryRun(count: 3, root: root)
    let summary = try DatasetGallery().write(from: output)
    #expect(summary.embedded && summary.pages.count == 4)
    let html = try String(contentsOf: summary.firstPage, encoding: .utf8)
    #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 3 * (1 + 2 * 2))
}

private let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Test(.enabled(if: chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil, "needs headless Chromium"))
func headlessChromiumRendersEveryLinkedGalleryPicture() throws {
    let browser = try #require(chromium, "Chromium is not installed")
    let root = try datasetTemporaryFolder("gallery-chromium")
    defer { try? FileManager.default.removeItem(at: root) }
    let output = try galleryRun(count: 6, root: root)
    let summary = try DatasetGallery(pageSize: 4, embeddingLimit: 0).write(from: output)
    for page in [summary.firstPage, output.appendingPathComponent("gallery/gap-2.html")] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--window-size=1280,900", "--dump-dom", "--virtual-time-budget=5000", page.absoluteString]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let dom = String(decoding: data, as: UTF8.self)
        let images = try #require(dom.range(of: "data-images=\"")).upperBound
        let expectedRows = Int(dom[images...].prefix { $0.isNumber }) ?? -1
        let marker = try #require(dom.range(of: "data-rendered-images=\""), "the page's load script did not run")
        let rendered = Int(dom[marker.upperBound...].prefix { $0.isNumber })
        // Per image: the input and two heatmaps for each of two methods.
        #expect(expectedRows == (page == summary.firstPage ? 4 : 2))
        #expect(rendered == expectedRows * 5)
    }
}
