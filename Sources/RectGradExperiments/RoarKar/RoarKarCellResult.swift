import Foundation

/// What one finished cell of the paper protocol measured; stored as `cells/<key>.json`.
public struct RoarKarCellResult: Codable, Sendable, Hashable {
    /// The cell's key (``RoarKarCell/key``).
    public var key: String
    /// The ranking's name, or `unmodified`.
    public var ranking: String
    /// `roar`, `kar`, or `none` for the unmodified reference.
    public var mode: String
    /// The percentage p (0 for the unmodified reference).
    public var percentage: Double
    /// The repeat, 1-based.
    public var repeatIndex: Int
    /// Test accuracy of the retrained network on the equally modified held-out images.
    public var accuracy: Double
    /// Training-set accuracy of every epoch (measured during the epoch, as the trainer reports it).
    public var epochTrainingAccuracies: [Double]
    /// Wall-clock seconds of the retraining and its evaluation (ranking excluded).
    public var seconds: Double
    /// The protocol's ``PaperRoarKarConfiguration/fingerprint``.
    public var fingerprint: String

    /// Creates a result.
    public init(cell: RoarKarCell, accuracy: Double, epochTrainingAccuracies: [Double], seconds: Double, fingerprint: String) {
        key = cell.key
        ranking = cell.rankingName
        switch cell.kind {
        case .unmodified:
            mode = "none"
            percentage = 0
        case .modified(_, let retrainingMode, let p):
            mode = retrainingMode.rawValue
            percentage = p
        }
        repeatIndex = cell.repeatIndex
        self.accuracy = accuracy
        self.epochTrainingAccuracies = epochTrainingAccuracies
        self.seconds = seconds
        self.fingerprint = fingerprint
    }
}

/// The output folder of a paper-protocol ROAR / KAR run: one JSON file per finished cell
/// (`cells/<key>.json`, each written atomically — to a temporary file, then renamed — so a cell
/// is either complete or absent), the protocol's settings (`protocol.json`), and the cached
/// pixel scores and predictions (`rankings/`), which every cell of a ranking shares.
public struct RoarKarFolder: Sendable {
    /// The folder.
    public let url: URL

    /// A folder at `path` (created when something is written).
    public init(path: String) {
        url = URL(fileURLWithPath: path, isDirectory: true)
    }

    var cellsURL: URL { url.appendingPathComponent("cells", isDirectory: true) }
    var rankingsURL: URL { url.appendingPathComponent("rankings", isDirectory: true) }
    var protocolURL: URL { url.appendingPathComponent("protocol.txt") }

    /// The file of a cell's result.
    public func resultURL(of cell: RoarKarCell) -> URL {
        cellsURL.appendingPathComponent(cell.key + ".json")
    }

    /// The finished cells: every `cells/*.json` that decodes to a result whose key matches its file
    /// name and whose fingerprint is `fingerprint` (when given). Other files (temporary files, a
    /// truncated or foreign JSON) are listed in `unreadable` and do not count as finished.
    public func finishedResults(fingerprint: String? = nil) -> (results: [String: RoarKarCellResult], unreadable: [String]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cellsURL.path)) ?? []
        var results: [String: RoarKarCellResult] = [:], unreadable: [String] = []
        let decoder = JSONDecoder()
        for name in names.sorted() {
            guard name.hasSuffix(".json") else {
                unreadable.append(name)
                continue
            }
            let key = String(name.dropLast(5))
            guard let data = try? Data(contentsOf: cellsURL.appendingPathComponent(name)),
                  let result = try? decoder.decode(RoarKarCellResult.self, from: data),
                  result.key == key, result.accuracy.isFinite, (0...1).contains(result.accuracy),
                  fingerprint.map({ $0 == result.fingerprint }) ?? true else {
                unreadable.append(name)
                continue
            }
            results[key] = result
        }
        return (results, unreadable)
    }

    /// Whether `cell` has a complete result under `fingerprint`.
    public func isFinished(_ cell: RoarKarCell, fingerprint: String) -> Bool {
        guard let data = try? Data(contentsOf: resultURL(of: cell)),
              let result = try? JSONDecoder().decode(RoarKarCellResult.self, from: data) else { return false }
        return result.key == cell.key && result.fingerprint == fingerprint && result.accuracy.isFinite
    }

    /// Writes a cell's result atomically.
    /// - Throws: ``ExperimentError/invalidOption(name:reason:)`` for `out` when the file cannot be written.
    public func write(_ result: RoarKarCellResult) throws(ExperimentError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let data = try encoder.encode(result)
            try writeAtomically(data, to: cellsURL.appendingPathComponent(result.key + ".json"))
        } catch let error as ExperimentError {
            throw error
        } catch {
            throw .invalidOption(name: "out", reason: "cannot encode the result of \(result.key): \(error)")
        }
    }

    func writeAtomically(_ data: Data, to file: URL) throws(ExperimentError) {
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file, options: .atomic)
        } catch {
            throw .invalidOption(name: "out", reason: "cannot write \(file.path): \(error.localizedDescription)")
        }
    }
}
