import RectGradImage

/// A minimal line chart drawn with the image module's pixel and text helpers: one polyline per
/// series over a shared x axis, a y axis from ``yRange``, a title and a legend.
///
/// ```swift
/// let chart = LineChart(title: "ROAR", xLabel: "p (%)", yLabel: "accuracy",
///                       series: [.init(name: "rectgrad", points: [(10, 0.9), (30, 0.7)])])
/// try chart.render().writePNG(to: url)
/// ```
public struct LineChart: Sendable {
    /// One line.
    public struct Series: Sendable {
        /// The legend text.
        public var name: String
        /// `(x, y)` points, drawn in order.
        public var points: [(x: Double, y: Double)]

        /// Creates a series.
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// The title above the plot.
    public var title: String
    /// The x axis label.
    public var xLabel: String
    /// The y axis label.
    public var yLabel: String
    /// The lines.
    public var series: [Series]
    /// The y range; `nil` fits the data.
    public var yRange: ClosedRange<Double>?
    /// The plot area in pixels.
    public var plotWidth = 360
    /// The plot area in pixels.
    public var plotHeight = 240

    /// Creates a chart.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yRange = yRange
    }

    /// Distinct colours for up to eight series (then repeating).
    static let palette: [RGBColor] = [
        RGBColor(red: 214, green: 39, blue: 40), RGBColor(red: 31, green: 119, blue: 180), RGBColor(red: 44, green: 160, blue: 44),
        RGBColor(red: 255, green: 127, blue: 14), RGBColor(red: 148, green: 103, blue: 189), RGBColor(red: 110, green: 110, blue: 110),
        RGBColor(red: 140, green: 86, blue: 75), RGBColor(red: 23, green: 190, blue: 207),
    ]

    /// Draws the chart.
    /// - Throws: `ImageError` when the canvas cannot be created.
    public func render() throws(ImageError) -> RGBImage {
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = all.map(\.x), ys = all.map(\.y)
        var xMin = xs.min() ?? 0, xMax = xs.max() ?? 1
        if xMax <= xMin { xMax = xMin + 1 }
        var range = yRange ?? ((ys.min() ?? 0)...(ys.max() ?? 1))
        if range.upperBound <= range.lowerBound { range = range.lowerBound...(range.lowerBound + 1) }
        xMin = min(xMin, xMax)
        let left = 56, top = 40, legendWidth = 8 + 6 * (series.map(\.name.count).max() ?? 0) + 24
        var image = try RGBImage(width: left + plotWidth + 16 + legendWidth, height: top + plotHeight + 40, color: .white)
        func px(_ x: Double) -> Int { left + Int(((x - xMin) / (xMax - xMin) * Double(plotWidth - 1)).rounded()) }
        func py(_ y: Double) -> Int { top + plotHeight - 1 - Int(((min(max(y, range.lowerBound), range.upperBound) - range.lowerBound) / (range.upperBound - range.lowerBound) * Double(plotHeight - 1)).rounded()) }

        let grid = RGBColor(gray: 225)
        for step in 0...4 {
            let y = range.lowerBound + Double(step) / 4 * (range.upperBound - range.lowerBound)
            image.fill(x: left, y: py(y), width: plotWidth, height: 1, color: grid)
            image.drawText(Self.format(y), x: 4, y: py(y) - 4)
        }
        // A grid line and label per distinct x, thinned to about eleven when there are many.
        let distinctXs = Set(xs).sorted()
        let intervals = max(distinctXs.count - 1, 1), minimumStride = max(1, (intervals + 9) / 10)
        // Prefer a stride that lands on the last x too (99 intervals: every 11th).
        let tickStride = (minimumStride...(2 * minimumStride)).first { intervals % $0 == 0 } ?? minimumStride
        for (index, x) in distinctXs.enumerated() where index % tickStride == 0 {
            image.fill(x: px(x), y: top, width: 1, height: plotHeight, color: grid)
            image.drawText(Self.format(x), x: px(x) - 3 * Self.format(x).count, y: top + plotHeight + 6)
        }
        image.fill(x: left, y: top, width: 1, height: plotHeight, color: .black)
        image.fill(x: left, y: top + plotHeight - 1, width: plotWidth, height: 1, color: .black)
        image.drawText(title, x: 4, y: 4)
        image.drawText(xLabel, x: left + plotWidth / 2 - 3 * xLabel.count, y: top + plotHeight + 22)
        image.drawText(yLabel, x: 4, y: top - 16)

        for (index, line) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            for (a, b) in zip(points, points.dropFirst()) {
                Self.drawLine(into: &image, from: (px(a.x), py(a.y)), to: (px(b.x), py(b.y)), color: color)
            }
            for point in points { image.fill(x: px(point.x) - 2, y: py(point.y) - 2, width: 5, height: 5, color: color) }
            let legendY = top + 4 + 14 * index, legendX = left + plotWidth + 16
            image.fill(x: legendX, y: legendY + 2, width: 16, height: 3, color: color)
            image.drawText(line.name, x: legendX + 22, y: legendY)
        }
        return image
    }

    /// A 2-pixel-wide line (Bresenham), clipped to the image.
    static func drawLine(into image: inout RGBImage, from start: (Int, Int), to end: (Int, Int), color: RGBColor) {
        var (x, y) = start
        let dx = abs(end.0 - x), dy = -abs(end.1 - y)
        let sx = x < end.0 ? 1 : -1, sy = y < end.1 ? 1 : -1
        var error = dx + dy
        while true {
            image.fill(x: x, y: y, width: 2, height: 2, color: color)
            if x == end.0 && y == end.1 { break }
            let twice = 2 * error
            if twice >= dy { error += dy; x += sx }
            if twice <= dx { error += dx; y += sy }
        }
    }

    /// A short tick label.
    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        return String(format2(value))
    }

    private static func format2(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return "\(scaled)"
    }
}
