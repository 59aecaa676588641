import Foundation
import Testing

/// The URL of a committed fixture, e.g. `fixture("pth/module.pth")`.
func fixture(_ relativePath: String) throws -> URL {
    let base = try #require(Bundle.module.resourceURL, "the test bundle has no resources")
    let url = base.appendingPathComponent("Fixtures").appendingPathComponent(relativePath)
    try #require(FileManager.default.fileExists(atPath: url.path), "missing fixture \(relativePath); run the scripts in Scripts/fixtures")
    return url
}
