import ArgumentParser
import Foundation
import RectifiedGradient

/// `--threads N`: the threads a command computes on, shared by every command that computes.
///
/// Without the option the count comes from the environment variable `RECTGRAD_WORKERS` (kept for
/// scripts and job arrays written before the option), else one thread per active core. The count
/// changes the speed only: every kernel cuts its work by the problem's shape, so the results are
/// the same bytes for any count.
///
/// With one thread nothing computes off the calling thread: the library's kernels run inline, a
/// dataset run decodes its next images on the same thread, and the command holds OpenBLAS to one
/// thread (see ``holdOpenBLASToOneThread()``).
struct ThreadOptions: ParsableArguments {
    /// The largest count accepted (far above any machine's cores; a typo guard).
    static let maximum = 4096

    /// The environment variable read when `--threads` is absent.
    static let environmentVariable = "RECTGRAD_WORKERS"

    @Option(name: .long, help: ArgumentHelp("Threads to compute on (1...\(ThreadOptions.maximum); default: $\(ThreadOptions.environmentVariable) if set, else one per core). The results do not depend on it.", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads { try Self.check(threads, source: "--threads") }
        if threads == nil, let text = Self.environmentValue {
            guard let count = Int(text) else {
                throw ValidationError("\(Self.environmentVariable)='\(text)' is not a whole number of threads (1...\(Self.maximum)); unset it or pass --threads.")
            }
            try Self.check(count, source: Self.environmentVariable)
        }
    }

    /// The environment variable's value without surrounding spaces; `nil` when unset or empty.
    private static var environmentValue: String? {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    /// The count the options and environment choose.
    var count: Int {
        if let threads { return threads }
        if let text = Self.environmentValue, let count = Int(text), (1...Self.maximum).contains(count) {
            return count
        }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// The workers of the command: `.serial` for one thread, else a new set of `count` workers.
    ///
    /// Call once per command and pass the value down: each value owns its helper threads.
    func workers() -> Workers {
        let count = self.count
        Self.holdOpenBLASToOneThread()  // again, in case a command is run without `main` (tests)
        return count == 1 ? .serial : Workers(count: count)
    }

    /// The command owns its process, so it may set what the library never touches: OpenBLAS's
    /// process-wide thread count. The library's kernels split matrix products among their own
    /// workers and call OpenBLAS single-threaded; holding OpenBLAS to one thread for the whole
    /// command makes sure no call (the library's or a future one) wakes OpenBLAS's own threads.
    /// OpenBLAS starts its helper threads when it loads, before `main`, and they poll for work for
    /// about a tenth of a second before they sleep: the command ends them here, before it
    /// computes anything (``BLAS/stopIdleThreads()``). `main` calls this first of all.
    static func holdOpenBLASToOneThread() {
        BLAS.setProcessThreadCount(1)
        BLAS.stopIdleThreads()
    }

    private static func check(_ count: Int, source: String) throws {
        guard (1...maximum).contains(count) else {
            throw ValidationError("\(source) must be a number of threads in 1...\(maximum), got \(count).")
        }
    }
}
