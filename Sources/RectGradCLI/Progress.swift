import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on standard error, drawn only when standard error is a terminal.
struct ProgressLine {
    let isTerminal = isatty(2) == 1
    let total: Int
    let label: String

    /// Redraws the line as `label [k/total] detail`.
    func update(_ completed: Int, _ detail: String) {
        guard isTerminal else { return }
        let line = "\r\u{1B}[2K\(label) [\(completed)/\(total)] \(detail)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Clears the line.
    func finish() {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
