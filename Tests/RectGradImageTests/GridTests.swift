import Foundation
import RectGradImage
import Testing

@Suite struct GridTests {
    func tile(_ color: RGBColor, width: Int = 10, height: Int = 8) throws -> RGBImage {
        try RGBImage(width: width, height: height, color: color)
    }

    @Test func sizeWithoutLabels() throws {
        let cells = try (0..<2).map { _ in try (0..<3).map { _ in try tile(.red) } }
        let image = try ImageGrid(cells: cells, padding: 6).render()
        // 6 + 3 · 10 + 2 · 6 + 6 and 6 + 2 · 8 + 6 + 6.
        #expect(image.width == 54 && image.height == 34)
        #expect(image[x: 0, y: 0] == .white)
        #expect(image[x: 6, y: 6] == .red)
        #expect(image[x: 16, y: 6] == .white) // the gap between columns 0 and 1
    }

    /// Row labels "a" (5 px wide) and "bb" (2 · 6 − 1 = 11), column labels "X", "Y", "ZZZ"
    /// (17 wide); every label is 9 px tall. Width: 6 + 11 + 6 + 10 + 6 + 10 + 6 + 17 + 6 = 78.
    /// Rows are max(8, 9) = 9 tall: height 6 + 9 + 6 + 9 + 6 + 9 + 6 = 51.
    @Test func labelsEnlargeTheLayoutAndAreDrawn() throws {
        let cells = try [[tile(.red), tile(.blue), tile(.red)], [tile(.blue), tile(.red), tile(.blue)]]
        let grid = ImageGrid(cells: cells, rowLabels: ["a", "bb"], columnLabels: ["X", "Y", "ZZZ"], padding: 6)
        let layout = try grid.layout()
        #expect(layout.width == 78 && layout.height == 51)
        #expect(layout.columnWidths == [10, 10, 17])
        #expect(layout.rowHeights == [9, 9])
        let image = try grid.render()
        #expect(image.width == 78 && image.height == 51)
        for frame in layout.rowLabelFrames + layout.columnLabelFrames {
            #expect(inkPixels(in: image, frame) > 0, "label at \(frame) is blank")
        }
        // Text is black on white: nothing but those two colours in the label areas.
        let labelArea = ImageGrid.Frame(x: 0, y: 0, width: 78, height: 6 + 9)
        #expect(colors(in: image, labelArea).isSubset(of: [.white, .black]))
        // The cell in column 2 is centred in its 17-pixel slot: x = 6 + 11 + 6 + 10 + 6 + 10 + 6 + 3.
        #expect(image[x: 58, y: layout.rowY[0] + 4] == .red)
        #expect(image[x: 57, y: layout.rowY[0] + 4] == .white)
    }

    @Test func multilineLabelsAndScale() throws {
        let grid = ImageGrid(cells: [[try tile(.red)]], columnLabels: ["ab\ncd"], padding: 2, textScale: 2)
        let layout = try grid.layout()
        // Two lines at scale 2: (2 · 11 − 2) · 2 = 40 tall, (2 · 6 − 1) · 2 = 22 wide.
        #expect(layout.columnLabelFrames.first == ImageGrid.Frame(x: 2, y: 2, width: 22, height: 40))
        #expect(layout.columnWidths == [22])
        #expect(inkPixels(in: try grid.render(), layout.columnLabelFrames[0]) > 0)
    }

    @Test func invalidGridsThrow() throws {
        #expect(throws: ImageError.self) { try ImageGrid(cells: []).render() }
        #expect(throws: ImageError.self) { try ImageGrid(cells: [[tile(.red)], []]).render() }
        #expect(throws: ImageError.self) { try ImageGrid(cells: [[tile(.red)]], rowLabels: ["a", "b"]).render() }
        #expect(throws: ImageError.self) { try ImageGrid(cells: [[tile(.red)]], columnLabels: ["a", "b"]).render() }
        #expect(throws: ImageError.self) { try ImageGrid(cells: [[tile(.red)]], padding: -1).render() }
    }

    func inkPixels(in image: RGBImage, _ frame: ImageGrid.Frame) -> Int {
        var count = 0
        for y in frame.y..<(frame.y + frame.height) {
            for x in frame.x..<(frame.x + frame.width) where image[x: x, y: y] != .white { count += 1 }
        }
        return count
    }

    func colors(in image: RGBImage, _ frame: ImageGrid.Frame) -> Set<RGBColor> {
        var set = Set<RGBColor>()
        for y in frame.y..<(frame.y + frame.height) {
            for x in frame.x..<(frame.x + frame.width) { set.insert(image[x: x, y: y]) }
        }
        return set
    }
}

@Suite struct BitmapFontTests {
    let font = BitmapFont.standard

    @Test func everyPrintableASCIICharacterHasAGlyph() {
        for scalar in 32...126 {
            let character = Character(Unicode.Scalar(UInt8(scalar)))
            #expect(font.hasGlyph(for: character), "missing glyph for \(character)")
            let bitmap = font.bitmap(for: character)
            #expect(bitmap.count == 9 && bitmap.allSatisfy { $0.count == 5 })
            let ink = bitmap.joined().filter { $0 }.count
            #expect((ink == 0) == (character == " "), "glyph \(character) has \(ink) ink pixels")
        }
    }

    @Test func glyphsAreDistinct() {
        let characters = (33...126).map { Character(Unicode.Scalar(UInt8($0))) }
        let bitmaps = Set(characters.map { font.bitmap(for: $0) })
        // Only "-" and the en dash would coincide, and the en dash is not ASCII.
        #expect(bitmaps.count == characters.count)
    }

    @Test func measuring() {
        #expect(font.size(of: "") == (0, 0))
        #expect(font.size(of: "A") == (5, 9))
        #expect(font.size(of: "Grad", scale: 3) == ((4 * 6 - 1) * 3, 27))
        #expect(font.size(of: "a\nbcd") == (17, 20))
    }

    @Test func unknownCharactersDrawABox() throws {
        #expect(!font.hasGlyph(for: "€"))
        var image = try RGBImage(width: 7, height: 11, color: .white)
        image.drawText("€", x: 1, y: 1)
        #expect(image[x: 1, y: 1] == .black && image[x: 5, y: 7] == .black)
        #expect(image[x: 3, y: 4] == .white)
    }

    @Test func drawingIsClipped() throws {
        var image = try RGBImage(width: 3, height: 3, color: .white)
        // Font column 0 covers x = −1…0; font row 1 covers y = −1…0, row 2 y = 1…2: W's left
        // stroke shows in column 0; its right stroke (x = 7…8) is cut away.
        image.drawText("W", x: -1, y: -3, scale: 2)
        #expect(image[x: 0, y: 0] == .black && image[x: 0, y: 2] == .black)
        #expect(image[x: 1, y: 0] == .white && image[x: 2, y: 2] == .white)
    }
}
