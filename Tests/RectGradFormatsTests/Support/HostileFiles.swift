import Foundation

/// Builders for checkpoints written byte by byte, so that tests can make hostile files that no
/// PyTorch would write: deep nesting, absurd zip offsets, views with zero strides.
enum Pickle {
    static let proto: [UInt8] = [0x80, 0x02]
    static let stop: UInt8 = 0x2E
    static let mark: UInt8 = 0x28
    static let emptyTuple: UInt8 = 0x29
    static let emptyList: UInt8 = 0x5D
    static let emptyDict: UInt8 = 0x7D
    static let append: UInt8 = 0x61
    static let setItem: UInt8 = 0x73
    static let setItems: UInt8 = 0x75
    static let tuple: UInt8 = 0x74
    static let tuple1: UInt8 = 0x85
    static let dup: UInt8 = 0x32
    static let reduce: UInt8 = 0x52
    static let binPersID: UInt8 = 0x51
    static let newFalse: UInt8 = 0x89

    /// SHORT_BINUNICODE (strings under 256 bytes).
    static func string(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        precondition(utf8.count < 256)
        return [0x8C, UInt8(utf8.count)] + utf8
    }

    /// The shortest integer opcode for `value` (BININT1, BININT or LONG1).
    static func integer(_ value: Int) -> [UInt8] {
        if (0..<256).contains(value) { return [0x4B, UInt8(value)] }
        if Int(Int32.min)...Int(Int32.max) ~= value { return [0x4A] + littleEndian(UInt64(bitPattern: Int64(value)), bytes: 4) }
        return [0x8A, 8] + littleEndian(UInt64(bitPattern: Int64(value)), bytes: 8)
    }

    /// GLOBAL `module.name`.
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }

    /// A tuple of already-encoded items.
    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [mark] + items.flatMap { $0 } + [tuple] }

    /// `OrderedDict()`.
    static let orderedDict: [UInt8] = global("collections", "OrderedDict") + [emptyTuple, reduce]

    /// A tensor: `_rebuild_tensor_v2(storage, offset, shape, strides, False, OrderedDict())`
    /// over the float storage `key` of `elementCount` elements (zip persistent id, or the legacy
    /// one with its trailing `None` view field).
    static func tensor(key: String, elementCount: Int, offset: Int, shape: [Int], strides: [Int], legacy: Bool = false) -> [UInt8] {
        var id = [string("storage"), global("torch", "FloatStorage"), string(key), string("cpu"), integer(elementCount)]
        if legacy { id.append([0x4E]) }
        let storage = tuple(id) + [binPersID]
        return global("torch._utils", "_rebuild_tensor_v2")
            + tuple([storage, integer(offset), tuple(shape.map(integer)), tuple(strides.map(integer)), [newFalse], orderedDict])
            + [reduce]
    }

    /// A state dict pickle `{name: tensor, …}` from encoded tensors.
    static func stateDict(_ tensors: [(name: String, tensor: [UInt8])]) -> [UInt8] {
        proto + orderedDict + [mark] + tensors.flatMap { string($0.name) + $0.tensor } + [setItems, stop]
    }
}

/// Little-endian bytes of `value`.
func littleEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
    (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
}

/// The CRC-32 of zip archives, written independently of the reader's.
func zipCRC(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A stored (uncompressed) zip archive of `entries`, laid out as `torch.save` does.
func storedZip(_ entries: [(name: String, data: [UInt8])]) -> [UInt8] {
    var archive: [UInt8] = []
    var directory: [UInt8] = []
    for entry in entries {
        let name = Array(entry.name.utf8)
        let crc = littleEndian(UInt64(zipCRC(entry.data)), bytes: 4)
        let size = littleEndian(UInt64(entry.data.count), bytes: 4)
        let localOffset = littleEndian(UInt64(archive.count), bytes: 4)
        archive += [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0] + crc + size + size
            + littleEndian(UInt64(name.count), bytes: 2) + [0, 0] + name + entry.data
        directory += [0x50, 0x4B, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0] + crc + size + size
            + littleEndian(UInt64(name.count), bytes: 2) + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + localOffset + name
    }
    let directoryOffset = archive.count
    archive += directory
    archive += [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0] + littleEndian(UInt64(entries.count), bytes: 2) + littleEndian(UInt64(entries.count), bytes: 2)
        + littleEndian(UInt64(directory.count), bytes: 4) + littleEndian(UInt64(directoryOffset), bytes: 4) + [0, 0]
    return archive
}

/// A zip checkpoint (`archive/data.pkl`, `archive/data/<key>`).
func zipCheckpoint(pickle: [UInt8], storages: [(key: String, data: [UInt8])] = []) -> [UInt8] {
    storedZip([("archive/data.pkl", pickle)] + storages.map { ("archive/data/\($0.key)", $0.data) })
}

/// A legacy checkpoint: magic number, protocol 1001, system info, the state pickle, the storage
/// keys, then each storage as its element count and bytes.
func legacyCheckpoint(pickle: [UInt8], storages: [(key: String, elementCount: UInt64, data: [UInt8])] = []) -> [UInt8] {
    let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    let version: [UInt8] = [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]
    let info: [UInt8] = [0x80, 0x02, 0x7D, 0x2E]
    let keys = Pickle.proto + [Pickle.emptyList, Pickle.mark] + storages.flatMap { Pickle.string($0.key) } + [0x65, Pickle.stop]
    return magic + version + info + pickle + keys + storages.flatMap { littleEndian($0.elementCount, bytes: 8) + $0.data }
}

/// Float32 values as little-endian bytes.
func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { littleEndian(UInt64($0.bitPattern), bytes: 4) }
}
