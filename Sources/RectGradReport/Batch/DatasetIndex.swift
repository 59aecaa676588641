import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The index files of an output folder: naming, reading (for resuming and for the gallery) and
/// appending.
public enum DatasetIndex {
    /// `index.jsonl` for a whole run, `index-<i>-of-<n>.jsonl` for shard `i` of `n` (0-based `i`).
    public static func fileName(shardIndex: Int, shardCount: Int) -> String {
        shardCount == 1 ? "index.jsonl" : "index-\(shardIndex)-of-\(shardCount).jsonl"
    }

    /// Whether `name` is the name of an index file.
    public static func isIndexFileName(_ name: String) -> Bool {
        name == "index.jsonl" || (name.hasPrefix("index-") && name.hasSuffix(".jsonl"))
    }

    /// The index files in `folder`, sorted by name.
    public static func files(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter(isIndexFileName).sorted().map { folder.appendingPathComponent($0) }
    }

    /// The rows of an index file in file order. A last line without its newline is an unfinished
    /// write (the process was killed) and is left out; any other invalid line is an error.
    /// - Returns: the rows and the byte length of the complete lines.
    /// - Throws: ``DatasetError/corruptIndex(path:line:reason:)`` or ``DatasetError/cannotWrite(path:reason:)`` when unreadable.
    public static func rows(of file: URL) throws(DatasetError) -> (rows: [DatasetIndexRow], completeLength: Int) {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw .corruptIndex(path: file.path, line: 0, reason: "cannot be read: \(error.localizedDescription)")
        }
        var rows: [DatasetIndexRow] = []
        var start = data.startIndex
        var line = 0
        while let newline = data[start...].firstIndex(of: UInt8(ascii: "\n")) {
            line += 1
            let bytes = data[start..<newline]
            start = data.index(after: newline)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do { rows.append(try DatasetIndexRow(jsonLine: Data(bytes))) } catch {
                throw .corruptIndex(path: file.path, line: line, reason: "\(error)")
            }
        }
        return (rows, start - data.startIndex)
    }

    /// The rows of every index file in `folder`, one per image path: the last `ok` row if there
    /// is one, else the last row (a failure). Sorted by path.
    public static func latestRows(in folder: URL) throws(DatasetError) -> [DatasetIndexRow] {
        var latest: [String: DatasetIndexRow] = [:]
        for file in files(in: folder) {
            for row in try rows(of: file).rows {
                if let previous = latest[row.path], previous.status == .ok, row.status != .ok { continue }
                latest[row.path] = row
            }
        }
        return latest.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }
}

/// Appends rows to one index file, one `write` per row.
final class IndexAppender {
    let url: URL
    private let handle: FileHandle

    /// Opens `url` for appending; `truncatingTo` cuts an unfinished last line (or everything, 0).
    init(url: URL, truncatingTo length: Int?) throws(DatasetError) {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw .cannotWrite(path: url.path, reason: "the file cannot be created")
            }
        }
        do {
            let handle = try FileHandle(forWritingTo: url)
            if let length { try handle.truncate(atOffset: UInt64(length)) }
            try handle.seekToEnd()
            self.handle = handle
        } catch {
            throw .cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Appends `row` and a newline.
    func append(_ row: DatasetIndexRow) throws(DatasetError) {
        var line = try row.jsonLine()
        line.append(UInt8(ascii: "\n"))
        do { try handle.write(contentsOf: line) } catch {
            throw .cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    deinit { try? handle.close() }
}

/// Writes files atomically: the bytes go to a hidden temporary file in the same folder, which is
/// then renamed over the destination, so a reader (or a resumed run) never sees half a file, even
/// when the process is killed mid-write. There is no `fsync`: a file is whole once renamed, but
/// after a power failure (not a killed process) the last files may be empty.
enum AtomicFile {
    static func write(_ data: Data, to url: URL) throws(DatasetError) {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        var descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor < 0 && errno == ENOENT {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw .cannotWrite(path: folder.path, reason: error.localizedDescription)
            }
            descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else { throw .cannotWrite(path: url.path, reason: String(cString: strerror(errno))) }
        var failure: String?
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if close(descriptor) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil, rename(temporary.path, url.path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary.path)
            throw .cannotWrite(path: url.path, reason: failure)
        }
    }
}
