import COpenBLAS
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The threads a computation may share its work among: a worker count and, for more than one
/// worker, the helper threads that run alongside the calling thread.
///
/// Pass a value to ``Tape/init(workers:)``; every kernel the tape runs, forward and backward,
/// and every ``ActivationRule`` it calls (through ``ActivationBackwardInput/workers``), splits its
/// work among these workers. The kernels' own entry points (``Convolution2D``, ``Dense``,
/// ``Tensor/matmul(_:transposeSelf:transposeOther:workers:)`` …) take the same value.
///
/// ```swift
/// let workers = Workers(count: 4)          // or .default: one per active core
/// let tape = Tape(workers: workers)
/// ```
///
/// **The count decides the speed, never the result.** Every kernel cuts its work into pieces
/// determined by the problem's shape alone and adds partial results in a fixed order, so the
/// same computation gives the same bytes with 1, 2 or 64 workers (on the same CPU kernels of
/// OpenBLAS). One worker runs everything on the calling thread and starts no thread at all.
///
/// The helper threads (one fewer than the count: the calling thread is a worker too) start on
/// the first parallel region and stop when the value is released. A value runs one region at a
/// time; a region started meanwhile from another thread runs on Dispatch's threads instead, so
/// a value can be shared freely, but tapes used concurrently run fastest with a value each.
public final class Workers: Sendable, CustomStringConvertible {
    /// One worker per active processor core, created on first use and never changed.
    ///
    /// This is the only shared instance the library holds; it is immutable, and its helper
    /// threads only run work handed to them by a caller.
    public static let `default` = Workers(count: ProcessInfo.processInfo.activeProcessorCount)

    /// One worker: everything runs on the calling thread.
    public static let serial = Workers(count: 1)

    /// The number of workers, the calling thread included (at least 1).
    public let count: Int

    /// The helper threads; `nil` for a single worker.
    let pool: WorkerPool?

    /// Creates a set of `count` workers (counts below 1 mean 1). No thread starts before the
    /// first parallel region.
    public init(count: Int) {
        self.count = Swift.max(count, 1)
        pool = self.count > 1 ? WorkerPool(helpers: self.count - 1) : nil
    }

    deinit { pool?.shutDown() }

    public var description: String { count == 1 ? "1 worker" : "\(count) workers" }

    /// Runs `body(worker, item)` for every `item` in `0..<items` on up to ``count`` threads.
    ///
    /// `worker` is in `0..<min(count, items)` and no two concurrent calls share one, so it can
    /// index per-worker scratch memory. Returns when every item is done. Which worker takes
    /// which item depends on timing: a result must not depend on it.
    func forEach(items: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        // The pool runs one region at a time; a region started while it is busy (from another
        // thread, or nested inside a region) runs on Dispatch's threads instead.
        runClaimingItems(items: items, body) { threads, work in
            let sendableWork = UncheckedSendable(work)
            DispatchQueue.concurrentPerform(iterations: threads) { worker in sendableWork.value(worker) }
        }
    }

    /// Runs `body(worker, item)` for every item: on the calling thread alone for one worker or one
    /// item, else on up to ``count`` threads of the pool, each claiming items from a shared
    /// counter; when the pool is busy, hands the same per-thread work and thread count to
    /// `whenBusy` instead.
    private func runClaimingItems(items: Int, _ body: (_ worker: Int, _ item: Int) -> Void,
                                  whenBusy: (_ threads: Int, _ work: @escaping (Int) -> Void) -> Void) {
        guard items > 0 else { return }
        let threads = Swift.min(count, items)
        guard threads > 1, let pool else {
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
            if !pool.run(threads: threads, work) { whenBusy(threads, work) }
        }
    }

    /// As ``forEach(items:_:)``, except that when the helper threads are already running a region
    /// (a call from inside another parallel region, or from another thread meanwhile) the items
    /// run on the calling thread instead of on Dispatch's threads: for work that is worth sharing
    /// only when idle helpers can take it.
    func forEachIfIdle(items: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        // Busy: the calling thread runs every item as worker 0.
        runClaimingItems(items: items, body) { _, work in work(0) }
    }

