/// How the images of a ``ShapesDataset`` are drawn: background, distractors, object size and
/// texture, and the optional occlusion patch.
///
/// ``standard`` is the dataset the shipped model is trained on; ``plain`` draws the same objects on
/// a flat background with nothing else, so that every object pixel has exactly the object colour.
public struct ShapesStyle: Hashable, Sendable {
    /// The background behind the object.
    public enum Background: Hashable, Sendable {
        /// A smooth random colour field with stripes, checks or soft blobs and pixel noise.
        case cluttered
        /// One flat colour.
        case uniform(RGBColor)
    }

    /// The background.
    public var background: Background
    /// How many distractors (thin lines, zigzags and dots carrying no class information) to draw
    /// under the object.
    public var distractorCount: ClosedRange<Int>
    /// The object's circumscribed radius in pixels (before a per-axis stretch of up to ±10 %).
    public var objectRadius: ClosedRange<Float>
    /// The largest relative brightness change of the linear shading across the object (0 = flat).
    public var objectShading: Float
    /// The half-width, in 8-bit levels, of the uniform noise added to object pixels (0 = none).
    public var objectNoise: Float
    /// The patch pasted into the top-left corner of every image, if any.
    public var occlusionPatch: OcclusionPatch?

    /// Creates a style; see ``validate()`` for the accepted ranges.
    public init(
        background: Background = .cluttered,
        distractorCount: ClosedRange<Int> = 2...6,
        objectRadius: ClosedRange<Float> = 8...12,
        objectShading: Float = 0.2,
        objectNoise: Float = 6,
        occlusionPatch: OcclusionPatch? = nil
    ) {
        self.background = background
        self.distractorCount = distractorCount
        self.objectRadius = objectRadius
        self.objectShading = objectShading
        self.objectNoise = objectNoise
        self.occlusionPatch = occlusionPatch
    }

    /// The dataset of the shipped model: cluttered textured backgrounds, 2–6 distractors, objects
    /// of radius 8–12 px with shading and noise.
    public static let standard = ShapesStyle()

    /// Flat mid-grey background, no distractors, flat object colour: object pixels are exactly the
    /// object colour and every other pixel is exactly the background colour.
    public static let plain = ShapesStyle(
        background: .uniform(RGBColor(128, 128, 128)), distractorCount: 0...0, objectShading: 0, objectNoise: 0
    )

    /// This style with `patch` pasted into the top-left corner of every image.
    public func withOcclusionPatch(_ patch: OcclusionPatch = .paper) -> ShapesStyle {
        var copy = self
        copy.occlusionPatch = patch
        return copy
    }

    /// Checks the ranges.
    /// - Throws: ``DataError/invalidStyle(_:)`` naming the first setting out of range.
    public func validate() throws(DataError) {
        guard distractorCount.lowerBound >= 0, distractorCount.upperBound <= 64 else {
            throw .invalidStyle("distractor count \(distractorCount) is outside 0...64")
        }
        guard objectRadius.lowerBound >= 3, objectRadius.upperBound <= 12.5 else {
            throw .invalidStyle("object radius \(objectRadius) is outside 3...12.5 pixels")
        }
        guard (0...0.5).contains(objectShading) else {
            throw .invalidStyle("object shading \(objectShading) is outside 0...0.5")
        }
        guard (0...64).contains(objectNoise) else {
            throw .invalidStyle("object noise \(objectNoise) is outside 0...64")
        }
    }
}
