import Foundation
import Testing
import RectGradCore
import RectGradImage
import RectGradReport

@Test func htmlEscapesTextAndEmbedsFigures() throws {
    let image = try RGBImage(width: 3, height: 2, color: .red)
    let png = try image.encodePNG()
    let report = HTMLReport(title: "a <b> & \"c\"", blocks: [
        .paragraph("<script>alert(1)</script>"),
        .figure(png: png, caption: "cap", alt: "alt", pixelWidth: 3),
        .table(header: ["m", "v"], rows: [["x<y", "1"]], caption: nil),
    ])
    let html = report.render()
    #expect(html.contains("a &lt;b&gt; &amp; &quot;c&quot;"))
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    #expect(!html.contains("<script>alert"))
    #expect(html.contains("<td>x&lt;y</td>"))
    #expect(report.figureCount == 1)
    // The embedded picture decodes back to the same pixels.
    let encoded = try #require(html.components(separatedBy: "data:image/png;base64,").dropFirst().first?.components(separatedBy: "\"").first)
    let decoded = try ImageDecoding.decode(data: try #require(Data(base64Encoded: encoded)))
    #expect(decoded == image)
}

@Test func finalThresholdParsing() throws {
    #expect(try FinalThreshold(parsing: "95,99.5") == FinalThreshold(lower: 95, upper: 99.5))
    #expect(try FinalThreshold(parsing: " 0.5 , 99.5") == .paper)
    for bad in ["", "95", "99.5,95", "-1,50", "50,101", "a,b", "1,2,3", "nan,5"] {
        #expect(throws: ReportError.self) { try FinalThreshold(parsing: bad) }
    }
}

@Test func enlargingRepeatsEachPixel() throws {
    let image = try RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
    let big = try image.enlarged(by: 2)
    #expect(big.width == 4 && big.height == 2)
    #expect(big.pixels == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
    #expect(try image.enlarged(by: 1) == image)
}
