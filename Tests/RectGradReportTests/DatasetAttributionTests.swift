import Foundation
import Testing
import RectGradAttribution
import RectGradCore
import RectGradData
import RectGradFormats
import RectGradImage
import RectGradReport
import RectGradZoo

// MARK: Fixtures

/// A fresh temporary folder.
func datasetTemporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-\(label)-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `count` exported shapes images in two subfolders (`a/…`, `b/…`) under `root`, as PNG files.
@discardableResult
func writeImageTree(count: Int, under root: URL) throws -> [String] {
    let staging = root.appendingPathComponent(".staging")
    try ShapesExport().write(count: count, to: staging)
    let names = try FileManager.default.contentsOfDirectory(atPath: staging.appendingPathComponent("images").path).sorted()
    var keys: [String] = []
    for (index, name) in names.enumerated() {
        let folder = index % 2 == 0 ? "a" : "b/deeper"
        try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: staging.appendingPathComponent("images").appendingPathComponent(name), to: root.appendingPathComponent(folder).appendingPathComponent(name))
        keys.append("\(folder)/\(name)")
    }
    try FileManager.default.removeItem(at: staging)
    return keys.sorted()
}

func datasetModel() throws -> Model { try Zoo.entry(named: "cifar-cnn").model(seed: 5) }

func configuration(batchSize: Int = 3, shard: ShardSelection = .whole, methods: [AttributionMethod]? = nil, failFast: Bool = false) throws -> DatasetRunConfiguration {
    let chosen = try methods ?? [AttributionMethod.rectGrad(), .saliency, .deepLIFT()]
    return DatasetRunConfiguration(
        model: try datasetModel(), methods: chosen, batchSize: batchSize, shard: shard,
        failFast: failFast, workers: Workers(count: 1))
}

/// Every file under `folder` except index files, as relative path → bytes.
func outputFiles(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
    while let url = enumerator?.nextObject() as? URL {
        guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
        let relative = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
        if DatasetIndex.isIndexFileName(url.lastPathComponent) && !relative.contains("/") { continue }
        files[relative] = try Data(contentsOf: url)
    }
    return files
}

/// Index rows without their timings (the only field that differs between identical runs), by path.
func comparableRows(_ folder: URL) throws -> [String: DatasetIndexRow] {
    var rows: [String: DatasetIndexRow] = [:]
    for row in try DatasetIndex.latestRows(in: folder) {
        var copy = row
        copy.methods = row.methods?.map { DatasetIndexRow.MethodRecord(method: $0.method, gap: $0.gap, seconds: 0, files: $0.files) }
        rows[row.path] = copy
    }
    return rows
}

// MARK: Manifest

@Test func manifestParsesHeaderQuotesTargetsByIndexAndName() throws {
    let text = "path,label\n# a comment\nimages/a.png,3\n\n\"odd, name.png\",cat\n./b//c.jpg\n/abs/d.png,\n"
    let manifest = try DatasetManifest(parsing: text, source: "m.csv", classNames: CIFAR10Classes.names)
    #expect(manifest.entries.map(\.key) == ["images/a.png", "odd, name.png", "b/c.jpg", "abs/d.png"])
    #expect(manifest.entries.map(\.target) == [3, CIFAR10Classes.names.firstIndex(of: "cat"), nil, nil])
    #expect(manifest.entries.map(\.line) == [3, 5, 6, 7])
}

@Test(arguments: [
    ("a.png,1\nb.png,1,2\n", 2, "3 fields"),
    ("a.png,1\nb.png,zebra\n", 2, "'zebra'"),
    ("a.png,10\n", 1, "outside 0…9"),
    ("a.png\n../b.png\n", 2, "'..'"),
    ("x/a.png\n./x/a.png\n", 2, "already listed on line 1"),
    ("path\n\"a.png,1\n", 2, "not closed"),
    ("a.png\n,3\n", 2, "empty"),
])
func manifestErrorsNameTheLine(text: String, line: Int, fragment: String) throws {
    #expect {
        _ = try DatasetManifest(parsing: text, source: "m.csv", classNames: CIFAR10Classes.names)
    } throws: { error in
        guard case DatasetError.manifestLine(let file, let reported, let reason) = error else { return false }
        return file == "m.csv" && reported == line && reason.contains(fragment)
    }
}

// MARK: Listing and shards

@Test func folderListingIsRecursiveSortedAndSkipsHiddenAndOutputFolders() throws {
    let root = try datasetTemporaryFolder("listing")
    defer { try? FileManager.default.removeItem(at: root) }
    let keys = try writeImageTree(count: 6, under: root)
    try Data("x".utf8).write(to: root.appendingPathComponent("notes.txt"))
    try FileManager.default.createDirectory(at: root.appendingPathComponent("out"), withIntermediateDirectories: true)
    try Data("x".utf8).write(to: root.appendingPathComponent("out/map.png"))
    try Data("x".utf8).write(to: root.appendingPathComponent("a/.hidden.png"))
    // A link back to the root is followed at most once, not forever.
    try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("b/loop"), withDestinationURL: root)
    let items = try DatasetListing.folder(root, excluding: root.appendingPathComponent("out"))
    #expect(items.map(\.key) == keys)
}

