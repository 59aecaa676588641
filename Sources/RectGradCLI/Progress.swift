import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A single self-overwriting status line on standard error, shown only when standard error is a
/// terminal (so logs and pipes get only the per-epoch lines).
final class ProgressLine {
    private let enabled = isatty(2) == 1
    private var width = 0

    /// Replaces the line's text.
    func update(_ text: String) {
        guard enabled else { return }
        let padding = String(repeating: " ", count: max(0, width - text.count))
        FileHandle.standardError.write(Data("\r\(text)\(padding)".utf8))
        width = text.count
    }

    /// Erases the line.
    func clear() {
        guard enabled, width > 0 else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: width) + "\r").utf8))
        width = 0
    }
}
