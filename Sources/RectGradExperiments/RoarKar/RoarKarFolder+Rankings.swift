import Foundation
import RectGradData

/// The cache of pixel scores: `rankings/<ranking>-<split>.scores` holds, for every image of the
/// split, the channel-summed attribution (before the tie-breaking noise) as little-endian Float32,
/// after a 24-byte header (`RGSCORE1`, image count, pixel count as little-endian UInt64);
/// `rankings/predicted-<split>.json` holds the explained network's predicted classes.
extension RoarKarFolder {
    static let scoresMagic = Array("RGSCORE1".utf8)

    func scoresURL(ranking: String, split: DatasetSplit) -> URL {
        rankingsURL.appendingPathComponent("\(ranking)-\(split.rawValue).scores")
    }

    func predictionsURL(split: DatasetSplit) -> URL {
        rankingsURL.appendingPathComponent("predicted-\(split.rawValue).json")
    }

    /// The cached scores of a ranking, or `nil` when absent or not `imageCount × pixelCount` values.
    func cachedScores(ranking: String, split: DatasetSplit, imageCount: Int, pixelCount: Int) -> [[Float]]? {
        guard let data = try? Data(contentsOf: scoresURL(ranking: ranking, split: split), options: .mappedIfSafe),
              data.count >= 24, Array(data.prefix(8)) == Self.scoresMagic else { return nil }
        func word(_ offset: Int) -> UInt64 {
            data.withUnsafeBytes { raw in UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        }
        let (values, overflow) = imageCount.multipliedReportingOverflow(by: pixelCount)
        guard !overflow, word(8) == UInt64(imageCount), word(16) == UInt64(pixelCount), data.count - 24 == values * 4 else { return nil }
        var scores: [[Float]] = []
        scores.reserveCapacity(imageCount)
        data.withUnsafeBytes { raw in
            for image in 0..<imageCount {
                var row = [Float](repeating: 0, count: pixelCount)
                for p in 0..<pixelCount {
                    let offset = 24 + (image * pixelCount + p) * 4
                    row[p] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                }
                scores.append(row)
            }
        }
        return scores.allSatisfy({ $0.allSatisfy(\.isFinite) }) ? scores : nil
    }

    /// Stores the scores of a ranking atomically.
    func storeScores(_ scores: [[Float]], ranking: String, split: DatasetSplit) throws(ExperimentError) {
        let pixelCount = scores.first?.count ?? 0
        var bytes = Self.scoresMagic
        bytes.reserveCapacity(24 + scores.count * pixelCount * 4)
        for value in [UInt64(scores.count), UInt64(pixelCount)] {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        for row in scores {
            for value in row {
                let bits = value.bitPattern
                bytes.append(UInt8(truncatingIfNeeded: bits))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
            }
        }
        try writeAtomically(Data(bytes), to: scoresURL(ranking: ranking, split: split))
    }

    /// The cached predicted classes of a split, or `nil` when absent or not `count` classes in `0..<classCount`.
    func cachedPredictions(split: DatasetSplit, count: Int, classCount: Int) -> [Int]? {
        guard let data = try? Data(contentsOf: predictionsURL(split: split)),
              let classes = try? JSONDecoder().decode([Int].self, from: data),
              classes.count == count, classes.allSatisfy({ (0..<classCount).contains($0) }) else { return nil }
        return classes
    }

    /// Stores the predicted classes of a split atomically.
    func storePredictions(_ classes: [Int], split: DatasetSplit) throws(ExperimentError) {
        guard let data = try? JSONEncoder().encode(classes) else {
            throw .invalidOption(name: "out", reason: "cannot encode the predicted classes")
        }
        try writeAtomically(data, to: predictionsURL(split: split))
    }
}
