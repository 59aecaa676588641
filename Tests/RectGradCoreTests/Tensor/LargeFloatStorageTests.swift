import Foundation
import Testing
import RectGradCore
#if canImport(Glibc)
import Glibc
#endif

/// `LargeFloatStorage`: the prefaulted range is the page-aligned interior of the array's own
/// memory (never outside it), the array holds exactly what the initializer wrote, and on Linux
/// the pages are mapped before the initializer writes anything.
@Suite struct LargeFloatStorageTests {
    /// A buffer description at `address` of `count` bytes (never dereferenced).
    private func region(_ address: UInt, _ count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: address), count: count)
    }

    @Test func interiorIsTheAlignedPagesInsideTheMemory() throws {
        let page = 4096
        // 16 bytes before a page boundary, two pages + 32 bytes long: the two whole pages after it.
        let unaligned = try #require(LargeFloatStorage.alignedInterior(of: region(0x10_0000 - 16, 2 * page + 32), pageBytes: page))
        #expect(unaligned.start == 0x10_0000 && unaligned.byteCount == 2 * page)
        // Exactly one aligned page.
        let exact = try #require(LargeFloatStorage.alignedInterior(of: region(0x20_0000, page), pageBytes: page))
        #expect(exact.start == 0x20_0000 && exact.byteCount == page)
        // One byte past a boundary: a whole page needs 2 pages − 1 bytes, one byte fewer has none.
        #expect(LargeFloatStorage.alignedInterior(of: region(0x20_0001, 2 * page - 1), pageBytes: page)?.byteCount == page)
        #expect(LargeFloatStorage.alignedInterior(of: region(0x20_0001, 2 * page - 2), pageBytes: page) == nil)
        // Small or empty memory, or a page size that is not a power of two: nothing.
        #expect(LargeFloatStorage.alignedInterior(of: region(0x20_0000, 100), pageBytes: page) == nil)
        #expect(LargeFloatStorage.alignedInterior(of: UnsafeMutableRawBufferPointer(start: nil, count: 0), pageBytes: page) == nil)
        #expect(LargeFloatStorage.alignedInterior(of: region(0x20_0000, 3 * page), pageBytes: 3000) == nil)
    }

    @Test func arrayHoldsWhatTheInitializerWrote() {
        for count in [0, 1, 1000, 3 << 20] {
            let array = LargeFloatStorage.makeArray(count: count) { buffer in
                #expect(buffer.count == count)
                for i in buffer.indices { buffer[i] = Float(i % 9973) - 0.5 }
            }
            #expect(array.count == count)
            #expect(array.indices.allSatisfy { array[$0] == Float($0 % 9973) - 0.5 })
        }
    }

    #if os(Linux)
    @Test func pagesAreMappedBeforeTheFirstWrite() throws {
        // Only on kernels that populate on request (5.14+): probe with a scratch mapping.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 4096)
        defer { scratch.deallocate() }
        guard LargeFloatStorage.prefault(scratch) else { return }
        // 40 MB: above glibc's largest mmap threshold (32 MiB), so the storage is a fresh mapping
        // whose pages are not resident until something maps them.
        let count = 10_000_000
        let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))
        var residentBeforeWriting = 0, pages = 0
        let array = LargeFloatStorage.makeArray(count: count) { buffer in
            let memory = UnsafeMutableRawBufferPointer(buffer)
            if let interior = LargeFloatStorage.alignedInterior(of: memory, pageBytes: pageBytes),
               let start = UnsafeMutableRawPointer(bitPattern: interior.start) {
                pages = interior.byteCount / pageBytes
                var vector = [UInt8](repeating: 0, count: pages)
                if mincore(start, interior.byteCount, &vector) == 0 { residentBeforeWriting = vector.filter { $0 & 1 != 0 }.count }
            }
            buffer.initialize(repeating: 2)
        }
        #expect(pages > 9000)
        #expect(residentBeforeWriting == pages, "\(residentBeforeWriting) of \(pages) pages mapped before the first write")
        #expect(array.count == count && array.first == 2 && array.last == 2)
    }

    /// `prefaultIfFresh` maps a fresh mapping's pages, and leaves memory whose pages are already
    /// there alone (contents kept, no second walk).
    @Test func onlyFreshMemoryIsPrefaulted() throws {
        let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))
        let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: pageBytes)
        defer { probe.deallocate() }
        guard LargeFloatStorage.prefault(probe) else { return }
        let bytes = 64 * pageBytes
        let mapping = try #require(mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, bytes) }
        func residentPages() -> Int {
            var vector = [UInt8](repeating: 0, count: bytes / pageBytes)
            guard mincore(mapping, bytes, &vector) == 0 else { return -1 }
            return vector.filter { $0 & 1 != 0 }.count
        }
        let memory = UnsafeMutableRawBufferPointer(start: mapping, count: bytes)
        #expect(residentPages() == 0)
        #expect(LargeFloatStorage.prefaultIfFresh(memory))
        #expect(residentPages() == 64)
        memory.storeBytes(of: 0x5A5A_5A5A as UInt32, toByteOffset: bytes - 4, as: UInt32.self)
        #expect(!LargeFloatStorage.prefaultIfFresh(memory), "pages already mapped are not walked again")
        #expect(memory.load(fromByteOffset: bytes - 4, as: UInt32.self) == 0x5A5A_5A5A)
    }

    /// Fresh memory of several parts is mapped by idle workers together: every page, the first
    /// and last included, and nothing outside it.
    @Test func freshMemoryIsPrefaultedInPartsByIdleWorkers() throws {
        let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))
        let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: pageBytes)
        defer { probe.deallocate() }
        guard LargeFloatStorage.prefault(probe) else { return }
        // Three parts' worth (12 MiB and three pages), inside a mapping with a guard page each side.
        let inner = 3 * LargeFloatStorage.minimumElementsPerPart * MemoryLayout<Float>.size + 3 * pageBytes
        let bytes = inner + 2 * pageBytes
        let mapping = try #require(mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, bytes) }
        func resident() -> [Bool] {
            var vector = [UInt8](repeating: 0, count: bytes / pageBytes)
            guard mincore(mapping, bytes, &vector) == 0 else { return [] }
            return vector.map { $0 & 1 != 0 }
        }
        #expect(resident().allSatisfy { !$0 })
        let memory = UnsafeMutableRawBufferPointer(start: mapping + pageBytes, count: inner)
        #expect(LargeFloatStorage.prefaultIfFresh(memory, workers: Workers(count: 3)))
        #expect(resident() == [false] + [Bool](repeating: true, count: inner / pageBytes) + [false])
        #expect(!LargeFloatStorage.prefaultIfFresh(memory, workers: Workers(count: 3)), "pages already mapped are not walked again")
    }
    #endif
}
