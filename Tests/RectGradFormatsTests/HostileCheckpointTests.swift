import Foundation
import Testing
import RectGradCore
import RectGradFormats

/// The reason decoding `bytes` as a `.pth` fails with, or `nil`.
private func reason(_ bytes: [UInt8]) -> CheckpointError.Reason? {
    do { _ = try PyTorchCheckpoint.decode(Data(bytes), source: "hostile.pth"); return nil } catch { return error.reason }
}

/// The depth limit of the restricted unpickler (documented on ``CheckpointError/Reason/nestingTooDeep(limit:)``).
private let depthLimit = 64

/// 50,000 levels of nesting, three ways: tuples wrapping tuples (TUPLE1), lists built outside-in
/// and closed by APPEND, dicts built outside-in and closed by SETITEM — the way Python's pickler
/// writes nested containers.
private let deepPickles: [(kind: String, pickle: [UInt8])] = {
    let depth = 50_000
    let tuples = Pickle.proto + [Pickle.emptyTuple] + [UInt8](repeating: Pickle.tuple1, count: depth) + [Pickle.stop]
    let lists = Pickle.proto + [UInt8](repeating: Pickle.emptyList, count: depth + 1) + [UInt8](repeating: Pickle.append, count: depth) + [Pickle.stop]
    let dicts = Pickle.proto + Array(repeating: [Pickle.emptyDict] + Pickle.string("k"), count: depth).flatMap { $0 } + [Pickle.emptyDict]
        + [UInt8](repeating: Pickle.setItem, count: depth) + [Pickle.stop]
    return [("tuples", tuples), ("lists", lists), ("dicts", dicts)]
}()

@Test(arguments: [false, true])
func refusesDeeplyNestedPicklesWithoutOverflowingTheStack(legacy: Bool) {
    for (kind, pickle) in deepPickles {
        let file = legacy ? legacyCheckpoint(pickle: pickle) : zipCheckpoint(pickle: pickle)
        #expect(file.count < 300_000, "\(kind): a small file")
        #expect(reason(file) == .nestingTooDeep(limit: depthLimit), "\(kind), legacy: \(legacy)")
    }
}

@Test func acceptsNestingUpToTheLimit() {
    // Exactly at the limit the pickle loads (and is then refused for not being a state dict).
    let atLimit = Pickle.proto + [Pickle.emptyTuple] + [UInt8](repeating: Pickle.tuple1, count: depthLimit - 1) + [Pickle.stop]
    #expect(reason(zipCheckpoint(pickle: atLimit)) == .notAStateDict("the pickled object is a tuple, not a dict"))
    let past = Pickle.proto + [Pickle.emptyTuple] + [UInt8](repeating: Pickle.tuple1, count: depthLimit) + [Pickle.stop]
    #expect(reason(zipCheckpoint(pickle: past)) == .nestingTooDeep(limit: depthLimit))
}

@Test func refusesContainersChangedAfterBeingNested() {
    // A list appended to itself (DUP, APPEND), and two lists put in each other through the memo:
    // a self-referencing structure would leak and defeat the depth bound.
    let selfAppend = Pickle.proto + [Pickle.emptyList, Pickle.dup, Pickle.append, Pickle.stop]
    let binput: (UInt8) -> [UInt8] = { [0x71, $0] }, binget: (UInt8) -> [UInt8] = { [0x68, $0] }
    let mutual = Pickle.proto + [Pickle.emptyList] + binput(0) + [Pickle.emptyList] + binput(1) + [0x30, 0x30]
        + binget(1) + binget(0) + [Pickle.append, 0x30] + binget(0) + binget(1) + [Pickle.append, Pickle.stop]
    for pickle in [selfAppend, mutual] {
        guard case .malformedPickle(let message)? = reason(zipCheckpoint(pickle: pickle)) else {
            Issue.record("a self-referencing list must be refused")
            continue
        }
        #expect(message.contains("changes after being placed in another container"))
    }
}

