import Synchronization

/// Tensor storage kept for reuse: the large buffers a tape no longer needs, handed to the next
/// kernel that asks for a buffer of their size (or of up to half their size, when none of the
/// size asked for is free).
///
/// A pass over a network allocates the same sizes in the same order every time. Without reuse
/// each large buffer comes from a fresh mapping of the C library's allocator and every page of it
/// is faulted in (and zeroed by the kernel) on first touch, pass after pass — at batch 8 and more
/// most of a network's tensors are that large. With a pool:
///
/// - **across the operations of a pass**, the backward pass gives back each output gradient once
///   the gradients of its inputs are computed, and the next gradient that fits reuses it — a
///   smaller one too, so that a batch's first pass maps fewer fresh pages;
/// - **across passes**, a ``Tape`` gives back its recorded values when it is released, and the
///   next tape built with the same pool reuses them.
///
/// ```swift
/// let buffers = TensorBufferPool()
/// for batch in batches {
///     let tape = Tape(workers: workers, buffers: buffers)   // or AttributionSession(…, buffers:)
///     …
/// }
/// ```
///
/// A tape made without a pool gets one of its own (reuse within its passes only). A pool may be
/// shared by tapes on different threads. Reuse never changes a result: a buffer is only handed to
/// a kernel that overwrites every element, and a buffer still referenced elsewhere (a tensor the
/// caller kept) is copied on write as any shared `Array` is, so the caller's tensor never changes.
/// The library never changes its host's allocator settings; the pool is its own.
public final class TensorBufferPool: Sendable {
    /// Buffers below this many elements (16 KiB) are left to the allocator. (Larger ones are not:
    /// when a tape releases its values, glibc gives the top of its heap back to the system, and
    /// the next pass faults those pages in again — 1,850 pages per EfficientNet-Lite0 pass at
    /// batch 1 while the limit was 256 KiB.)
    public static let minimumElements = 1 << 12

    /// The most elements the pool keeps; the oldest buffers are released beyond it.
    public let capacity: Int

    /// The most a free buffer may exceed a request it serves (twice the elements asked for).
    /// A pass asks for a few dozen sizes; while none of the size asked for is free, a larger free
    /// buffer is used rather than fresh pages, the smallest that fits.
    static let largestFitRatio = 2

    private struct Entry {
        var buffer: [Float]
        /// The ``State/generation`` in which the buffer was given back.
        var generation: Int
    }

    private struct State {
        /// Free buffers by capacity (the elements their storage holds).
        var free: [Int: [Entry]] = [:]
        /// The elements of storage the free buffers hold (their capacities).
        var elements = 0
        /// Passes ended so far (``passEnded()``).
        var generation = 0
        var reused = 0
        var missed = 0
        /// Free scratch blocks by byte count (a size class of ``ScratchBlock/roundedSize(_:)``).
        var scratch: [Int: [(ScratchBlock, generation: Int)]] = [:]
        var scratchBytes = 0
        var scratchReused = 0
        var scratchMissed = 0
        /// Free index buffers (max pooling's winners) by element count.
        var indices: [Int: [([Int32], generation: Int)]] = [:]
        var indexBytes = 0

        /// The bytes of everything the pool holds free.
        var retainedBytes: Int { elements * MemoryLayout<Float>.stride + scratchBytes + indexBytes }

        /// The last free tensor or index buffer of size `size` in `lists`, removed, counted as
        /// reused (or, when there is none, as missed).
        mutating func popCounted<Item>(_ lists: WritableKeyPath<State, [Int: [Item]]>, size: Int) -> Item? {
            guard let item = Self.pop(&self[keyPath: lists], size: size) else {
                missed += 1
                return nil
            }
            reused += 1
            return item
        }

        /// The last free item of size `size` in `lists`, removed.
        static func pop<Item>(_ lists: inout [Int: [Item]], size: Int) -> Item? {
            guard var list = lists[size], let item = list.popLast() else { return nil }
            lists[size] = list.isEmpty ? nil : list
            return item
        }

        /// Releases the free buffers given back before `generation`, oldest first, until at most
        /// `limit` elements are kept (`limit` nil: all of them).
        mutating func evict(before generation: Int, downTo limit: Int?) -> [Entry] {
            var evicted: [Entry] = []
            for count in Array(free.keys) {
                guard var list = free[count] else { continue }
                list.removeAll { entry in
                    let drop = entry.generation < generation && (limit.map { elements > $0 } ?? true)
                    if drop { evicted.append(entry); elements -= count }
                    return drop
                }
                free[count] = list.isEmpty ? nil : list
            }
            return evicted
        }
    }

