import Foundation
import RectGradImage
import Testing

/// Damaged inputs must come back as typed errors, never as a crash or an exit from inside a codec.
@Suite struct RobustnessTests {
    /// Small valid files of both formats (and both JPEG codings).
    static let validFiles = ["interlaced.png", "palette.png", "rgb16.png", "rgb.jpg", "progressive.jpg", "cmyk.jpg", "gray.jpg"]

    @Test(arguments: validFiles)
    func everyPrefixIsTruncated(name: String) throws {
        let data = try Data(contentsOf: corpusURL(name))
        let format = try ImageDecoding.format(of: data)
        let signatureLength = format == .png ? 8 : 3
        for length in 1..<data.count {
            let prefix = data.prefix(length)
            let error = #expect(throws: ImageError.self, "prefix of \(length) bytes") {
                try ImageDecoding.decode(data: prefix)
            }
            let expected = length < signatureLength ? "unknownFormat" : "truncated \(format)"
            #expect(error?.reason.kind == expected, "prefix of \(length) bytes: \(error?.description ?? "")")
        }
        #expect(throws: Never.self) { try ImageDecoding.decode(data: data) }
    }

    @Test(arguments: validFiles)
    func randomByteDamageNeverCrashes(name: String) throws {
        let data = try Data(contentsOf: corpusURL(name))
        let noise = seededBytes(count: 4 * 300, seed: UInt64(name.utf8.count))
        var failures = 0
        for trial in 0..<300 {
            var damaged = data
            // Overwrite 1–4 bytes after the signature.
            let flips = 1 + Int(noise[4 * trial] % 4)
            for k in 0..<flips {
                let position = 3 + (Int(noise[4 * trial + 1]) * 256 + Int(noise[4 * trial + 2]) + 97 * k) % (data.count - 3)
                damaged[damaged.startIndex + position] = noise[4 * trial + 3] &+ UInt8(k)
            }
            do {
                let image = try ImageDecoding.decode(data: damaged, options: .init(maximumPixelCount: 1 << 16))
                #expect(image.pixels.count == image.width * image.height * 3)
            } catch {
                failures += 1
                #expect(error.reason.kind != "outOfMemory" && error.reason.kind != "invalidArgument", "\(error)")
            }
        }
        #expect(failures > 0, "some damage must be detected")
    }
}
