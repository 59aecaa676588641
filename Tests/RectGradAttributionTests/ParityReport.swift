import Foundation

/// With `RECTGRAD_PARITY_REPORT=<folder>` in the environment, each layer-method and LRP parity
/// test case appends `architecture<TAB>method<TAB>relative L2` lines to its own file
/// `<folder>/<suite>-<architecture>.tsv` (test cases run in parallel; one file each keeps their
/// lines apart): the figures of Docs/comparison-methods.md. Without it nothing is written.
enum ParityReport {
    static func record(_ suite: String, _ architecture: String, _ method: String, _ error: Double) {
        guard let folder = ProcessInfo.processInfo.environment["RECTGRAD_PARITY_REPORT"], !folder.isEmpty else { return }
        let path = "\(folder)/\(suite)-\(architecture).tsv"
        let line = "\(architecture)\t\(method)\t\(String(format: "%.2e", error))\n"
        guard let data = line.data(using: .utf8) else { return }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(data)
            handle.closeFile()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: data)
        }
    }
}