    private let state = Mutex(State())

    /// Creates an empty pool that keeps at most `capacityBytes` of free buffers (default 8 GiB,
    /// a whole pass of the zoo's largest networks at batch 32). Buffers that the pass after the
    /// one that gave them back did not reuse are released, so the pool follows the shapes in use.
    public init(capacityBytes: Int = 8 << 30) {
        capacity = Swift.max(capacityBytes, 0) / MemoryLayout<Float>.stride
    }

    /// A free buffer of `count` elements (arbitrary contents), or `nil`: the free buffer with the
    /// smallest storage that holds `count` elements and at most ``largestFitRatio`` times as
    /// many, its count set to `count` (its storage keeps its capacity, which the pool accounts for
    /// when it comes back; a buffer lengthened within its capacity has the new elements written
    /// once, with zeros, before the kernel overwrites them).
    func take(count: Int) -> [Float]? {
        guard count >= Self.minimumElements else { return nil }
        let taken: [Float]? = state.withLock { state in
            guard let (size, index) = Self.bestFit(in: state.free, for: count), var list = state.free[size] else {
                state.missed += 1
                return nil
            }
            let entry = list.remove(at: index)
            state.free[size] = list.isEmpty ? nil : list
            state.reused += 1
            state.elements -= size
            return entry.buffer
        }
        guard var buffer = taken else { return nil }
        // Changing the count of an array whose storage is its own, within its capacity, keeps
        // that storage (no copy).
        if buffer.count > count {
            buffer.removeLast(buffer.count - count)
        } else if buffer.count < count {
            buffer.append(contentsOf: repeatElement(0, count: count - buffer.count))
        }
        return buffer
    }

    /// The free buffer to hand out for `count` elements, as its capacity and its place in that
    /// capacity's list: among the buffers whose storage holds `count` elements and at most
    /// ``largestFitRatio`` times as many, one exactly `count` long, else one longer (shortened:
    /// nothing to write), else one that must be lengthened; then the smallest storage, then the
    /// latest given back. Passes that repeat the same requests then hand each request the buffer
    /// it had in the pass before, as far as possible without writing.
    private static func bestFit(in free: [Int: [Entry]], for count: Int) -> (size: Int, index: Int)? {
        let (limit, overflow) = count.multipliedReportingOverflow(by: largestFitRatio)
        /// 0: exactly `count` long; 1: longer; 2: shorter.
        func rank(_ entry: Entry) -> Int { entry.buffer.count == count ? 0 : entry.buffer.count > count ? 1 : 2 }
        var best: (rank: Int, size: Int, index: Int)?
        for (size, list) in free where size >= count && (overflow || size <= limit) {
            for index in list.indices.reversed() {
                let candidate = (rank: rank(list[index]), size: size, index: index)
                if let current = best, (current.rank, current.size) <= (candidate.rank, candidate.size) { continue }
                best = candidate
            }
        }
        return best.map { ($0.size, $0.index) }
    }

    /// Takes the storage of `tensor`, a tensor its owner no longer uses, and keeps it for a later
    /// ``take(count:)`` that it fits. Leaves `tensor` without elements. Storage still referenced
    /// elsewhere (a tensor that shares it, a value the caller kept) is left alone, as are small
    /// buffers.
    func recycle(_ tensor: inout Tensor) {
        let count = tensor.scalars.count
        let storage = tensor.scalars.capacity
        guard count >= Self.minimumElements, storage <= capacity else { return }
        var kept: [Float] = []
        swap(&kept, &tensor.scalars)
        guard Self.isUniquelyReferenced(&kept) else { return }
        let entry = Entry(buffer: kept, generation: 0)
        kept = []
        // Buffers evicted to make room are released after the lock.
        let evicted = state.withLock { state in
            var entry = entry
            entry.generation = state.generation
            let evicted = state.elements + storage > capacity
                ? state.evict(before: state.generation + 1, downTo: capacity - storage) : []
            state.free[storage, default: []].append(entry)
            state.elements += storage
            return evicted
        }
        _ = evicted
    }

    /// Ends a pass (a tape calls this when it is released, after giving back its values):
    /// releases the buffers given back before the pass that just ended and not reused by it.
    func passEnded() {
        let evicted = state.withLock { state in
            state.generation += 1
            let cutoff = state.generation - 1
            let evictedBlocks = Self.dropEntries(&state.scratch, before: cutoff)
            state.scratchBytes -= evictedBlocks.reduce(0) { $0 + $1.size }
            let evictedIndices = Self.dropEntries(&state.indices, before: cutoff)
            state.indexBytes -= evictedIndices.reduce(0) { $0 + $1.size } * MemoryLayout<Int32>.stride
            return (state.evict(before: cutoff, downTo: nil), evictedBlocks, evictedIndices)
        }
        _ = evicted
    }

