import Foundation

/// With `RECTGRAD_PARITY_REPORT=<file>` in the environment, the layer-method and LRP parity tests
/// append one line `architecture<TAB>method<TAB>relative L2` per comparison to that file (the
/// figures of Docs/comparison-methods.md); without it they write nothing.
enum ParityReport {
    static func record(_ architecture: String, _ method: String, _ error: Double) {
        guard let path = ProcessInfo.processInfo.environment["RECTGRAD_PARITY_REPORT"], !path.isEmpty else { return }
        let line = "\(architecture)\t\(method)\t\(String(format: "%.2e", error))\n"
        guard let data = line.data(using: .utf8) else { return }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(data)
            handle.closeFile()
        } else {
            FileManager.default.createFile(atPath: path, contents: data)
        }
    }
}
