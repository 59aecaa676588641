import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A status line on standard error. On a terminal it overwrites itself at every update; otherwise
/// (a log, a pipe) it prints the latest text as a plain line when `plainInterval` has passed since
/// the last one (never when `plainInterval` is nil), so long runs show signs of life in logs too.
final class ProgressLine {
    private let live = isatty(2) == 1
    private let plainInterval: Duration?
    private var width = 0
    private let clock = ContinuousClock()
    private var lastPlain: ContinuousClock.Instant

    /// A line that is silent off a terminal (per-epoch lines of `train` say enough there).
    convenience init() { self.init(plainInterval: nil) }

    /// A line that prints plain lines every `plainInterval` off a terminal (`.zero`: every update).
    init(plainInterval: Duration?) {
        self.plainInterval = plainInterval
        lastPlain = clock.now
    }

    /// Replaces the line's text.
    func update(_ text: String) {
        if live {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            FileHandle.standardError.write(Data("\r\(text)\(padding)".utf8))
            width = text.count
        } else if let plainInterval, clock.now - lastPlain >= plainInterval {
            FileHandle.standardError.write(Data("progress: \(text)\n".utf8))
            lastPlain = clock.now
        }
    }

    /// Erases the line.
    func clear() {
        guard live, width > 0 else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: width) + "\r").utf8))
        width = 0
    }
}

/// `--progress-interval`: how often `attribute` and `explain` report progress in a log.
struct ProgressOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Seconds between progress lines on standard error when it is not a terminal (0: every step). On a terminal one line updates in place.", valueName: "s"))
    var progressInterval: Double = 5

    func validate() throws {
        guard progressInterval.isFinite, progressInterval >= 0 else {
            throw ValidationError("--progress-interval must be a number of seconds ≥ 0, got \(progressInterval).")
        }
    }

    /// The progress line these options ask for.
    func line() -> ProgressLine {
        ProgressLine(plainInterval: .milliseconds(Int64((min(progressInterval, 1e9) * 1000).rounded())))
    }
}
