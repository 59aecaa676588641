import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file after checking what it is, so that a folder, a device or a missing file is
/// reported in words ("it is a folder, not a file") instead of a Foundation domain and code.
enum FileContents {
    /// The file's bytes, or why they cannot be read.
    static func read(_ url: URL) -> Result<Data, FileReadFailure> {
        var status = stat()
        guard stat(url.path, &status) == 0 else { return .failure(FileReadFailure(errno: errno)) }
        if let failure = FileReadFailure(mode: status.st_mode) { return .failure(failure) }
        do {
            return .success(try Data(contentsOf: url))
        } catch {
            return .failure(FileReadFailure(reason: "cannot be read (\(error.localizedDescription))"))
        }
    }
}

/// Why a file cannot be read, in words.
struct FileReadFailure: Error {
    /// E.g. `no such file`, `it is a folder, not a file`, `permission denied`.
    let reason: String

    init(reason: String) { self.reason = reason }

    /// The failure for a file mode that is not a regular file's, or `nil` for a regular file.
    init?(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: reason = "it is a folder, not a file"
        default: reason = "it is not a regular file (a device, socket or pipe)"
        }
    }

    /// The reason for a system error number.
    init(errno code: Int32) {
        switch code {
        case ENOENT: reason = "no such file"
        case EACCES: reason = "permission denied"
        case ENOTDIR: reason = "a folder on its path is a file"
        default: reason = String(cString: strerror(code)).lowercased()
        }
    }
}