    /// Runs `body` on contiguous ranges covering `0..<count`: the whole range on the calling
    /// thread when there is too little work to share, else a few ranges per worker (memory-bound
    /// element-wise loops: a worker slowed down by another process takes fewer ranges).
    ///
    /// The ranges depend on the worker count: use this only for work whose every element is
    /// computed on its own (no sum across a range). The ranges are disjoint, so `body` may write
    /// the elements of its range without locking.
    func forRanges(count total: Int, minimumPerRange: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
        guard total > 0 else { return }
        let parts = Swift.min(4 * count, total / Swift.max(minimumPerRange, 1))
        if parts <= 1 || count == 1 {
            body(0..<total)
            return
        }
        forEach(items: parts) { _, part in body(Parallel.range(part, of: parts, count: total)) }
    }

    /// For `examples` independent examples: the workers to run the examples on and the workers
    /// each example may split its own work across — examples in parallel when there are at
    /// least two per worker, else one example at a time, split across all workers.
    func split(examples: Int) -> (outer: Workers, inner: Workers) {
        examples >= 2 * count ? (self, .serial) : (.serial, self)
    }
}

/// How the kernels cut their work, independently of the number of workers.
enum Parallel {
    /// The number of workers the kernels plan their pieces for, whatever ``Workers/count`` is.
    ///
    /// Any piece of work whose cut changes a floating-point result (which terms a sum adds, and
    /// in which order; which slices a matrix product is called on) is cut by the problem's shape
    /// and this constant alone, so that every worker count computes the same bytes. Eight gives
    /// the pieces to balance up to eight cores; further workers find fewer pieces to take.
    static let plannedWorkers = 8

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

/// The shared item counter of one ``Workers/forEach(items:_:)`` call.
private final class WorkCounter: Sendable {
    private let storage = Atomic<Int>(0)
    func next() -> Int { storage.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// The helper threads of a ``Workers`` value with more than one worker (one fewer than the
/// workers: the calling thread is worker 0).
///
/// A region is published as one atomic word holding a generation number, a "closed" flag and the
/// number of helpers inside it. A helper that sees a new generation joins by incrementing the
/// count unless the region is closed, runs work items, and leaves; the caller, once no items are
/// left, closes the region and waits only for the helpers that joined. A helper that has not
/// joined never touches the region's closure, so a helper slow to wake up costs nothing.
/// After a region a helper polls for ``pollingDuration`` before it parks on its semaphore.
/// ``shutDown()`` (called when the owning ``Workers`` value is released) ends the helpers.
final class WorkerPool: @unchecked Sendable {
    /// How long an idle helper keeps polling for the next region before it parks.
    static let pollingDuration: UInt64 = 4_000_000  // nanoseconds

    /// How many times a caller re-checks for unfinished helpers before it starts yielding its
    /// core between checks (a few microseconds: an unhindered helper finishes well within it).
    static let spinsBeforeYielding = 2_000

    /// How many times a caller yields its core between checks before it sleeps until the last
    /// helper of the region wakes it (a helper that another process preempted can take a whole
    /// time slice to finish its item; the caller must not keep competing for the core meanwhile).
    static let yieldsBeforeSleeping = 64

    private static let closedBit: UInt64 = 1 << 31
    private static let countMask: UInt64 = (1 << 31) - 1

    private let helperCount: Int
    /// Generation (upper 32 bits), closed flag (bit 31), helpers inside the region (bits 0–30).
    private let state = Atomic<UInt64>(0)
    /// Set while a caller owns the pool.
    private let busy = Atomic<Bool>(false)
    /// Set by a caller about to sleep until the region's last helper leaves; the helper that takes
    /// it back signals ``callerWakeUp``.
    private let callerSleeping = Atomic<Bool>(false)
    private let callerWakeUp = DispatchSemaphore(value: 0)
    /// Per helper: whether it is parked (or about to park), and its semaphore.
    private let helpers: [HelperSignal]
    private let started = Atomic<Bool>(false)
    /// Set once the owner is gone: helpers leave their loop.
    private let stopping = Atomic<Bool>(false)
    /// The current region's work and thread count; written only by the pool's owner before it
    /// publishes the region, read only by helpers that joined it.
    private nonisolated(unsafe) var work: ((Int) -> Void)?
    private nonisolated(unsafe) var threads = 0

    init(helpers: Int) {
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
            // Spin briefly, then yield the core at every check, then sleep: a helper that another
            // process preempted in the middle of its item may be waiting for exactly this core,
            // and a caller spinning or yielding through whole time slices would keep it from
            // finishing. No wait is unbounded: the last helper to leave wakes a sleeping caller.
            var current = state.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).newValue
            var checks = 0
            while current & Self.countMask != 0 {
                checks += 1
                if checks > Self.spinsBeforeYielding + Self.yieldsBeforeSleeping {
                    sleepUntilHelpersLeave()
                    break
                }
                if checks > Self.spinsBeforeYielding { sched_yield() }
                current = state.load(ordering: .acquiring)
            }
            self.work = nil
        }
        return true
    }