@Test func shardsAreDisjointAndCoverEveryKeyWhateverTheOrder() throws {
    let keys = (0..<500).map { "folder\($0 % 7)/image-\($0).jpg" }
    for count in [1, 2, 4, 7] {
        let shards = try (0..<count).map { try ShardSelection(index: $0, count: count) }
        for key in keys { #expect(shards.filter { $0.contains(key: key) }.count == 1) }
        let items = keys.map { DatasetItem(key: $0, url: URL(fileURLWithPath: "/\($0)")) }
        let run = try DatasetAttribution(configuration: try configuration(shard: shards[count - 1]))
        let forward = run.shardItems(items).map(\.key)
        let backward = run.shardItems(items.reversed()).map(\.key)
        #expect(Set(forward) == Set(backward))
    }
}

// MARK: Runs

@Test func shardedRunsTogetherWriteTheSameFilesAsOneRun() throws {
    let root = try datasetTemporaryFolder("shards")
    defer { try? FileManager.default.removeItem(at: root) }
    let input = root.appendingPathComponent("input")
    let keys = try writeImageTree(count: 13, under: input)
    let items = try DatasetListing.folder(input)

    let whole = root.appendingPathComponent("whole")
    let summary = try DatasetAttribution(configuration: try configuration(batchSize: 4)).run(items: items, output: whole)
    #expect(summary.completed == keys.count && summary.failed == 0 && !summary.cancelled)

    let sharded = root.appendingPathComponent("sharded")
    var seen: [String] = []
    for index in 0..<3 {
        let shard = try ShardSelection(index: index, count: 3)
        let result = try DatasetAttribution(configuration: try configuration(batchSize: 4, shard: shard)).run(items: items, output: sharded)
        #expect(result.indexFile.lastPathComponent == "index-\(index)-of-3.jsonl")
        seen += try DatasetIndex.rows(of: result.indexFile).rows.map(\.path)
    }
    #expect(seen.sorted() == keys)  // disjoint (no repeats) and covering
    #expect(try outputFiles(sharded) == outputFiles(whole))
    #expect(try comparableRows(sharded) == comparableRows(whole))
}

@Test func cancelledRunResumesToTheSameFilesAsAnUninterruptedRun() throws {
    let root = try datasetTemporaryFolder("resume")
    defer { try? FileManager.default.removeItem(at: root) }
    let input = root.appendingPathComponent("input")
    try writeImageTree(count: 11, under: input)
    let items = try DatasetListing.folder(input)
    let run = try DatasetAttribution(configuration: try configuration(batchSize: 3))

    let reference = root.appendingPathComponent("reference")
    _ = try run.run(items: items, output: reference)

    let resumed = root.appendingPathComponent("resumed")
    let cancellation = RunCancellation()
    let first = try run.run(items: items, output: resumed, cancellation: cancellation) { progress in
        if progress.done == 4 { cancellation.cancel() }
    }
    #expect(first.cancelled)
    #expect(first.completed == 4)
    // A half-written row, as a kill during the append leaves it, is dropped on resume.
    let index = resumed.appendingPathComponent("index.jsonl")
    let handle = try FileHandle(forWritingTo: index)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"path\":\"a/unfinis".utf8))
    try handle.close()

    let second = try run.run(items: items, output: resumed)
    #expect(second.alreadyComplete == 4 && second.completed == 7 && !second.cancelled)
    #expect(try outputFiles(resumed) == outputFiles(reference))
    #expect(try comparableRows(resumed) == comparableRows(reference))
    let third = try run.run(items: items, output: resumed)
    #expect(third.alreadyComplete == 11 && third.completed == 0)

    // A run asking for another method is not complete: only that work is redone, for every image.
    var more = try configuration(batchSize: 3)
    more.methods.append(AttributionMethod.guidedBackprop)
    let extended = try DatasetAttribution(configuration: more).run(items: items, output: resumed)
    #expect(extended.alreadyComplete == 0 && extended.completed == 11)
}

