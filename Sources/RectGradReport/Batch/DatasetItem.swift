import Foundation

/// One input image of a dataset run.
public struct DatasetItem: Sendable, Hashable {
    /// The image's path relative to the dataset root (the folder, or the manifest's folder), with
    /// `/` separators and no `.` or `..` components. It names the image in the index, decides its
    /// shard (``ShardSelection/contains(key:)``) and is mirrored by its output files.
    public var key: String
    /// Where the image is read from.
    public var url: URL
    /// The class to explain (a manifest's target column), or `nil` for the run's default.
    public var target: Int?

    /// Creates an item.
    public init(key: String, url: URL, target: Int? = nil) {
        self.key = key
        self.url = url
        self.target = target
    }
}

/// The images of a dataset run: a folder's PNG and JPEG files (recursively) or a manifest's lines.
public enum DatasetListing {
    /// File name extensions taken from a folder (compared without case).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// The PNG and JPEG files under `folder`, at any depth, sorted by key (so the order does not
    /// depend on the file system's listing order). Hidden files and folders (name starting with
    /// `.`) and the folder `excluding` (an output folder inside the input) are skipped.
    /// - Throws: ``DatasetError/unreadableFolder(path:reason:)``, ``DatasetError/noImages(source:)``.
    public static func folder(_ folder: URL, excluding excluded: URL? = nil) throws(DatasetError) -> [DatasetItem] {
        let root = folder.standardizedFileURL.resolvingSymlinksInPath()
        let excludedPath = excluded.map { $0.standardizedFileURL.resolvingSymlinksInPath().path }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .unreadableFolder(path: folder.path, reason: "no such folder")
        }
        var items: [DatasetItem] = []
        var failure: String?
        // Folders reached through symbolic links are followed once (a link to an ancestor would loop).
        var visited: Set<String> = [root.path]
        func visit(_ directory: URL, prefix: String) {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
                failure = "\(directory.path): \(error.localizedDescription)"
                return
            }
            for name in names where !name.hasPrefix(".") {
                let url = directory.appendingPathComponent(name)
                let key = prefix.isEmpty ? name : "\(prefix)/\(name)"
                var childIsFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &childIsFolder) else { continue }
                if childIsFolder.boolValue {
                    let resolved = url.standardizedFileURL.resolvingSymlinksInPath().path
                    if let excludedPath, resolved == excludedPath { continue }
                    guard visited.insert(resolved).inserted else { continue }
                    visit(url, prefix: key)
                } else if imageExtensions.contains((name as NSString).pathExtension.lowercased()) {
                    items.append(DatasetItem(key: key, url: url))
                }
            }
        }
        visit(root, prefix: "")
        if let failure { throw .unreadableFolder(path: folder.path, reason: failure) }
        guard !items.isEmpty else { throw .noImages(source: "the folder \(folder.path)") }
        return items.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// The images a manifest lists; see ``DatasetManifest``.
    /// - Parameter classNames: the model's class names, for targets given by name.
    /// - Throws: ``DatasetError/unreadableManifest(path:reason:)``, ``DatasetError/manifestLine(file:line:reason:)``,
    ///   ``DatasetError/noImages(source:)``.
    public static func manifest(_ file: URL, classNames: [String]) throws(DatasetError) -> [DatasetItem] {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw .unreadableManifest(path: file.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadableManifest(path: file.path, reason: "not UTF-8 text")
        }
        let manifest = try DatasetManifest(parsing: text, source: file.path, classNames: classNames)
        let base = file.deletingLastPathComponent()
        let items = manifest.entries.map { entry in
            let url = entry.path.hasPrefix("/") ? URL(fileURLWithPath: entry.path) : base.appendingPathComponent(entry.path)
            return DatasetItem(key: entry.key, url: url, target: entry.target)
        }
        guard !items.isEmpty else { throw .noImages(source: "the manifest \(file.path)") }
        return items
    }
}
