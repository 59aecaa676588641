/// A figure of images in rows and columns with text labels, for example one row per input
/// image and one column per attribution method.
///
/// Layout: column `j` is as wide as its widest cell or its label, row `i` as tall as its tallest
/// cell or its label. Row labels sit in a column on the left (left-aligned, centred vertically on
/// their row); column labels sit in a row on top (centred horizontally, bottom-aligned). Cells
/// are centred in their slots. ``padding`` separates everything from each other and from the
/// border, and the background shows wherever nothing is drawn. Labels use the built-in
/// ``BitmapFont`` and may contain `"\n"`.
public struct ImageGrid: Sendable {
    /// The images, `cells[row][column]`; every row has the same number of columns.
    public var cells: [[RGBImage]]
    /// One label per row, or none.
    public var rowLabels: [String]
    /// One label per column, or none.
    public var columnLabels: [String]
    /// Pixels between cells, labels and the border (default 6).
    public var padding: Int
    /// Size of a font pixel in image pixels (default 1: 7-pixel capitals).
    public var textScale: Int
    /// Background colour (default white).
    public var background: RGBColor
    /// Label colour (default black).
    public var textColor: RGBColor

    /// Creates a grid; see the type's documentation for the layout.
    public init(
        cells: [[RGBImage]], rowLabels: [String] = [], columnLabels: [String] = [],
        padding: Int = 6, textScale: Int = 1, background: RGBColor = .white, textColor: RGBColor = .black
    ) {
        self.cells = cells
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.padding = padding
        self.textScale = textScale
        self.background = background
        self.textColor = textColor
    }

    /// Where every part of the figure goes.
    public struct Layout: Sendable, Hashable {
        /// The width of the whole figure.
        public var width: Int
        /// The height of the whole figure.
        public var height: Int
        /// The left edge of each column's slot.
        public var columnX: [Int]
        /// The width of each column's slot.
        public var columnWidths: [Int]
        /// The top edge of each row's slot.
        public var rowY: [Int]
        /// The height of each row's slot.
        public var rowHeights: [Int]
        /// The rectangle `(x, y, width, height)` of each row label's text (empty without labels).
        public var rowLabelFrames: [Frame]
        /// The rectangle of each column label's text (empty without labels).
        public var columnLabelFrames: [Frame]
    }

    /// An axis-aligned rectangle in image pixels.
    public struct Frame: Sendable, Hashable {
        /// Left edge.
        public var x: Int
        /// Top edge.
        public var y: Int
        /// Width.
        public var width: Int
        /// Height.
        public var height: Int

        /// Creates a rectangle.
        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    /// Computes the layout without drawing.
    /// - Throws: ``ImageError/Reason/invalidArgument(operation:reason:)`` when there are no
    ///   cells, rows differ in length, a label count matches neither 0 nor the rows/columns, or
    ///   padding is negative or text scale below 1.
    public func layout() throws(ImageError) -> Layout {
        let operation = "ImageGrid"
        guard let columns = cells.first?.count, columns > 0 else {
            throw ImageError(.invalidArgument(operation: operation, reason: "a grid needs at least one row and one column"))
        }
        let rows = cells.count
        for (index, row) in cells.enumerated() where row.count != columns {
            throw ImageError(.invalidArgument(operation: operation, reason: "row \(index) has \(row.count) cells, row 0 has \(columns)"))
        }
        guard rowLabels.isEmpty || rowLabels.count == rows else {
            throw ImageError(.invalidArgument(operation: operation, reason: "\(rowLabels.count) row labels for \(rows) rows"))
        }
        guard columnLabels.isEmpty || columnLabels.count == columns else {
            throw ImageError(.invalidArgument(operation: operation, reason: "\(columnLabels.count) column labels for \(columns) columns"))
        }
        guard padding >= 0, textScale >= 1 else {
            throw ImageError(.invalidArgument(operation: operation, reason: "padding must be ≥ 0 and text scale ≥ 1, got \(padding) and \(textScale)"))
        }
        let font = BitmapFont.standard
        let rowLabelSizes = rowLabels.map { font.size(of: $0, scale: textScale) }
        let columnLabelSizes = columnLabels.map { font.size(of: $0, scale: textScale) }

        var columnWidths = (0..<columns).map { j in cells.map { $0[j].width }.max() ?? 0 }
        for (j, size) in columnLabelSizes.enumerated() { columnWidths[j] = Swift.max(columnWidths[j], size.width) }
        var rowHeights = cells.map { row in row.map(\.height).max() ?? 0 }
        for (i, size) in rowLabelSizes.enumerated() { rowHeights[i] = Swift.max(rowHeights[i], size.height) }

        let labelColumnWidth = rowLabelSizes.map(\.width).max() ?? 0
        let labelRowHeight = columnLabelSizes.map(\.height).max() ?? 0

        var x = padding + (labelColumnWidth > 0 ? labelColumnWidth + padding : 0)
        var columnX: [Int] = []
        for width in columnWidths {
            columnX.append(x)
            x += width + padding
        }
        var y = padding + (labelRowHeight > 0 ? labelRowHeight + padding : 0)
        var rowY: [Int] = []
        for height in rowHeights {
            rowY.append(y)
            y += height + padding
        }
        let rowLabelFrames = rowLabelSizes.enumerated().map { i, size in
            Frame(x: padding, y: rowY[i] + (rowHeights[i] - size.height) / 2, width: size.width, height: size.height)
        }
        let columnLabelFrames = columnLabelSizes.enumerated().map { j, size in
            Frame(x: columnX[j] + (columnWidths[j] - size.width) / 2, y: padding + labelRowHeight - size.height,
                  width: size.width, height: size.height)
        }
        return Layout(
            width: x, height: y, columnX: columnX, columnWidths: columnWidths, rowY: rowY, rowHeights: rowHeights,
            rowLabelFrames: rowLabelFrames, columnLabelFrames: columnLabelFrames)
    }

    /// Draws the figure.
    /// - Throws: as ``layout()``.
    public func render() throws(ImageError) -> RGBImage {
        let layout = try layout()
        var canvas = try RGBImage(width: layout.width, height: layout.height, color: background)
        for (i, row) in cells.enumerated() {
            for (j, cell) in row.enumerated() {
                let x = layout.columnX[j] + (layout.columnWidths[j] - cell.width) / 2
                let y = layout.rowY[i] + (layout.rowHeights[i] - cell.height) / 2
                canvas.draw(cell, x: x, y: y)
            }
        }
        let font = BitmapFont.standard
        for (label, frame) in zip(rowLabels, layout.rowLabelFrames) {
            font.draw(label, into: &canvas, x: frame.x, y: frame.y, scale: textScale, color: textColor)
        }
        for (label, frame) in zip(columnLabels, layout.columnLabelFrames) {
            font.draw(label, into: &canvas, x: frame.x, y: frame.y, scale: textScale, color: textColor)
        }
        return canvas
    }
}