    /// Removes from `lists` (free items by size) the items given back before `generation` and
    /// returns them with their sizes, to be released after the lock.
    private static func dropEntries<Item>(_ lists: inout [Int: [(Item, generation: Int)]], before generation: Int) -> [(size: Int, item: Item)] {
        var evicted: [(size: Int, item: Item)] = []
        for size in Array(lists.keys) {
            guard var list = lists[size] else { continue }
            list.removeAll { entry in
                let drop = entry.generation < generation
                if drop { evicted.append((size, entry.0)) }
                return drop
            }
            lists[size] = list.isEmpty ? nil : list
        }
        return evicted
    }

    /// Whether `array` holds the only reference to its storage (so that no other tensor can see
    /// a later write to it). An `Array` is one reference to its storage object on platforms
    /// without Objective-C interoperability; elsewhere this answers `false` and nothing is
    /// recycled (the pool then only counts requests).
    static func isUniquelyReferenced<Element>(_ array: inout [Element]) -> Bool {
        #if _runtime(_ObjC)
        return false
        #else
        guard MemoryLayout<[Element]>.size == MemoryLayout<AnyObject>.size else { return false }
        return withUnsafeMutablePointer(to: &array) { pointer in
            pointer.withMemoryRebound(to: AnyObject.self, capacity: 1) { storage in
                isKnownUniquelyReferenced(&storage.pointee)
            }
        }
        #endif
    }

    /// A scratch block of at least `bytes` bytes (arbitrary contents): a free block of the same
    /// size class (``ScratchBlock/roundedSize(_:)``) when the pool has one, else a new one. Give it back with
    /// ``giveBack(_:)`` once it is no longer used.
    ///
    /// Kernels take their working memory here (the columns and tiles of convolutions, the records
    /// of RectGrad's percentile selection), so that a pass after the first reuses the pages of
    /// the one before instead of mapping fresh ones.
    func takeScratch(bytes: Int) -> ScratchBlock {
        let size = ScratchBlock.roundedSize(bytes)
        let reused: ScratchBlock? = state.withLock { state in
            guard let entry = State.pop(&state.scratch, size: size) else {
                state.scratchMissed += 1
                return nil
            }
            state.scratchBytes -= size
            state.scratchReused += 1
            return entry.0
        }
        return reused ?? ScratchBlock(bytes: size)
    }

    /// Keeps `block` for a later ``takeScratch(bytes:)`` of its size (released at the end of the
    /// pass after next if no one takes it, as tensor buffers are).
    /// A block that would take the pool past its capacity is released instead.
    func giveBack(_ block: ScratchBlock) {
        let limit = capacity * MemoryLayout<Float>.stride
        // A refused block is released by the caller's last reference, after the lock.
        state.withLock { state in
            guard state.retainedBytes + block.bytes <= limit else { return }
            state.scratch[block.bytes, default: []].append((block, state.generation))
            state.scratchBytes += block.bytes
        }
    }

    /// A free index buffer of exactly `count` elements (arbitrary contents), or `nil`: max
    /// pooling's winner indices, which its backward reads and a released tape gives back
    /// (``recycleIndices(_:)``).
    func takeIndices(count: Int) -> [Int32]? {
        guard count >= Self.minimumElements else { return nil }
        return state.withLock { state in
            guard let entry = state.popCounted(\.indices, size: count) else { return nil }
            state.indexBytes -= count * MemoryLayout<Int32>.stride
            return entry.0
        }
    }

    /// Takes `indices`, an index buffer its owner no longer uses, for a later
    /// ``takeIndices(count:)`` of its size; leaves it empty. Buffers still referenced elsewhere,
    /// small ones, and ones that would take the pool past its capacity are left to the allocator.
    func recycleIndices(_ indices: inout [Int32]) {
        let count = indices.count
        guard count >= Self.minimumElements else { return }
        var kept: [Int32] = []
        swap(&kept, &indices)
        guard Self.isUniquelyReferenced(&kept) else { return }
        let bytes = count * MemoryLayout<Int32>.stride
        let limit = capacity * MemoryLayout<Float>.stride
        // A refused buffer is released with `entry`, after the lock.
        let entry = kept
        kept = []
        state.withLock { state in
            guard state.retainedBytes + bytes <= limit else { return }
            state.indices[count, default: []].append((entry, state.generation))
            state.indexBytes += bytes
        }
    }

