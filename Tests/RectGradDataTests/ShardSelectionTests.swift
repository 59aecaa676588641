import RectGradData
import Testing

@Suite struct ShardSelectionTests {
    @Test func parsesAndRejects() throws {
        let shard = try ShardSelection(parsing: "2/5")
        #expect(shard.index == 2 && shard.count == 5 && shard.description == "2/5")
        #expect(throws: ShardSelectionError.indexOutOfRange(index: 5, count: 5)) { try ShardSelection(parsing: "5/5") }
        #expect(throws: ShardSelectionError.invalidCount(0)) { try ShardSelection(parsing: "0/0") }
        for text in ["", "1", "1/", "/4", "-1/4", "1/4/2", "a/4", "1 /4", "١/٤", "99999999999999999999/2"] {
            #expect(throws: ShardSelectionError.malformed(text)) { try ShardSelection(parsing: text) }
        }
    }

    @Test func sharesAreDisjointCoverAndIgnoreOrder() throws {
        let keys = (0..<1_000).map { "images/class-\($0 % 7)/photo-\($0).png" }
        for count in [1, 2, 3, 4, 16] {
            let shards = try (0..<count).map { try ShardSelection(index: $0, count: count) }
            let owners = keys.map { key in shards.filter { $0.contains(key: key) }.count }
            #expect(owners.allSatisfy { $0 == 1 }, "every key in exactly one of \(count) shards")
            for shard in shards {
                let forward = shard.select(keys) { $0 }
                let backward = shard.select(keys.reversed()) { $0 }
                #expect(Set(forward) == Set(backward))
                if count == 4 { #expect(forward.count > 150 && forward.count < 350, "a roughly even share: \(forward.count)") }
            }
        }
    }

    @Test func shardsFollowTheDocumentedHash() throws {
        // Expected shards computed independently in Python: SplitMix64-finalised FNV-1a 64 of the
        // UTF-8 key, modulo the count (e.g. "a" → 0x02c0bdbf481420f8).
        let expected: [(key: String, ofFour: Int, ofSeven: Int)] = [
            ("a", 0, 3), ("", 3, 5), ("images/n01440764/ILSVRC2012_val_00000293.JPEG", 3, 6),
            ("a.png", 2, 0), ("e.png", 2, 6), ("i.png", 0, 3), ("m.png", 2, 1),
        ]
        for item in expected {
            #expect(try ShardSelection(index: item.ofFour, count: 4).contains(key: item.key), "\(item.key)")
            #expect(try ShardSelection(index: item.ofSeven, count: 7).contains(key: item.key), "\(item.key)")
        }
        #expect(ShardSelection.whole.contains(key: "anything"))
    }

    @Test func singleLetterNamesSpreadOverFourShards() throws {
        // Plain FNV-1a modulo 4 put a.png, e.png, i.png, m.png (and every 4th letter) together.
        let keys = "abcdefghijklmnopqrstuvwxyz".map { "\($0).png" }
        let shards = try (0..<4).map { try ShardSelection(index: $0, count: 4) }
        let sizes = shards.map { shard in keys.filter { shard.contains(key: $0) }.count }
        #expect(sizes.allSatisfy { $0 >= 3 }, "shard sizes \(sizes)")
    }
}
