import Testing
import RectGradCore
import RectGradLayers
import RectGradAttribution

/// `AttributionSession.onProgress`: one report per chunk of a multi-pass method, none for
/// single-pass ones, and the maps do not change.
@Suite struct ProgressTests {
    /// A reference type the callback appends to (the session calls it on the calling thread).
    final class Log { var reports: [AttributionProgress] = [] }

    @Test func everyChunkIsReported() throws {
        let network = TestNetworks.small(seed: 7)
        let x = TestNetworks.inputs(2, seed: 71)
        let session = try AttributionSession(network: network, input: x, chunkSize: 3)
        let log = Log()
        session.onProgress = { log.reports.append($0) }

        // 2 examples × 4 steps = 8 rows in chunks of 3.
        let integrated = try session.attribute(.integratedGradients(steps: 4))
        #expect(log.reports.map(\.completedRows) == [3, 6, 8])
        #expect(log.reports.allSatisfy { $0.totalRows == 8 && $0.method == "integrated-gradients" })
        #expect(integrated.map == (try AttributionSession(network: network, input: x, chunkSize: 3).attribute(.integratedGradients(steps: 4))).map)

        // Occlusion: 2 examples × (2 × 2 windows of 4×4 over 8×8) = 8 rows.
        log.reports = []
        let shape = Array(x.shape.dropFirst())
        _ = try session.attribute(.occlusion(window: [shape[0], shape[1] / 2, shape[2] / 2], stride: [1, shape[1] / 2, shape[2] / 2]))
        #expect(log.reports.last?.completedRows == log.reports.last?.totalRows)
        #expect(log.reports.first?.method == "occlusion")
        #expect(log.reports.map(\.completedRows) == Array(stride(from: 3, to: log.reports.last?.totalRows ?? 0, by: 3)) + [log.reports.last?.totalRows ?? -1])

        // A single backward pass reports nothing.
        log.reports = []
        _ = try session.attribute(.saliency)
        #expect(log.reports.isEmpty)
    }
}
