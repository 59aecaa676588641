extension RGBImage {
    /// Paints the rectangle `width × height` at `(x, y)` with `color`, clipped to the image.
    public mutating func fill(x: Int, y: Int, width rectWidth: Int, height rectHeight: Int, color: RGBColor) {
        let left = Swift.max(x, 0), right = Swift.min(x + rectWidth, width)
        let top = Swift.max(y, 0), bottom = Swift.min(y + rectHeight, height)
        guard left < right, top < bottom else { return }
        let imageWidth = width
        withUnsafeMutablePixels { buffer in
            for row in top..<bottom {
                var i = 3 * (row * imageWidth + left)
                for _ in left..<right {
                    buffer[i] = color.red
                    buffer[i + 1] = color.green
                    buffer[i + 2] = color.blue
                    i += 3
                }
            }
        }
    }

    /// Copies `image` with its top-left pixel at `(x, y)`, clipped to this image.
    public mutating func draw(_ image: RGBImage, x: Int, y: Int) {
        let left = Swift.max(x, 0), right = Swift.min(x + image.width, width)
        let top = Swift.max(y, 0), bottom = Swift.min(y + image.height, height)
        guard left < right, top < bottom else { return }
        let imageWidth = width
        let count = 3 * (right - left)
        withUnsafeMutablePixels { target in
            image.pixels.withUnsafeBufferPointer { source in
                for row in top..<bottom {
                    let from = 3 * ((row - y) * image.width + (left - x))
                    let to = 3 * (row * imageWidth + left)
                    for k in 0..<count { target[to + k] = source[from + k] }
                }
            }
        }
    }

    /// Draws `text` in the built-in ``BitmapFont`` with its top-left corner at `(x, y)`;
    /// see ``BitmapFont/draw(_:into:x:y:scale:color:)``.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: RGBColor = .black) {
        BitmapFont.standard.draw(text, into: &self, x: x, y: y, scale: scale, color: color)
    }
}
