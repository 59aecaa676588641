/// A reader for the zip archives `torch.save` writes: every entry is stored (uncompressed), so no
/// decompressor is needed. Compressed entries, encrypted entries, entries reaching past the end of
/// the file and CRC mismatches are refused.
struct StoredZipArchive {
    /// The entries by name, as byte ranges of the archive.
    private(set) var entries: [String: Range<Int>] = [:]
    private let bytes: [UInt8]

    init(bytes: [UInt8]) throws(CheckpointError.Reason) {
        self.bytes = bytes
        let end = try Self.endOfCentralDirectory(bytes)
        var (count, offset, size) = (Int(read16(end + 10)), Int(read32(end + 16)), Int(read32(end + 12)))
        if count == 0xFFFF || offset == 0xFFFF_FFFF || size == 0xFFFF_FFFF {
            (count, offset, size) = try zip64Directory(endRecord: end)
        }
        guard let directoryEnd = Checked.add(offset, size), directoryEnd <= bytes.count else {
            throw .invalidArchive("the central directory lies outside the file")
        }
        // Every entry has its own bytes, so together they cannot exceed the file: checked before
        // any CRC is computed, so that many directory entries naming the same data cannot make
        // the checksums take time quadratic in the file size.
        var claimedBytes = 0
        var cursor = offset
        for _ in 0..<count {
            guard bytes.count - cursor >= 46, read32(cursor) == 0x0201_4B50 else { throw .invalidArchive("corrupt central directory entry at byte \(cursor)") }
            let flags = read16(cursor + 8), method = read16(cursor + 10)
            let crc = read32(cursor + 16)
            var compressed = Int(read32(cursor + 20)), uncompressed = Int(read32(cursor + 24))
            let nameLength = Int(read16(cursor + 28)), extraLength = Int(read16(cursor + 30)), commentLength = Int(read16(cursor + 32))
            var localOffset = Int(read32(cursor + 42))
            // The lengths are 16-bit, so these sums stay far from overflow.
            let entryLength = 46 + nameLength + extraLength + commentLength
            guard entryLength <= bytes.count - cursor else { throw .invalidArchive("truncated central directory") }
            let name = String(decoding: bytes[(cursor + 46)..<(cursor + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extended information: the 0xFFFFFFFF fields follow in order.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extraEnd - extra >= 4 {
                let tag = read16(extra), length = Int(read16(extra + 2))
                let fieldEnd = min(extra + 4 + length, extraEnd)
                if tag == 0x0001 {
                    var field = extra + 4
                    func next() throws(CheckpointError.Reason) -> Int {
                        guard fieldEnd - field >= 8 else { throw .invalidArchive("entry '\(name)' has a truncated ZIP64 field") }
                        defer { field += 8 }
                        guard let value = Checked.int(read64(field)) else { throw .invalidArchive("entry '\(name)' has a ZIP64 size or offset beyond 2^63") }
                        return value
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra += 4 + length
            }
            guard flags & 1 == 0 else { throw .invalidArchive("entry '\(name)' is encrypted") }
            guard method == 0 else { throw .invalidArchive("entry '\(name)' is compressed (method \(method)); torch.save stores entries uncompressed") }
            guard compressed == uncompressed else { throw .invalidArchive("entry '\(name)' has inconsistent sizes") }
            guard localOffset <= bytes.count - 30, read32(localOffset) == 0x0403_4B50 else {
                throw .invalidArchive("entry '\(name)' has no local header")
            }
            let dataStart = localOffset + 30 + Int(read16(localOffset + 26)) + Int(read16(localOffset + 28))
            guard dataStart <= bytes.count, uncompressed <= bytes.count - dataStart else { throw .invalidArchive("entry '\(name)' reaches past the end of the file") }
            guard let claimed = Checked.add(claimedBytes, uncompressed), claimed <= bytes.count else {
                throw .invalidArchive("the entries claim more bytes than the file holds (entries share data)")
            }
            claimedBytes = claimed
            guard entries[name] == nil else { throw .invalidArchive("duplicate entry '\(name)'") }
            let range = dataStart..<(dataStart + uncompressed)
            guard CRC32.checksum(bytes[range]) == crc else { throw .invalidArchive("entry '\(name)' fails its CRC-32 check") }
            entries[name] = range
            cursor += entryLength
        }
    }

    /// The bytes of an entry.
    func data(_ name: String) -> ArraySlice<UInt8>? { entries[name].map { bytes[$0] } }

    /// Whether `bytes` start like a zip archive.
    static func looksLikeZip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04
    }

    private static func endOfCentralDirectory(_ bytes: [UInt8]) throws(CheckpointError.Reason) -> Int {
        guard bytes.count >= 22 else { throw .invalidArchive("too short for a zip archive") }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        var position = bytes.count - 22
        while position >= lowest {
            if bytes[position] == 0x50, bytes[position + 1] == 0x4B, bytes[position + 2] == 0x05, bytes[position + 3] == 0x06 { return position }
            position -= 1
        }
        throw .invalidArchive("no end-of-central-directory record")
    }

    /// The entry count, offset and size of the central directory from the ZIP64 end record.
    private func zip64Directory(endRecord: Int) throws(CheckpointError.Reason) -> (Int, Int, Int) {
        let locator = endRecord - 20
        guard locator >= 0, read32(locator) == 0x0706_4B50 else { throw .invalidArchive("missing ZIP64 locator") }
        guard let record = Checked.int(read64(locator + 8)), record <= bytes.count - 56, read32(record) == 0x0606_4B50 else {
            throw .invalidArchive("missing ZIP64 end record")
        }
        guard let count = Checked.int(read64(record + 32)), let offset = Checked.int(read64(record + 48)), let size = Checked.int(read64(record + 40)) else {
            throw .invalidArchive("the ZIP64 end record declares a size or offset beyond 2^63")
        }
        return (count, offset, size)
    }

    private func read16(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
    private func read32(_ offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) } }
    private func read64(_ offset: Int) -> UInt64 {
        guard offset >= 0, bytes.count - offset >= 8 else { return .max }
        return (0..<8).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}

/// The CRC-32 of zip archives (polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