@Test func refusesZip64SizesAndOffsetsNearTwoToTheSixtyFour() {
    // A valid archive whose end record is replaced by a ZIP64 one: locator, end record, then the
    // classic end record with 0xFFFF / 0xFFFFFFFF fields pointing at them.
    let base = zipCheckpoint(pickle: Pickle.stateDict([]))
    func zip64(recordOffset: UInt64, directoryOffset: UInt64, directorySize: UInt64, count: UInt64 = 1) -> [UInt8] {
        let body = Array(base.dropLast(22))
        let record: [UInt8] = [0x50, 0x4B, 0x06, 0x06] + littleEndian(44, bytes: 8) + [45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            + littleEndian(count, bytes: 8) + littleEndian(count, bytes: 8) + littleEndian(directorySize, bytes: 8) + littleEndian(directoryOffset, bytes: 8)
        let locator: [UInt8] = [0x50, 0x4B, 0x06, 0x07, 0, 0, 0, 0] + littleEndian(recordOffset, bytes: 8) + [1, 0, 0, 0]
        let end: [UInt8] = [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0xFF, count: 8) + [0, 0]
        return body + record + locator + end
    }
    let recordAt = UInt64(base.count - 22)
    for offset in [UInt64.max, UInt64.max - 55, UInt64(Int.max), UInt64(Int.max) - 30] {
        #expect(reason(zip64(recordOffset: offset, directoryOffset: 0, directorySize: 0)) == .invalidArchive("missing ZIP64 end record"))
    }
    #expect(reason(zip64(recordOffset: recordAt, directoryOffset: .max, directorySize: 1))
        == .invalidArchive("the ZIP64 end record declares a size or offset beyond 2^63"))
    #expect(reason(zip64(recordOffset: recordAt, directoryOffset: UInt64(Int.max), directorySize: UInt64(Int.max)))
        == .invalidArchive("the central directory lies outside the file"))
    #expect(reason(zip64(recordOffset: recordAt, directoryOffset: 16, directorySize: UInt64(Int.max) - 8))
        == .invalidArchive("the central directory lies outside the file"))
}

@Test func refusesZip64EntryFieldsNearTwoToTheSixtyFour() throws {
    // One central-directory entry whose local offset (then size) is 0xFFFFFFFF with a ZIP64
    // extra field holding the real value.
    let pickle = Pickle.stateDict([])
    let name = Array("archive/data.pkl".utf8)
    func archive(uncompressed: UInt64?, localOffset: UInt64?) -> [UInt8] {
        let crc = littleEndian(UInt64(zipCRC(pickle)), bytes: 4)
        let size = littleEndian(UInt64(pickle.count), bytes: 4)
        let local: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0] + crc + size + size + littleEndian(UInt64(name.count), bytes: 2) + [0, 0] + name + pickle
        var extra: [UInt8] = []
        if let uncompressed { extra += littleEndian(uncompressed, bytes: 8) + littleEndian(uncompressed, bytes: 8) }
        if let localOffset { extra += littleEndian(localOffset, bytes: 8) }
        let field = [0x01, 0x00] + littleEndian(UInt64(extra.count), bytes: 2) + extra
        let sizes = uncompressed == nil ? size + size : [UInt8](repeating: 0xFF, count: 8)
        let offset = localOffset == nil ? [0, 0, 0, 0] : [UInt8](repeating: 0xFF, count: 4)
        let central: [UInt8] = [0x50, 0x4B, 0x01, 0x02, 45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0] + crc + sizes
            + littleEndian(UInt64(name.count), bytes: 2) + littleEndian(UInt64(field.count), bytes: 2) + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + offset + name + field
        let end: [UInt8] = [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0] + littleEndian(UInt64(central.count), bytes: 4) + littleEndian(UInt64(local.count), bytes: 4) + [0, 0]
        return local + central + end
    }
    // The well-formed ZIP64 form loads.
    #expect(reason(archive(uncompressed: nil, localOffset: 0)) == nil)
    #expect(reason(archive(uncompressed: UInt64(pickle.count), localOffset: 0)) == nil)
    for offset in [UInt64(Int.max), UInt64(Int.max) - 29, UInt64(Int.max) - 100] {
        #expect(reason(archive(uncompressed: nil, localOffset: offset)) == .invalidArchive("entry 'archive/data.pkl' has no local header"))
    }
    #expect(reason(archive(uncompressed: nil, localOffset: .max))
        == .invalidArchive("entry 'archive/data.pkl' has a ZIP64 size or offset beyond 2^63"))
    for size in [UInt64(Int.max), UInt64(Int.max) - 40] {
        #expect(reason(archive(uncompressed: size, localOffset: 0)) == .invalidArchive("entry 'archive/data.pkl' reaches past the end of the file"))
    }
}

