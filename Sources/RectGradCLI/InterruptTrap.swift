import Dispatch
import Foundation
import RectifiedGradient

#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT and SIGTERM into a ``RunCancellation`` while a dataset run is going: the run
/// finishes the image it is writing and returns. A second signal ends the process at once (the
/// files already written stay whole: every write is a rename).
final class InterruptTrap: @unchecked Sendable {
    // `@unchecked`: `received` is only accessed under `lock`; the sources are set up in `init` and
    // cancelled in `restore`, both on the creating thread.
    private let lock = NSLock()
    private var received: Int32?
    private var sources: [any DispatchSourceSignal] = []
    private static let signals: [Int32] = [SIGINT, SIGTERM]

    init(cancellation: RunCancellation) {
        for signalNumber in Self.signals {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                let repeated = received != nil
                if received == nil { received = signalNumber }
                lock.unlock()
                if repeated { _exit(128 + signalNumber) }
                FileHandle.standardError.write(Data("\nnote: \(signalNumber == SIGINT ? "interrupted" : "terminated"): finishing the current image, then stopping (a second signal stops at once; rerun the same command to resume)\n".utf8))
                cancellation.cancel()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var receivedSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Restores the default handling of the signals.
    func restore() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for signalNumber in Self.signals { signal(signalNumber, SIG_DFL) }
    }
}
