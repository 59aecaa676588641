import COpenBLAS
import Dispatch
import Foundation
import Synchronization

/// A small fork–join helper for the kernels: a fixed number of workers pulling items from a shared
/// counter, so a worker that is slowed down by another process simply takes fewer items.
enum Parallel {
    /// The number of workers a kernel splits its work into: one per available core.
    static let workerCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(worker, item)` for every `item` in `0..<items` on up to `workers` threads.
    ///
    /// `worker` is in `0..<min(workers, items)` and no two concurrent calls share one, so it can
    /// index per-worker scratch memory. Returns when every item is done.
    static func forEach(items: Int, workers: Int = workerCount, _ body: (_ worker: Int, _ item: Int) -> Void) {
        guard items > 0 else { return }
        let threads = min(max(workers, 1), items)
        if threads == 1 {
            for item in 0..<items { body(0, item) }
            return
        }
        let counter = WorkCounter()
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                while true {
                    let item = counter.next()
                    if item >= items { break }
                    shared.value(worker, item)
                }
            }
        }
    }

    /// Splits `0..<count` into `parts` contiguous, nearly equal ranges and returns range `part`.
    static func range(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        let lower = count * part / parts
        let upper = count * (part + 1) / parts
        return lower..<upper
    }
}

/// Lets a closure or pointer that is only used inside a fork–join region cross into its workers.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The shared item counter of one ``Parallel/forEach(items:workers:_:)`` call.
private final class WorkCounter: Sendable {
    private let storage = Atomic<Int>(0)
    func next() -> Int { storage.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// Scopes in which OpenBLAS runs every call on the calling thread, so that the kernels can issue
/// independent small matrix products from several workers at once.
///
/// OpenBLAS keeps one process-wide thread count. Nested and concurrent scopes are counted: the
/// first scope to open saves the count and sets it to one, the last to close restores it, and
/// calls made from other threads meanwhile stay correct (they merely run on one thread).
enum SingleThreadedBLAS {
    private static let state = Mutex<(openScopes: Int, savedThreads: Int32)>((0, 0))

    /// Runs `body` with OpenBLAS limited to the calling thread.
    static func run<Result>(_ body: () throws -> Result) rethrows -> Result {
        state.withLock { state in
            if state.openScopes == 0 {
                state.savedThreads = openblas_get_num_threads()
                if state.savedThreads > 1 { openblas_set_num_threads(1) }
            }
            state.openScopes += 1
        }
        defer {
            state.withLock { state in
                state.openScopes -= 1
                if state.openScopes == 0 && state.savedThreads > 1 {
                    openblas_set_num_threads(state.savedThreads)
                }
            }
        }
        return try body()
    }
}

/// Uninitialised scratch memory of one kernel call, split into equal slices per worker.
struct ScratchBuffer: ~Copyable {
    let base: UnsafeMutablePointer<Float>
    let sliceCount: Int

    init(workers: Int, sliceCount: Int) {
        self.sliceCount = max(sliceCount, 1)
        base = .allocate(capacity: max(workers, 1) * self.sliceCount)
    }

    /// The scratch slice of `worker`.
    func slice(_ worker: Int) -> UnsafeMutablePointer<Float> { base + worker * sliceCount }

    deinit { base.deallocate() }
}