@Test func refusesArchivesWhoseEntriesShareTheirData() {
    // 2,000 directory entries naming the same 64 KB of data: refused before 2,000 checksums of it.
    let data = [UInt8](repeating: 7, count: 1 << 16)
    var archive = storedZip([("archive/data.pkl", Pickle.stateDict([])), ("archive/data/0", data)])
    let endStart = archive.count - 22
    let directoryOffset = Int(archive[endStart + 16]) | Int(archive[endStart + 17]) << 8 | Int(archive[endStart + 18]) << 16 | Int(archive[endStart + 19]) << 24
    let directory = Array(archive[directoryOffset..<endStart])
    let second = Array(directory[(46 + "archive/data.pkl".utf8.count)...])
    var copies: [UInt8] = directory
    for i in 0..<2_000 {
        // Same data, distinct names: "archive/data/0" with its last byte varied.
        var entry = second
        entry[entry.count - 1] = UInt8(truncatingIfNeeded: i)
        entry[entry.count - 2] = UInt8(truncatingIfNeeded: i >> 8) | 0x40
        copies += entry
    }
    let count = 2 + 2_000
    archive = Array(archive[..<directoryOffset]) + copies + [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0] + littleEndian(UInt64(count), bytes: 2) + littleEndian(UInt64(count), bytes: 2)
        + littleEndian(UInt64(copies.count), bytes: 4) + littleEndian(UInt64(directoryOffset), bytes: 4) + [0, 0]
    #expect(reason(archive) == .invalidArchive("the entries claim more bytes than the file holds (entries share data)"))
}

@Test(arguments: [false, true])
func refusesZeroStrideViewsThatExpandATinyFile(legacy: Bool) {
    // One stored float viewed as 200,000 × 200,000 through zero strides: 160 GB from ~500 bytes.
    let tensor = Pickle.tensor(key: "0", elementCount: 1, offset: 0, shape: [200_000, 200_000], strides: [0, 0], legacy: legacy)
    let pickle = Pickle.stateDict([("weight", tensor)])
    let file = legacy
        ? legacyCheckpoint(pickle: pickle, storages: [("0", 1, floatBytes([1.5]))])
        : zipCheckpoint(pickle: pickle, storages: [("0", floatBytes([1.5]))])
    #expect(file.count < 1_000)
    let limit = file.count * PyTorchCheckpoint.elementsPerByte + PyTorchCheckpoint.broadcastAllowance
    #expect(reason(file) == .tooManyElements(tensor: "weight", elementCount: 40_000_000_000, limit: limit))
}

@Test func loadsSmallBroadcastViews() throws {
    // A (4, 3) view with stride (0, 1) of three stored floats: the same row four times.
    let tensor = Pickle.tensor(key: "0", elementCount: 3, offset: 0, shape: [4, 3], strides: [0, 1])
    let file = zipCheckpoint(pickle: Pickle.stateDict([("rows", tensor)]), storages: [("0", floatBytes([1, 2, 3]))])
    let loaded = try PyTorchCheckpoint.decode(Data(file))
    #expect(loaded["rows"] == (try Tensor(shape: [4, 3], scalars: [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3])))
}

