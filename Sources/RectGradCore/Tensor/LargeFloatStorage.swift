#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Storage for large, long-lived Float32 arrays such as a model's weights, allocated so that
/// filling it costs less system time.
///
/// Fresh memory is mapped by the kernel one 4 KiB page at a time when it is first written, one
/// page fault each: reading VGG-16's 553 MB of weights into new arrays takes about 135,000 page
/// faults, 0.3–0.4 s of system time on the benchmark machine, which a warm pass never pays. On
/// Linux, ``makeArray(count:initializingWith:)`` first asks the kernel to map all the whole pages
/// of the array's own storage at once (`madvise(MADV_POPULATE_WRITE)`, Linux 5.14 and later), so
/// the pages are zero-filled in one system call instead of in one fault each; the benchmark
/// machine spends about a quarter less system time on it ("Cold start" in Docs/benchmarks.md).
///
/// This is advice on memory the library owns and is about to fill completely, not process
/// tuning: no allocator setting, environment variable or other memory of the process is
/// touched, the values are the same bytes either way, and a refused advice (an older kernel) is
/// silently ignored — the pages are then mapped by ordinary faults as the initializer writes
/// them. On other systems the array is allocated plainly.
///
/// Huge pages (`MADV_HUGEPAGE`) were measured as well and are not used: on the benchmark machine
/// (a virtual machine whose free 2 MiB blocks go back to the host) they cut the faults to a few
/// hundred but tripled the system time (`Benchmarks/fresh_pages.py`).
public enum LargeFloatStorage {
    /// An array of `count` elements that `initializer` must fill completely (it receives exactly
    /// `count` uninitialized elements); on Linux, the storage's pages are mapped first, as above.
    ///
    /// ```swift
    /// let weights = LargeFloatStorage.makeArray(count: n) { buffer in
    ///     // read or compute every element of `buffer`
    /// }
    /// ```
    public static func makeArray(count: Int, initializingWith initializer: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        let count = max(count, 0)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let storage = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            _ = prefault(UnsafeMutableRawBufferPointer(storage))
            initializer(storage)
            initialized = count
        }
    }

    /// The fewest elements (4 MiB) a worker of
    /// ``makeArray(count:workers:initializingParts:)`` fills; smaller arrays are filled whole on
    /// the calling thread.
    public static let minimumElementsPerPart = 1 << 20

    /// An array of `count` elements filled in parts that `workers` share: `initializer(range, part)`
    /// must fill the array's elements `range`, handed over as `part` (exactly `range.count`
    /// uninitialized elements). On Linux the thread that fills a part first maps that part's
    /// pages in one call, as in ``makeArray(count:initializingWith:)``, so the system time of
    /// mapping a large array (VGG-16's 411 MB fully-connected weight, 100,000 pages) is shared
    /// among the cores instead of paid on one.
    ///
    /// The initializer runs on several threads at once, one part each: it must be safe to call
    /// concurrently for disjoint ranges. How many parts there are depends on the worker count and
    /// on `count` (parts of at least ``minimumElementsPerPart`` elements; one part, on the calling
    /// thread, for one worker or a smaller array); an initializer that writes each element from
    /// its index alone gives the same array for any split.
    public static func makeArray(count: Int, workers: Workers, initializingParts initializer: (_ range: Range<Int>, _ part: UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        let count = max(count, 0)
        let parts = partCount(bytes: count * MemoryLayout<Float>.size, workers: workers)
        guard parts > 1 else { return makeArray(count: count) { initializer(0..<count, $0) } }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                workers.forEach(items: parts) { _, part in
                    let range = Parallel.range(part, of: parts, count: count)
                    let slice = UnsafeMutableBufferPointer(start: base + range.lowerBound, count: range.count)
                    _ = prefault(UnsafeMutableRawBufferPointer(slice))
                    initializer(range, slice)
                }
            }
            initialized = count
        }
    }

    /// How many parts `workers` share `bytes` of memory in: one per worker, each at least
    /// ``minimumElementsPerPart`` floats' worth (1 for one worker or less memory).
    private static func partCount(bytes: Int, workers: Workers) -> Int {
        min(workers.count, bytes / (minimumElementsPerPart * MemoryLayout<Float>.size))
    }

    /// The pages of `pageBytes` (a power of two) lying entirely inside `memory`, as (start
    /// address, byte count), or `nil` when no whole page fits.
    package static func alignedInterior(of memory: UnsafeMutableRawBufferPointer, pageBytes: Int) -> (start: UInt, byteCount: Int)? {
        guard let base = memory.baseAddress, pageBytes > 0, pageBytes & (pageBytes - 1) == 0 else { return nil }
        let address = UInt(bitPattern: base)
        let page = UInt(pageBytes)
        let (rounded, overflow) = address.addingReportingOverflow(page - 1)
        guard !overflow else { return nil }
        let start = rounded & ~(page - 1)
        let end = (address + UInt(memory.count)) & ~(page - 1)
        guard end > start else { return nil }
        return (start, Int(end - start))
    }

    /// ``prefault(_:)`` for memory fresh from the system: only when the last whole page of `memory`
    /// is not mapped yet (`mincore`). Heap memory reused after a free has its pages already, and
    /// the call would only walk them again (about three times the cost of writing them on the
    /// benchmark machine); one `mincore` of a page is all such memory pays.
    ///
    /// With `workers` of more than one thread that are idle (not inside a parallel region), memory
    /// of at least two ``minimumElementsPerPart``-sized parts is mapped in one part per worker, so
    /// that the kernel's page zeroing is shared among the cores as the kernel's work will be.
    @discardableResult
    package static func prefaultIfFresh(_ memory: UnsafeMutableRawBufferPointer, workers: Workers? = nil) -> Bool {
        #if os(Linux)
        guard let (start, byteCount, pageBytes) = pageInterior(of: memory) else { return false }
        var resident: UInt8 = 0
        guard mincore(start + (byteCount - pageBytes), pageBytes, &resident) == 0, resident & 1 == 0 else { return false }
        let pages = byteCount / pageBytes
        guard let workers, case let parts = partCount(bytes: byteCount, workers: workers), parts > 1 else { return populate(start, byteCount) }
        let mapped = Atomic<Int>(0)
        workers.forEachIfIdle(items: parts) { _, part in
            let range = Parallel.range(part, of: parts, count: pages)
            if populate(start + range.lowerBound * pageBytes, range.count * pageBytes) { mapped.add(1, ordering: .relaxed) }
        }
        return mapped.load(ordering: .relaxed) == parts
        #else
        return false
        #endif
    }

    /// Maps the whole pages inside `memory` for writing in one call (Linux: `MADV_POPULATE_WRITE`);
    /// whether the kernel did. Only for memory the caller owns and is about to overwrite: pages
    /// already mapped keep their contents, new ones are zero.
    @discardableResult
    package static func prefault(_ memory: UnsafeMutableRawBufferPointer) -> Bool {
        #if os(Linux)
        guard let (start, byteCount, _) = pageInterior(of: memory) else { return false }
        return populate(start, byteCount)
        #else
        return false
        #endif
    }

    #if os(Linux)
    /// The whole pages inside `memory` (start, byte count) and the page size.
    private static func pageInterior(of memory: UnsafeMutableRawBufferPointer) -> (UnsafeMutableRawPointer, Int, Int)? {
        let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let interior = alignedInterior(of: memory, pageBytes: pageBytes),
              let start = UnsafeMutableRawPointer(bitPattern: interior.start) else { return nil }
        return (start, interior.byteCount, pageBytes)
    }

    /// Maps `byteCount` bytes of whole pages from `start` for writing in one call.
    private static func populate(_ start: UnsafeMutableRawPointer, _ byteCount: Int) -> Bool {
        // MADV_POPULATE_WRITE is 23 in Linux's uapi headers (5.14+); older kernels answer EINVAL,
        // and the pages are then mapped by ordinary faults: correct, only slower.
        madvise(start, byteCount, 23) == 0
    }
    #endif
}
