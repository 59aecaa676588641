/// One share of a set of independent work units (images, experiment cells), for job arrays.
///
/// A unit belongs to shard `index` of `count` when the 64-bit FNV-1a hash of its key's UTF-8
/// bytes, passed through SplitMix64's finaliser (so that every input bit reaches the low bits a
/// power-of-two `count` keeps), modulo `count`, equals `index`. The assignment depends only on the key, so it is stable
/// under reordering of a folder listing and identical on every machine; the shards of one `count`
/// are disjoint and together cover every unit.
public struct ShardSelection: Sendable, Hashable, CustomStringConvertible {
    /// The 0-based shard index, `0 ..< count`.
    public let index: Int
    /// The number of shards.
    public let count: Int

    /// All units: shard 0 of 1.
    public static let whole = ShardSelection(uncheckedIndex: 0, count: 1)

    /// Shard `index` of `count`.
    ///
    /// - Throws: ``ShardSelectionError`` when `count < 1` or `index` is outside `0 ..< count`.
    public init(index: Int, count: Int) throws(ShardSelectionError) {
        guard count >= 1 else { throw .invalidCount(count) }
        guard (0..<count).contains(index) else { throw .indexOutOfRange(index: index, count: count) }
        self.init(uncheckedIndex: index, count: count)
    }

    /// Parses `"i/n"` (0-based `i`, as Slurm's `$SLURM_ARRAY_TASK_ID` and Kubernetes'
    /// `$JOB_COMPLETION_INDEX` count).
    ///
    /// - Throws: ``ShardSelectionError/malformed(_:)`` for text not of that form, and the errors of
    ///   ``init(index:count:)``.
    public init(parsing text: String) throws(ShardSelectionError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let index = Int(parts[0]), let count = Int(parts[1])
        else { throw .malformed(text) }
        try self.init(index: index, count: count)
    }

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Whether the unit named `key` belongs to this shard.
    public func contains(key: String) -> Bool {
        Int(Self.mixed(Self.stableHash(key)) % UInt64(count)) == index
    }

    /// The elements of `units` that belong to this shard, in their original order.
    public func select<Unit>(_ units: [Unit], key: (Unit) -> String) -> [Unit] {
        count == 1 ? units : units.filter { contains(key: key($0)) }
    }

    /// `"i/n"`.
    public var description: String { "\(index)/\(count)" }

    /// SplitMix64's finaliser: FNV-1a alone leaves the low bits depending mostly on the low bits
    /// of each byte (`a.png`, `e.png`, `i.png`, `m.png` would share a shard of 4).
    static func mixed(_ hash: UInt64) -> UInt64 {
        var z = hash
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64-bit FNV-1a of the key's UTF-8 bytes.
    static func stableHash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// Why a shard selection is invalid.
public enum ShardSelectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Text that is not `i/n` with two non-negative integers.
    case malformed(String)
    /// A shard count below 1.
    case invalidCount(Int)
    /// A shard index outside `0 ..< count`.
    case indexOutOfRange(index: Int, count: Int)

    public var description: String {
        switch self {
        case .malformed(let text): return "'\(text)' is not a shard of the form i/n (e.g. 0/4)"
        case .invalidCount(let count): return "the number of shards must be at least 1, got \(count)"
        case .indexOutOfRange(let index, let count): return "shard index \(index) is outside 0…\(count - 1) (indices count from 0)"
        }
    }
}