@Test func refusesManyFullViewsOfOneStorage() {
    // 3,000 tensors each viewing all 4,096 floats of one storage: 12 M elements from ~250 KB.
    let count = 4_096
    let tensors = (0..<3_000).map { ("t\($0)", Pickle.tensor(key: "0", elementCount: count, offset: 0, shape: [count], strides: [1])) }
    let file = zipCheckpoint(pickle: Pickle.stateDict(tensors), storages: [("0", floatBytes([Float](repeating: 0.5, count: count)))])
    guard case .tooManyElements(let tensor, let elements, let limit)? = reason(file) else {
        Issue.record("many views of one storage must hit the element limit")
        return
    }
    #expect(elements == count && limit == file.count * PyTorchCheckpoint.elementsPerByte + PyTorchCheckpoint.broadcastAllowance)
    #expect(tensor.hasPrefix("t") && tensor != "t0")
}

@Test func refusesStorageSizesAndOffsetsThatOverflow() {
    let storage = [("0", floatBytes([1, 2]))]
    func file(_ tensor: [UInt8]) -> [UInt8] { zipCheckpoint(pickle: Pickle.stateDict([("w", tensor)]), storages: storage) }
    // A storage claiming 2^62 elements (its byte count overflows).
    #expect(reason(file(Pickle.tensor(key: "0", elementCount: 1 << 62, offset: 0, shape: [1], strides: [1]))) == .missingStorage("0"))
    // Offset + (extent − 1) · stride overflows.
    #expect(reason(file(Pickle.tensor(key: "0", elementCount: 2, offset: Int.max, shape: [2], strides: [1]))) == .tensorOutOfBounds(tensor: "w"))
    #expect(reason(file(Pickle.tensor(key: "0", elementCount: 2, offset: 1, shape: [2], strides: [Int.max]))) == .tensorOutOfBounds(tensor: "w"))
    // Negative offsets, strides and extents; extents whose product overflows even beside a zero.
    #expect(reason(file(Pickle.tensor(key: "0", elementCount: 2, offset: -1, shape: [1], strides: [1]))) == .tensorOutOfBounds(tensor: "w"))
    #expect(reason(file(Pickle.tensor(key: "0", elementCount: 2, offset: 0, shape: [2], strides: [-1]))) == .tensorOutOfBounds(tensor: "w"))
    #expect(reason(file(Pickle.tensor(key: "0", elementCount: 2, offset: 0, shape: [-2], strides: [1]))) == .tensorOutOfBounds(tensor: "w"))
    #expect(reason(file(Pickle.tensor(key: "0", elementCount: 2, offset: 0, shape: [0, 1 << 40, 1 << 40], strides: [1, 1, 1]))) == .tensorOutOfBounds(tensor: "w"))
    // A legacy storage whose 8-byte element count is near 2^64.
    let legacy = legacyCheckpoint(
        pickle: Pickle.stateDict([("w", Pickle.tensor(key: "0", elementCount: 2, offset: 0, shape: [2], strides: [1], legacy: true))]),
        storages: [("0", .max, floatBytes([1, 2]))])
    #expect(reason(legacy) == .missingStorage("0"))
}

@Test func refusesNegativeAndOversizedPickleLengths() {
    // BINUNICODE claiming 4 GB, LONG4 claiming 4 GB of digits, BINBYTES past the end.
    for opcode: [UInt8] in [[0x58, 0xFF, 0xFF, 0xFF, 0xFF], [0x8B, 0xFF, 0xFF, 0xFF, 0xFF], [0x42, 0x00, 0x00, 0x00, 0x80]] {
        guard case .malformedPickle(let message)? = reason(zipCheckpoint(pickle: Pickle.proto + opcode + [Pickle.stop])) else {
            Issue.record("a length past the end must be refused")
            continue
        }
        #expect(message.contains("unexpected end of the pickle"))
    }
    // BINUNICODE8 claiming 2^64 − 1 bytes.
    let huge = Pickle.proto + [0x8D] + [UInt8](repeating: 0xFF, count: 8) + [Pickle.stop]
    guard case .malformedPickle? = reason(zipCheckpoint(pickle: huge)) else {
        Issue.record("BINUNICODE8 of 2^64 − 1 bytes must be refused")
        return
    }
}
