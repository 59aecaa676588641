import Foundation

/// A problem of a dataset attribution run (``DatasetAttribution``), its listing, its manifest or
/// its output folder, naming the file (and the manifest line) it concerns.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input folder cannot be listed.
    case unreadableFolder(path: String, reason: String)
    /// The manifest cannot be read.
    case unreadableManifest(path: String, reason: String)
    /// A manifest line is malformed: wrong number of fields, an unsafe path, an unknown class, a
    /// path listed twice. `line` counts from 1.
    case manifestLine(file: String, line: Int, reason: String)
    /// The listing holds no PNG or JPEG file.
    case noImages(source: String)
    /// An output file or folder cannot be written.
    case cannotWrite(path: String, reason: String)
    /// An existing index file holds a line that is not a valid index row (other than an
    /// unfinished last line, which a resumed run drops).
    case corruptIndex(path: String, line: Int, reason: String)
    /// An option of the run is out of range.
    case invalidConfiguration(String)
    /// An image failed and the run was asked to stop at the first failure.
    case imageFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFolder(let path, let reason): return "the folder \(path) cannot be listed: \(reason)"
        case .unreadableManifest(let path, let reason): return "the manifest \(path) cannot be read: \(reason)"
        case .manifestLine(let file, let line, let reason): return "\(file), line \(line): \(reason)"
        case .noImages(let source): return "\(source) holds no PNG or JPEG files"
        case .cannotWrite(let path, let reason): return "\(path) cannot be written: \(reason)"
        case .corruptIndex(let path, let line, let reason): return "the index \(path), line \(line), is not a valid index row: \(reason)"
        case .invalidConfiguration(let reason): return reason
        case .imageFailed(let path, let reason): return "\(path): \(reason) (stopped by --fail-fast)"
        }
    }
}
