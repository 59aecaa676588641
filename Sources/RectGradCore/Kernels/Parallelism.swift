import COpenBLAS
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A small fork–join helper for the kernels: a fixed number of workers pulling items from a shared
/// counter, so a worker that is slowed down by another process simply takes fewer items.
///
/// The calling thread is worker 0; the others are the persistent helper threads of
/// ``WorkerPool``, which keep polling for a few milliseconds after a region ends, so that the
/// many short regions of a network pass (element-wise layers of a millisecond or less) start on
/// every core at once instead of waiting for a parked thread to be woken.
enum Parallel {
    /// The number of workers a kernel splits its work into: one per available core, or the
    /// number in the environment variable `RECTGRAD_WORKERS` (at least 1) when it is set.
    static let workerCount: Int = {
        if let text = ProcessInfo.processInfo.environment["RECTGRAD_WORKERS"], let count = Int(text), count >= 1 { return count }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

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
            let work: (Int) -> Void = { worker in
                while true {
                    let item = counter.next()
                    if item >= items { break }
                    shared.value(worker, item)
                }
            }
            // The pool runs one region at a time; a region started while it is busy (from another
            // thread, or nested inside a region) runs on Dispatch's threads instead.
            if !WorkerPool.shared.run(threads: threads, work) {
                let sendableWork = UncheckedSendable(work)
                DispatchQueue.concurrentPerform(iterations: threads) { worker in sendableWork.value(worker) }
            }
        }
    }

    /// Runs `body` on contiguous ranges covering `0..<count`: the whole range on the calling thread
    /// when there is too little work to share, else a few ranges per worker (memory-bound
    /// element-wise loops: a worker slowed down by another process takes fewer ranges).
    ///
    /// The ranges are disjoint, so `body` may write the elements of its range without locking.
    static func forRanges(count: Int, minimumPerRange: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = min(4 * workerCount, count / max(minimumPerRange, 1))
        if parts <= 1 || workerCount == 1 {
            body(0..<count)
            return
        }
        forEach(items: parts) { _, part in body(range(part, of: parts, count: count)) }
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

/// Persistent helper threads for ``Parallel/forEach(items:workers:_:)`` (one fewer than the
/// workers: the calling thread is worker 0).
///
/// A region is published as one atomic word holding a generation number, a "closed" flag and the
/// number of helpers inside it. A helper that sees a new generation joins by incrementing the
/// count unless the region is closed, runs work items, and leaves; the caller, once no items are
/// left, closes the region and waits only for the helpers that joined. A helper that has not
/// joined never touches the region's closure, so a helper slow to wake up costs nothing.
/// After a region a helper polls for ``pollingDuration`` before it parks on its semaphore.
final class WorkerPool: @unchecked Sendable {
    /// The pool of the process, with `Parallel.workerCount − 1` helpers started on first use.
    static let shared = WorkerPool(helpers: Parallel.workerCount - 1)

    /// How long an idle helper keeps polling for the next region before it parks.
    static let pollingDuration: UInt64 = 4_000_000  // nanoseconds

    /// How many times a caller re-checks for unfinished helpers before it starts yielding its
    /// core between checks (a few microseconds: an unhindered helper finishes well within it).
    static let spinsBeforeYielding = 2_000

    private static let closedBit: UInt64 = 1 << 31
    private static let countMask: UInt64 = (1 << 31) - 1

    private let helperCount: Int
    /// Generation (upper 32 bits), closed flag (bit 31), helpers inside the region (bits 0–30).
    private let state = Atomic<UInt64>(0)
    /// Set while a caller owns the pool.
    private let busy = Atomic<Bool>(false)
    /// Per helper: whether it is parked (or about to park), and its semaphore.
    private let helpers: [HelperSignal]
    private let started = Atomic<Bool>(false)
    /// The current region's work and thread count; written only by the pool's owner before it
    /// publishes the region, read only by helpers that joined it.
    private nonisolated(unsafe) var work: ((Int) -> Void)?
    private nonisolated(unsafe) var threads = 0

    private init(helpers: Int) {
        KernelProcessSettings.applyOnce()
        helperCount = max(helpers, 0)
        self.helpers = (0..<helperCount).map { _ in HelperSignal() }
    }

    /// Runs `work(worker)` for every worker in `0..<threads`: worker 0 on the calling thread, the
    /// others on whichever helpers join in time (`work` must hand out the items itself). Returns
    /// `false`, without running anything, when the pool is busy or has too few helpers.
    func run(threads: Int, _ work: (Int) -> Void) -> Bool {
        guard threads - 1 <= helperCount, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        startHelpersOnce()
        withoutActuallyEscaping(work) { work in
            self.work = work
            self.threads = threads
            let generation = (state.load(ordering: .relaxed) >> 32) &+ 1
            state.store(generation << 32, ordering: .sequentiallyConsistent)
            for helper in helpers.prefix(threads - 1) where helper.parked.exchange(false, ordering: .sequentiallyConsistent) {
                helper.wakeUp.signal()
            }
            work(0)
            // Close the region, then wait for the helpers inside it (they are finishing an item).
            // Spin briefly, then yield the core at every check: a helper that another process
            // preempted in the middle of its item may be waiting for exactly this core, and a
            // caller spinning through its whole time slice would keep it from finishing.
            var current = state.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).newValue
            var spins = 0
            while current & Self.countMask != 0 {
                spins += 1
                if spins > Self.spinsBeforeYielding { sched_yield() }
                current = state.load(ordering: .acquiring)
            }
            self.work = nil
        }
        return true
    }

    private func startHelpersOnce() {
        guard helperCount > 0, started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        for helper in 0..<helperCount {
            let thread = Thread { [self] in self.helperLoop(index: helper) }
            thread.name = "RectGrad worker \(helper + 1)"
            thread.start()
        }
    }

    private func helperLoop(index: Int) {
        var seen = state.load(ordering: .acquiring) >> 32
        while true {
            let current = waitForGeneration(after: seen, helper: index)
            seen = current >> 32
            join(current, worker: index + 1)
        }
    }

    /// Polls until the generation differs from `seen`, parking after ``pollingDuration``.
    private func waitForGeneration(after seen: UInt64, helper: Int) -> UInt64 {
        var start: UInt64 = 0
        var polls = 0
        while true {
            let current = state.load(ordering: .acquiring)
            if current >> 32 != seen { return current }
            polls += 1
            if polls & 63 != 0 { continue }
            // Let a thread waiting for this core run (another process's, or a new helper).
            sched_yield()
            let now = DispatchTime.now().uptimeNanoseconds
            if start == 0 { start = now; continue }
            if now - start < Self.pollingDuration { continue }
            // Park: announce it, re-check, then sleep until a caller signals.
            let signal = helpers[helper]
            signal.parked.store(true, ordering: .sequentiallyConsistent)
            if state.load(ordering: .sequentiallyConsistent) >> 32 != seen {
                // A region appeared meanwhile: take back the announcement, or consume the
                // signal the caller is sending because it already saw it.
                if !signal.parked.exchange(false, ordering: .sequentiallyConsistent) { signal.wakeUp.wait() }
            } else {
                signal.wakeUp.wait()
            }
            start = 0
        }
    }

    /// Joins the region of `observed` unless it is closed or already replaced, and works in it.
    private func join(_ observed: UInt64, worker: Int) {
        var expected = observed
        while true {
            guard expected >> 32 == observed >> 32, expected & Self.closedBit == 0 else { return }
            let (exchanged, original) = state.compareExchange(expected: expected, desired: expected + 1, ordering: .acquiringAndReleasing)
            if exchanged { break }
            expected = original
        }
        if worker < threads, let work { work(worker) }
        state.subtract(1, ordering: .releasing)
    }
}