@Test func corruptAndMissingImagesAreRecordedAndSkipped() throws {
    let root = try datasetTemporaryFolder("corrupt")
    defer { try? FileManager.default.removeItem(at: root) }
    let input = root.appendingPathComponent("input")
    let keys = try writeImageTree(count: 5, under: input)
    try Data("not an image".utf8).write(to: input.appendingPathComponent("a/broken.png"))
    let good = try Data(contentsOf: input.appendingPathComponent(keys[0]))
    try good.prefix(good.count / 2).write(to: input.appendingPathComponent("b/truncated.png"))
    var items = try DatasetListing.folder(input)
    items.append(DatasetItem(key: "missing.png", url: input.appendingPathComponent("missing.png")))

    let output = root.appendingPathComponent("out")
    let summary = try DatasetAttribution(configuration: try configuration()).run(items: items, output: output)
    #expect(summary.completed == 5 && summary.failed == 3)
    let rows = try DatasetIndex.latestRows(in: output)
    let failed = Dictionary(uniqueKeysWithValues: rows.filter { $0.status == .failed }.map { ($0.path, $0.error ?? "") })
    #expect(Set(failed.keys) == ["a/broken.png", "b/truncated.png", "missing.png"])
    #expect(failed["a/broken.png"]?.contains("broken.png") == true)
    #expect(failed["missing.png"]?.contains("no such file") == true)
    #expect(rows.filter { $0.status == .ok }.map(\.path) == keys)

    #expect(throws: DatasetError.self) {
        _ = try DatasetAttribution(configuration: try configuration(failFast: true)).run(items: items, output: root.appendingPathComponent("fast"))
    }
}

@Test func theIndexIsValidJSONLinesWithTheDocumentedFields() throws {
    let root = try datasetTemporaryFolder("jsonl")
    defer { try? FileManager.default.removeItem(at: root) }
    let input = root.appendingPathComponent("input")
    try writeImageTree(count: 4, under: input)
    try Data("junk".utf8).write(to: input.appendingPathComponent("a/junk.jpg"))
    let output = root.appendingPathComponent("out")
    _ = try DatasetAttribution(configuration: try configuration()).run(items: try DatasetListing.folder(input), output: output)
    let text = try String(contentsOf: output.appendingPathComponent("index.jsonl"), encoding: .utf8)
    #expect(text.hasSuffix("\n"))
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    #expect(lines.count == 5)
    for line in lines {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let status = try #require(object["status"] as? String)
        #expect(object["path"] is String)
        if status == "failed" {
            #expect(object["error"] is String)
            continue
        }
        #expect(status == "ok")
        #expect(object["width"] as? Int == 32 && object["height"] as? Int == 32)
        let predicted = try #require(object["predicted"] as? [String: Any])
        let confidence = try #require(predicted["confidence"] as? Double)
        #expect(confidence > 0 && confidence <= 1)
        let methods = try #require(object["methods"] as? [[String: Any]])
        #expect(methods.map { $0["method"] as? String } == ["rectgrad", "saliency", "deeplift"])
        for method in methods {
            #expect(method["seconds"] is Double)
            #expect(method.keys.contains("gap"))
            for file in try #require(method["files"] as? [String]) {
                #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(file).path))
            }
        }
        // DeepLIFT has a completeness gap, saliency none.
        #expect(methods[1]["gap"] is NSNull)
        #expect(methods[2]["gap"] is Double)
    }
}

@Test func mapsMatchASessionOnTheSameImageInAnyBatchOfTheRunsSize() throws {
    let root = try datasetTemporaryFolder("maps")
    defer { try? FileManager.default.removeItem(at: root) }
    let input = root.appendingPathComponent("input")
    let keys = try writeImageTree(count: 4, under: input)
    let output = root.appendingPathComponent("out")
    // Batches [0, 1, 2] and [3], the last padded to [3, 3, 3].
    _ = try DatasetAttribution(configuration: try configuration(batchSize: 3)).run(items: try DatasetListing.folder(input), output: output)
    let model = try datasetModel()
    func image(_ index: Int) throws -> RGBImage { try ImageDecoding.decode(contentsOf: input.appendingPathComponent(keys[index])) }
    for (index, companion) in [(1, 3), (3, 0)] {
        // The same image in another batch of three (other companions, another position).
        let batch = try model.preprocessing.input(from: [try image(companion), try image(index), try image(2)])
        let session = try AttributionSession(network: model.network, input: batch, workers: Workers(count: 1))
        let expected = try session.attribute(.rectGrad()).map.example(1)
        let written = try NumPyFile.read(contentsOf: output.appendingPathComponent(MapOutputs.arrayFile(key: keys[index], method: "rectgrad")))
        #expect(written.shape == [1, 3, 32, 32])
        #expect(written.scalars == expected.scalars)
        // Alone, the dense layers take the matrix–vector kernels: equal up to rounding.
        let alone = try AttributionSession(network: model.network, input: try model.preprocessing.input(from: try image(index)), workers: Workers(count: 1))
        let single = try alone.attribute(.rectGrad()).map.scalars
        let scale = single.map(abs).max() ?? 0
        #expect(zip(written.scalars, single).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
    }
}
