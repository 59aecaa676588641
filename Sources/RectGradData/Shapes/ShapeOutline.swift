import Foundation

/// An exact region of the plane, used to decide per sample point whether it lies inside an object.
enum ShapeOutline: Sendable {
    /// `u² + v² ≤ radius²`.
    case disk(radius: Float)
    /// `inner² ≤ u² + v² ≤ outer²`.
    case annulus(inner: Float, outer: Float)
    /// Inside the disk of radius `outer` and outside the disk of radius `cutRadius` centred at `(cutOffset, 0)`.
    case crescent(outer: Float, cutOffset: Float, cutRadius: Float)
    /// The union of a horizontal and a vertical bar.
    case plus(halfWidth: Float, halfLength: Float)
    /// A simple polygon (even–odd rule), vertices in order.
    case polygon([(Float, Float)])

    /// Whether the local point `(u, v)` is inside.
    func contains(_ u: Float, _ v: Float) -> Bool {
        switch self {
        case .disk(let radius):
            return u * u + v * v <= radius * radius
        case .annulus(let inner, let outer):
            let r2 = u * u + v * v
            return r2 >= inner * inner && r2 <= outer * outer
        case .crescent(let outer, let offset, let cut):
            let du = u - offset
            return u * u + v * v <= outer * outer && du * du + v * v > cut * cut
        case .plus(let w, let l):
            let (au, av) = (abs(u), abs(v))
            return (au <= w && av <= l) || (av <= w && au <= l)
        case .polygon(let vertices):
            return Self.polygonContains(vertices, u, v)
        }
    }

    /// Even–odd crossing test.
    static func polygonContains(_ vertices: [(Float, Float)], _ u: Float, _ v: Float) -> Bool {
        var inside = false
        var j = vertices.count - 1
        for i in 0..<vertices.count {
            let (ui, vi) = vertices[i], (uj, vj) = vertices[j]
            if (vi > v) != (vj > v) && u < (uj - ui) * (v - vi) / (vj - vi) + ui {
                inside.toggle()
            }
            j = i
        }
        return inside
    }

    /// The vertices of a star with `points` tips at radius `outer` and notches at radius `inner`,
    /// the first tip pointing up.
    static func star(points: Int, outer: Float, inner: Float) -> [(Float, Float)] {
        (0..<(2 * points)).map { k in
            let angle = Float.pi / 2 + Float(k) * Float.pi / Float(points)
            let radius = k.isMultiple(of: 2) ? outer : inner
            return (radius * cos(angle), radius * sin(angle))
        }
    }
}