    /// The bytes of free buffers, scratch blocks and index buffers the pool holds.
    public var retainedBytes: Int { state.withLock { $0.retainedBytes } }

    /// How many requests for a large buffer (tensor storage, max pooling's indices) were served
    /// from the pool, and how many were not.
    public var statistics: (reused: Int, allocated: Int) { state.withLock { ($0.reused, $0.missed) } }

    /// How many requests for kernel scratch memory (the columns and tiles of convolutions, the
    /// records of RectGrad's percentile selection) were served from the pool, and how many were not.
    public var scratchStatistics: (reused: Int, allocated: Int) { state.withLock { ($0.scratchReused, $0.scratchMissed) } }

    /// Releases every free buffer.
    public func removeAll() {
        let released = state.withLock { state in
            let free = state.free
            state.free = [:]
            state.elements = 0
            let scratch = state.scratch
            state.scratch = [:]
            state.scratchBytes = 0
            let indices = state.indices
            state.indices = [:]
            state.indexBytes = 0
            return (free, scratch, indices)
        }
        _ = released
    }

    /// What a running kernel takes from the tape that runs it (``withCurrent(_:workers:_:)``).
    struct KernelContext: Sendable {
        let pool: TensorBufferPool?
        let workers: Workers?
    }

    /// The context of the kernel running on this task: one task-local value, bound once per kernel.
    @TaskLocal static var kernelContext: KernelContext?

    /// The pool the kernels called inside ``withCurrent(_:workers:_:)`` take their output buffers from.
    static var current: TensorBufferPool? { kernelContext?.pool }

    /// The workers of the tape whose kernel is running: they map the pages of a large new buffer
    /// together when they are idle.
    static var currentWorkers: Workers? { kernelContext?.workers }

    /// Runs `body` with `pool` as the pool kernels take their output buffers from, and `workers`
    /// (when given) as the threads that map a large new buffer's pages.
    static func withCurrent<Value, Failure: Error>(_ pool: TensorBufferPool?, workers: Workers? = nil, _ body: () throws(Failure) -> Value) throws(Failure) -> Value {
        var outcome: Result<Value, Failure>?
        $kernelContext.withValue(KernelContext(pool: pool, workers: workers)) {
            outcome = Result { () throws(Failure) -> Value in try body() }
        }
        // `withValue` runs its operation exactly once.
        return try outcome.unsafelyUnwrapped.get()
    }
}

extension Tensor {
    /// Storage of `count` elements, every one of which `fill` writes: a buffer of the current
    /// pool (``TensorBufferPool/withCurrent(_:workers:_:)``) when one fits, else a new
    /// allocation — whose pages, from ``prefaultedElements`` up and when they are fresh from the
    /// system, are mapped in one call before `fill` writes them (``LargeFloatStorage``): the first
    /// pass of a process, or of a larger batch, maps its whole working memory afresh.
    @inline(__always)
    static func uninitializedStorage(count: Int, _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        if count >= TensorBufferPool.minimumElements, let pool = TensorBufferPool.current, var buffer = pool.take(count: count) {
            buffer.withUnsafeMutableBufferPointer { fill($0) }
            return buffer
        }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count >= prefaultedElements {
                LargeFloatStorage.prefaultIfFresh(UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<count])),
                                                  workers: TensorBufferPool.currentWorkers)
            }
            fill(buffer)
            initialized = count
        }
    }

    /// The size (elements; 1 MiB) from which new storage that is fresh from the system has its
    /// pages mapped in one call.
    static let prefaultedElements = 1 << 18
}

/// Working memory of a kernel, owned by one user at a time (see
/// ``TensorBufferPool/takeScratch(bytes:)``); released when the last reference goes.
final class ScratchBlock: @unchecked Sendable {
    /// The block's size in bytes: a size class of ``roundedSize(_:)``.
    let bytes: Int
    /// The block's first byte, 64-byte aligned.
    let base: UnsafeMutableRawPointer

    init(bytes: Int) {
        self.bytes = bytes
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    deinit { base.deallocate() }

    /// The size class of a request: at least 4 KiB, rounded up to an eighth of the power of two
    /// below it (at most 12.5 % more than asked), so that requests of nearly the same size share
    /// a class.
    static func roundedSize(_ bytes: Int) -> Int {
        let page = 1 << 12
        guard bytes > page else { return page }
        let octave = 1 << (Int.bitWidth - 1 - (bytes - 1).leadingZeroBitCount)
        let step = Swift.max(page, octave / 8)
        return (bytes + step - 1) / step * step
    }
}
