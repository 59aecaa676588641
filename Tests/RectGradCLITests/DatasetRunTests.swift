import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `count` exported shapes images in `root/data` (images/, masks/, manifest.csv).
private func exportedDataset(count: Int, root: URL) throws -> URL {
    let data = root.appendingPathComponent("data")
    let result = try rectgrad(["dataset", "export", "--count", "\(count)", "--out", data.path])
    #expect(result.status == 0, "\(result.standardError)")
    return data
}

/// Files under `folder` (relative path → bytes), without the top-level index files.
private func files(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
    while let url = enumerator?.nextObject() as? URL {
        guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
        let relative = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
        if !relative.contains("/") && relative.hasPrefix("index") && relative.hasSuffix(".jsonl") { continue }
        files[relative] = try Data(contentsOf: url)
    }
    return files
}

/// The index rows of `folder` as JSON objects without the timings, by path (the last row wins,
/// an `ok` row over a failed one).
private func rows(_ folder: URL) throws -> [String: NSDictionary] {
    var rows: [String: NSDictionary] = [:]
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("index") && $0.hasSuffix(".jsonl") }.sorted()
    for name in names {
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            var copy = object
            if let methods = object["methods"] as? [[String: Any]] {
                copy["methods"] = methods.map { method -> [String: Any] in var m = method; m["seconds"] = 0; return m }
            }
            let path = try #require(object["path"] as? String)
            if let previous = rows[path], previous["status"] as? String == "ok", object["status"] as? String != "ok" { continue }
            rows[path] = copy as NSDictionary
        }
    }
    return rows
}

private let methods = "rectgrad,saliency,integrated-gradients"

@Test func datasetRunKilledBySIGTERMResumesToByteIdenticalOutputs() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let data = try exportedDataset(count: 60, root: root)
    let common = ["attribute", "--model", "cifar-cnn", "--method", methods, "--steps", "20", "--batch-size", "4", "--progress-interval", "0"]

    let reference = root.appendingPathComponent("reference")
    let whole = try rectgrad(common + ["--output", reference.path, data.appendingPathComponent("images").path])
    #expect(whole.status == 0, "\(whole.standardError)")
    #expect(whole.standardOutput.contains("60 images attributed"))

    // A run stopped by SIGTERM once a few images are indexed.
    let output = root.appendingPathComponent("resumed")
    let process = Process()
    process.executableURL = productsDirectory().appendingPathComponent("rectgrad")
    process.arguments = common + ["--output", output.path, data.appendingPathComponent("images").path]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let index = output.appendingPathComponent("index.jsonl")
    while process.isRunning {
        let text = (try? String(contentsOf: index, encoding: .utf8)) ?? ""
        if text.split(separator: "\n").count >= 3 { break }
        usleep(2_000)
    }
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    // 143 = 128 + SIGTERM when the signal arrived in time; 0 when the run had already finished.
    #expect([0, 143].contains(process.terminationStatus))
    let interrupted = try String(contentsOf: index, encoding: .utf8)
    #expect(interrupted.hasSuffix("\n"))

    let resumed = try rectgrad(common + ["--output", output.path, data.appendingPathComponent("images").path])
    #expect(resumed.status == 0, "\(resumed.standardError)")
    #expect(try files(output) == files(reference))
    #expect(try rows(output) == rows(reference))
    #expect(try rows(output).count == 60)
}

@Test func aCorruptImageIsSkippedRecordedAndReportedByTheExitStatus() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let data = try exportedDataset(count: 5, root: root)
    try Data("not a png".utf8).write(to: data.appendingPathComponent("images/broken.png"))
    let output = root.appendingPathComponent("out")
    let arguments = ["attribute", "--model", "cifar-cnn", "--method", "saliency", "--output", output.path, data.appendingPathComponent("images").path]
    let result = try rectgrad(arguments)
    #expect(result.status == 3, "\(result.standardError)")
    #expect(result.standardOutput.contains("5 images attributed, 1 failed"))
    let broken = try #require(try rows(output)["broken.png"])
    #expect(broken["status"] as? String == "failed")
    #expect((broken["error"] as? String)?.contains("broken.png") == true)


    // Every shard its own index; together they cover the images once.
    let sharded = root.appendingPathComponent("sharded")
    var paths: [String] = []
    for shard in 0..<2 {
        let part = try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--shard", "\(shard)/2", "--output", sharded.path, data.appendingPathComponent("images").path])
        #expect([0, 3].contains(part.status), "\(part.standardError)")
        let text = try String(contentsOf: sharded.appendingPathComponent("index-\(shard)-of-2.jsonl"), encoding: .utf8)
        paths += text.split(separator: "\n").compactMap { line in (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["path"] as? String }
    }
    #expect(paths.sorted() == (try rows(output)).keys.sorted())

    let fast = try rectgrad(arguments + ["--fail-fast", "--overwrite"])
    expectCleanFailure(fast, mentioning: ["broken.png", "--fail-fast"])
}

@Test func datasetRunMistakesAreNamed() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let manifest = root.appendingPathComponent("m.csv")
    try Data("path,label\nimages/a.png,3\nimages/b.png,unicorn\n".utf8).write(to: manifest)
    let output = root.appendingPathComponent("out").path
    expectCleanFailure(try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--output", output, "--manifest", manifest.path]),
                       mentioning: ["m.csv, line 3", "unicorn"])
    expectCleanFailure(try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--output", output, "--shard", "4/4", root.path]),
                       mentioning: ["--shard"])
    expectCleanFailure(try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--output", output, "--batch-size", "0", root.path]),
                       mentioning: ["--batch-size"])
    expectCleanFailure(try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "saliency", "--output", output, "--top-k", "2", root.path]),
                       mentioning: ["--top-k"])
    expectCleanFailure(try rectgrad(["report", root.path]), mentioning: ["no index rows"])
}

@Test func reportBuildsTheGalleryOfARun() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let data = try exportedDataset(count: 7, root: root)
    let output = root.appendingPathComponent("out")
    let run = try rectgrad(["attribute", "--model", "cifar-cnn", "--method", "rectgrad,deeplift", "--output", output.path, "--manifest", data.appendingPathComponent("manifest.csv").path])
    #expect(run.status == 0, "\(run.standardError)")
    let report = try rectgrad(["report", output.path, "--page-size", "3", "--embed-limit", "2"])
    #expect(report.status == 0, "\(report.standardError)")
    #expect(report.standardOutput.contains("wrote 12 pages (7 images, pictures linked)"))
    let page = try String(contentsOf: output.appendingPathComponent("gallery/index.html"), encoding: .utf8)
    #expect(page.contains("../images/"))
    #expect(page.contains("(manifest)"))
}
