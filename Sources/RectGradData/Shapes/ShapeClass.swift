/// The ten object classes of the built-in ``ShapesDataset``.
///
/// Classes differ only by outline: every image draws its object in a colour picked at random from
/// a palette shared by all classes, at a random size, rotation and position, so neither colour nor
/// location carries class information.
public enum ShapeClass: Int, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// A filled disk.
    case circle
    /// A filled square.
    case square
    /// An equilateral triangle.
    case triangle
    /// A plus sign with four equal arms.
    case cross
    /// A five-pointed star.
    case star
    /// An annulus (a disk with a round hole).
    case ring
    /// A rhombus whose diagonals have a ratio of about 1 : 1.8 (never a rotated square).
    case diamond
    /// Two triangles meeting at their tips.
    case hourglass
    /// A shaft with a triangular head.
    case arrow
    /// A disk with an offset disk cut out of it.
    case crescent

    /// The class name used in reports, e.g. `"hourglass"`.
    public var name: String {
        switch self {
        case .circle: "circle"
        case .square: "square"
        case .triangle: "triangle"
        case .cross: "cross"
        case .star: "star"
        case .ring: "ring"
        case .diamond: "diamond"
        case .hourglass: "hourglass"
        case .arrow: "arrow"
        case .crescent: "crescent"
        }
    }

    public var description: String { name }

    /// The class names in label order.
    public static var names: [String] { allCases.map(\.name) }

    /// The outline in the shape's local frame, where the shape fits in the unit disk.
    var outline: ShapeOutline {
        switch self {
        case .circle:
            return .disk(radius: 0.88)
        case .square:
            return .polygon([(-0.7, -0.7), (0.7, -0.7), (0.7, 0.7), (-0.7, 0.7)])
        case .triangle:
            return .polygon([(0, 1), (-0.866, -0.5), (0.866, -0.5)])
        case .cross:
            return .plus(halfWidth: 0.3, halfLength: 0.95)
        case .star:
            return .polygon(ShapeOutline.star(points: 5, outer: 1, inner: 0.45))
        case .ring:
            return .annulus(inner: 0.55, outer: 0.95)
        case .diamond:
            return .polygon([(0, 1), (0.55, 0), (0, -1), (-0.55, 0)])
        case .hourglass:
            return .polygon([(-0.6, 0.85), (0.6, 0.85), (0.13, 0), (0.6, -0.85), (-0.6, -0.85), (-0.13, 0)])
        case .arrow:
            return .polygon([(-0.95, -0.2), (0.15, -0.2), (0.15, -0.6), (0.95, 0), (0.15, 0.6), (0.15, 0.2), (-0.95, 0.2)])
        case .crescent:
            return .crescent(outer: 0.95, cutOffset: 0.42, cutRadius: 0.72)
        }
    }
}
