import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file-system problem with a path given on the command line, in words.
struct FileProblem: Error, CustomStringConvertible {
    /// What is wrong with the path.
    enum Kind: Equatable {
        case notFound
        case isFolder
        case notRegularFile
        case isFile
        case exists
        case sameAsInput(String)
        case missingParent
        case cannotWrite(String)
    }

    /// The option or argument that named the path (`--output`, `image`).
    var option: String
    /// The path as given.
    var path: String
    /// What is wrong.
    var kind: Kind

    var description: String {
        let subject = option.isEmpty ? path : "\(option) \(path)"
        switch kind {
        case .notFound: return "\(subject): no such file"
        case .isFolder: return "\(subject) is a folder, not a file"
        case .notRegularFile: return "\(subject) is not a regular file (a device, socket or pipe)"
        case .isFile: return "\(subject) is a file, but a folder is needed here"
        case .exists: return "\(subject) exists; pass --overwrite to replace it"
        case .sameAsInput(let input): return "\(subject) is the input \(input); choose another output"
        case .missingParent: return "\(subject): the folder it would go in does not exist"
        case .cannotWrite(let reason): return "\(subject) cannot be written: \(reason)"
        }
    }
}

/// Checks paths given on the command line before any work starts, so that a mistake is reported
/// in words (not a domain and a code) and before a long computation.
enum FileAccess {
    /// What is at `path`, following symbolic links.
    enum Entry { case missing, regularFile, folder, other }

    static func entry(at path: String) -> Entry {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .folder
        default: return .other
        }
    }

    /// Device and inode of an existing path.
    static func identity(of path: String) -> (UInt64, UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Checks that `path` is an existing regular file.
    static func checkInputFile(_ path: String, option: String) throws(FileProblem) {
        switch entry(at: path) {
        case .regularFile: return
        case .missing: throw FileProblem(option: option, path: path, kind: .notFound)
        case .folder: throw FileProblem(option: option, path: path, kind: .isFolder)
        case .other: throw FileProblem(option: option, path: path, kind: .notRegularFile)
        }
    }

    /// Checks that `path` can receive an output file: not a folder, not one of `inputs`, its folder
    /// exists, and it does not exist yet unless `overwrite`.
    static func checkOutputFile(_ path: String, option: String, overwrite: Bool, inputs: [String] = []) throws(FileProblem) {
        try checkNotAnInput(path, option: option, inputs: inputs)
        switch entry(at: path) {
        case .folder: throw FileProblem(option: option, path: path, kind: .isFolder)
        case .other: throw FileProblem(option: option, path: path, kind: .notRegularFile)
        case .regularFile: if !overwrite { throw FileProblem(option: option, path: path, kind: .exists) }
        case .missing:
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if entry(at: parent) != .folder { throw FileProblem(option: option, path: path, kind: .missingParent) }
        }
    }

    /// Checks that `path` is a folder or can be created as one, and is not one of `inputs`.
    static func checkOutputFolder(_ path: String, option: String, inputs: [String] = []) throws(FileProblem) {
        try checkNotAnInput(path, option: option, inputs: inputs)
        switch entry(at: path) {
        case .folder, .missing: return
        case .regularFile: throw FileProblem(option: option, path: path, kind: .isFile)
        case .other: throw FileProblem(option: option, path: path, kind: .notRegularFile)
        }
    }

    private static func checkNotAnInput(_ path: String, option: String, inputs: [String]) throws(FileProblem) {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let identity = identity(of: path)
        for input in inputs {
            var same = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path == standardized
            if let output = identity, let other = Self.identity(of: input), output == other { same = true }
            if same { throw FileProblem(option: option, path: path, kind: .sameAsInput(input)) }
        }
    }

    /// Creates the folder `path` (and its parents).
    static func createFolder(_ path: String, option: String) throws(FileProblem) {
        try checkOutputFolder(path, option: option)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileProblem(option: option, path: path, kind: .cannotWrite(reason(error)))
        }
    }

    /// Writes `data` to `path` atomically (a temporary file in the same folder, then a rename).
    static func write(_ data: Data, to path: String, option: String) throws(FileProblem) {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            if entry(at: path) == .folder { throw FileProblem(option: option, path: path, kind: .isFolder) }
            throw FileProblem(option: option, path: path, kind: .cannotWrite(reason(error)))
        }
    }

    /// The cause of a Foundation file error in words.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message).lowercased()
        }
        if nsError.domain == NSPOSIXErrorDomain, let message = strerror(Int32(nsError.code)) {
            return String(cString: message).lowercased()
        }
        switch nsError.code {
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on the device"
        case NSFileWriteVolumeReadOnlyError: return "read-only file system"
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "a folder on the way does not exist"
        default: return "the file system refused (\(nsError.localizedDescription))"
        }
    }
}
