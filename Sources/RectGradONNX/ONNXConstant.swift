import RectGradCore

/// A tensor whose value is known when importing: an initializer, a `Constant` node, or a shape
/// computation folded at import time. Floating-point types are held as `Float`, integer and
/// boolean types as `Int64`.
struct ONNXConstant: Sendable, Equatable {
    /// The element storage.
    enum Storage: Sendable, Equatable {
        case float([Float])
        case integer([Int64])
    }

    /// The dimensions (empty for a scalar).
    var shape: [Int]
    /// The elements in row-major order.
    var storage: Storage

    init(shape: [Int], floats: [Float]) {
        self.shape = shape
        self.storage = .float(floats)
    }

    init(shape: [Int], integers: [Int64]) {
        self.shape = shape
        self.storage = .integer(integers)
    }

    /// The number of elements.
    var count: Int {
        switch storage {
        case .float(let values): return values.count
        case .integer(let values): return values.count
        }
    }

    /// The elements as `Float` (integers converted).
    var floats: [Float] {
        switch storage {
        case .float(let values): return values
        case .integer(let values): return values.map { Float($0) }
        }
    }

    /// The elements as integers, or `nil` for a floating-point tensor.
    var integers: [Int64]? {
        if case .integer(let values) = storage { return values }
        return nil
    }

    /// The value as a `Tensor` (a scalar becomes shape `[]`).
    func tensor() throws(TensorError) -> Tensor {
        shape.isEmpty ? Tensor(scalar: floats.first ?? 0) : try Tensor(shape: shape, scalars: floats)
    }

    /// Whether this is a floating-point tensor.
    var isFloat: Bool {
        if case .float = storage { return true }
        return false
    }
}
