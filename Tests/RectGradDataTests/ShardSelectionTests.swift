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

    @Test func hashIsTheDocumentedFNV1a() throws {
        // FNV-1a 64 reference values (offset basis for "", and the published value for "a").
        #expect(ShardSelection.whole.contains(key: "anything"))
        #expect(try ShardSelection(index: Int(UInt64(0xaf63_dc4c_8601_ec8c) % 3), count: 3).contains(key: "a"))
        #expect(try ShardSelection(index: Int(UInt64(0xcbf2_9ce4_8422_2325) % 7), count: 7).contains(key: ""))
    }
}