/// The process-wide settings the kernels rely on, applied once by the first kernel call:
///
/// - OpenBLAS runs every call on the calling thread. The kernels split every matrix product
///   across their own workers (``ParallelGEMM``), so OpenBLAS's thread pool is never needed, and
///   its idle threads poll for a while after every threaded call, competing for the cores with
///   the workers (real-time threads keep the workers off a core entirely).
/// - glibc's malloc keeps freed memory for reuse (trim threshold 1 GiB) and serves blocks up to
///   32 MiB from its heap instead of fresh mappings. A network pass allocates hundreds of
///   megabytes of activations and gradients and frees them at the end; by default the next pass
///   gets them back as new pages, and faulting in and zeroing those pages costs as much as a
///   third of a forward pass on a busy machine.
enum KernelProcessSettings {
    private static let configured: Bool = {
        openblas_set_num_threads(1)
        #if canImport(Glibc)
        // `mallopt` is not in the Glibc module; look it up (absent from other C libraries).
        typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
            let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
            _ = mallopt(mmapThreshold, 32 << 20)
            _ = mallopt(trimThreshold, 1 << 30)
        }
        #endif
        return true
    }()

    /// Applies the settings (once; later calls do nothing).
    static func applyOnce() {
        _ = configured
    }
}

/// How a caller wakes a parked helper.
private final class HelperSignal: Sendable {
    let parked = Atomic<Bool>(false)
    let wakeUp = DispatchSemaphore(value: 0)
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
        KernelProcessSettings.applyOnce()
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
