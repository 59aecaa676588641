/// A tiny built-in bitmap font for labels: 5 × 7 pixel glyphs (plus 2 descender rows) on a
/// 6-pixel advance, covering printable ASCII and a few symbols (τ ε α μ σ × ± · ° –).
/// Characters without a glyph draw as a hollow box. No font library is involved.
///
/// A line of `n` characters at scale `s` is `(6n − 1)·s` pixels wide and `9s` pixels tall
/// (7 above the baseline, 2 below); lines are `11s` pixels apart.
public struct BitmapFont: Sendable {
    /// The width of every glyph in font pixels.
    public let glyphWidth = 5
    /// Rows from the cap line to the baseline.
    public let ascent = 7
    /// Rows below the baseline (for g, j, p, q, y, …).
    public let descent = 2
    /// Horizontal distance between the starts of consecutive glyphs.
    public let advance = 6
    /// Blank rows between lines.
    public let lineGap = 2

    /// Bit rows per character (bit 4 is the leftmost column), `ascent + descent` rows each.
    private let glyphs: [Character: [UInt8]]
    private let missingGlyph: [UInt8]

    /// The built-in font.
    public static let standard = BitmapFont()

    private init() {
        let rows = ascent + descent
        func parse(_ source: String) -> [UInt8] {
            var bits = source.split(separator: " ").prefix(rows).map { row in
                row.prefix(5).reduce(UInt8(0)) { ($0 << 1) | ($1 == "#" ? 1 : 0) } << UInt8(5 - Swift.min(row.count, 5))
            }
            while bits.count < rows { bits.append(0) }
            return bits
        }
        self.glyphs = Self.glyphSource.mapValues(parse)
        self.missingGlyph = parse(Self.missingGlyphSource)
    }

    /// The height of a glyph cell, `ascent + descent`.
    public var glyphHeight: Int { ascent + descent }

    /// The characters with a glyph of their own.
    public var characters: Set<Character> { Set(glyphs.keys) }

    /// Whether `character` has a glyph (otherwise it draws as a box).
    public func hasGlyph(for character: Character) -> Bool {
        glyphs[character] != nil
    }

    /// The glyph of `character` as `glyphHeight` rows of `glyphWidth` booleans (`true` = ink).
    public func bitmap(for character: Character) -> [[Bool]] {
        let rows = glyphs[character] ?? missingGlyph
        return rows.map { bits in (0..<glyphWidth).map { column in bits & (0x10 >> UInt8(column)) != 0 } }
    }

    /// The size in pixels of `text` drawn at `scale`; lines are separated by `"\n"`.
    /// An empty string measures `(0, 0)`.
    public func size(of text: String, scale: Int = 1) -> (width: Int, height: Int) {
        guard !text.isEmpty else { return (0, 0) }
        let scale = Swift.max(scale, 1)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let longest = lines.map(\.count).max() ?? 0
        let width = longest > 0 ? (longest * advance - (advance - glyphWidth)) * scale : 0
        let height = (lines.count * (glyphHeight + lineGap) - lineGap) * scale
        return (width, height)
    }

    /// Draws `text` with its first line's top-left corner (cap line) at `(x, y)`, each font pixel
    /// a `scale × scale` square of `color`. Parts outside the image are clipped.
    public func draw(_ text: String, into image: inout RGBImage, x: Int, y: Int, scale: Int = 1, color: RGBColor = .black) {
        let scale = Swift.max(scale, 1)
        for (lineIndex, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let top = y + lineIndex * (glyphHeight + lineGap) * scale
            for (index, character) in line.enumerated() {
                let left = x + index * advance * scale
                let rows = glyphs[character] ?? missingGlyph
                for (row, bits) in rows.enumerated() where bits != 0 {
                    for column in 0..<glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                        image.fill(
                            x: left + column * scale, y: top + row * scale, width: scale, height: scale, color: color)
                    }
                }
            }
        }
    }
}