    /// Sleeps until no helper is inside the closed region: announces the sleep, re-checks, and
    /// waits for the signal of the helper that leaves last (or takes the announcement back).
    private func sleepUntilHelpersLeave() {
        callerSleeping.store(true, ordering: .sequentiallyConsistent)
        if state.load(ordering: .sequentiallyConsistent) & Self.countMask == 0 {
            // Every helper left meanwhile: take back the announcement, or consume the signal of
            // the helper that already took it.
            if !callerSleeping.exchange(false, ordering: .sequentiallyConsistent) { callerWakeUp.wait() }
            return
        }
        callerWakeUp.wait()
    }

    private func startHelpersOnce() {
        guard helperCount > 0, started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        for helper in 0..<helperCount {
            let thread = Thread { [self] in self.helperLoop(index: helper) }
            thread.name = "RectGrad worker \(helper + 1)"
            thread.start()
        }
    }

    /// Ends the helper threads (each leaves once it sees the flag; a parked one is woken).
    /// Only called when no region can start any more.
    func shutDown() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        for helper in helpers where helper.parked.exchange(false, ordering: .sequentiallyConsistent) {
            helper.wakeUp.signal()
        }
    }

    private func helperLoop(index: Int) {
        var seen = state.load(ordering: .acquiring) >> 32
        while let current = waitForGeneration(after: seen, helper: index) {
            seen = current >> 32
            join(current, worker: index + 1)
        }
    }

    /// Polls until the generation differs from `seen`, parking after ``pollingDuration``;
    /// `nil` once the pool is shutting down.
    private func waitForGeneration(after seen: UInt64, helper: Int) -> UInt64? {
        var start: UInt64 = 0
        var polls = 0
        while true {
            if stopping.load(ordering: .relaxed) { return nil }
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
            if state.load(ordering: .sequentiallyConsistent) >> 32 != seen || stopping.load(ordering: .sequentiallyConsistent) {
                // A region (or the shutdown) appeared meanwhile: take back the announcement, or consume the
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
        let left = state.subtract(1, ordering: .sequentiallyConsistent).newValue
        // The last helper out of a closed region wakes a caller that went to sleep waiting for it.
        if left & Self.countMask == 0, left & Self.closedBit != 0, callerSleeping.exchange(false, ordering: .sequentiallyConsistent) {
            callerWakeUp.signal()
        }
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
///
/// Inside ``TensorBufferPool/withCurrent(_:_:)`` (every kernel a ``Tape`` runs) the memory is a
/// block of that pool, given back when the buffer is released, so the scratch of one pass is the
/// memory of the pass before: at batch 8 and more the columns of a convolution and the tiles of a
/// Winograd product are several MiB, each of which would otherwise be mapped afresh (and every
/// page faulted in) on every call.
struct ScratchBuffer: ~Copyable {
    let base: UnsafeMutablePointer<Float>
    let sliceCount: Int
    /// The pool's block holding the memory, if it came from a pool.
    private let block: ScratchBlock?
    private let pool: TensorBufferPool?

    init(workers: Int, sliceCount: Int) {
        self.sliceCount = max(sliceCount, 1)
        let count = max(workers, 1) * self.sliceCount
        if let pool = TensorBufferPool.current, count >= TensorBufferPool.minimumElements {
            let block = pool.takeScratch(bytes: count * MemoryLayout<Float>.stride)
            base = block.base.bindMemory(to: Float.self, capacity: count)
            self.block = block
            self.pool = pool
        } else {
            base = .allocate(capacity: count)
            block = nil
            pool = nil
        }
    }

    /// The scratch slice of `worker`.
    func slice(_ worker: Int) -> UnsafeMutablePointer<Float> { base + worker * sliceCount }

    deinit {
        if let block {
            pool?.giveBack(block)
        } else {
            base.deallocate()
        }
    }
}
