import Foundation
import Testing

/// The result of one run of the `rectgrad` binary.
struct CLIResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// The directory holding the built products (the test bundle's siblings).
func productsDirectory() -> URL {
    #if os(macOS)
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent()
    }
    #endif
    return Bundle.main.bundleURL
}

/// Runs `rectgrad` with `arguments`, `environment` added to this process's environment, and
/// collects its exit status and output.
func rectgrad(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let binary = productsDirectory().appendingPathComponent("rectgrad")
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "rectgrad is not built at \(binary.path)")
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: outputData, as: UTF8.self),
        standardError: String(decoding: errorData, as: UTF8.self)
    )
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-cli-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A fixture of the zoo tests, found through the source tree (the CLI tests have no resources).
func zooFixture(_ relativePath: String, file: String = #filePath) throws -> URL {
    try testFixture("RectGradZooTests", relativePath, file: file)
}

/// A fixture of the file-format tests (e.g. `pth/module.pth`), found through the source tree.
func formatsFixture(_ relativePath: String, file: String = #filePath) throws -> URL {
    try testFixture("RectGradFormatsTests", relativePath, file: file)
}

/// The fixture `relativePath` of the test target `target`.
private func testFixture(_ target: String, _ relativePath: String, file: String) throws -> URL {
    let url = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(target).appendingPathComponent("Fixtures").appendingPathComponent(relativePath)
    try #require(FileManager.default.fileExists(atPath: url.path), "missing \(url.path)")
    return url
}

/// Checks that a failure is a readable one-line error, not a crash.
func expectCleanFailure(_ result: CLIResult, mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status != 0, sourceLocation: sourceLocation)
    #expect(result.status < 128, "terminated by a signal", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(result.standardError.contains(fragment), "stderr: \(result.standardError)", sourceLocation: sourceLocation)
    }
    #expect(!result.standardError.contains("Fatal error"), sourceLocation: sourceLocation)
    #expect(!result.standardError.contains("Stack dump"), sourceLocation: sourceLocation)
    #expect(!result.standardError.contains("NSCocoaErrorDomain"), "a raw system error: \(result.standardError)", sourceLocation: sourceLocation)
}
