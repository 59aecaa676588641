/// Bounds on what an ONNX file may ask the importer to allocate; sizes beyond them are errors,
/// not allocations.
public struct ONNXLimits: Hashable, Sendable {
    /// The largest file read, in bytes (protocol buffers cannot exceed 2 GiB).
    public var maximumFileBytes: Int
    /// The most elements of one tensor (initializer, constant, or folded value).
    public var maximumTensorElements: Int
    /// The most dimensions of one tensor.
    public var maximumRank: Int
    /// The most nodes in the graph.
    public var maximumNodes: Int

    /// Creates limits; the defaults admit every torchvision classifier.
    public init(maximumFileBytes: Int = 1 << 31, maximumTensorElements: Int = 1 << 28, maximumRank: Int = 8, maximumNodes: Int = 100_000) {
        self.maximumFileBytes = maximumFileBytes
        self.maximumTensorElements = maximumTensorElements
        self.maximumRank = maximumRank
        self.maximumNodes = maximumNodes
    }
}

extension ONNXLimits {
    /// The element count of `dims`, checked against overflow, negative sizes and the limits.
    func elementCount<Dimension: BinaryInteger>(of dims: [Dimension], tensor: String) throws(ONNXError) -> Int {
        guard dims.count <= maximumRank else {
            throw .invalidTensor(name: tensor, reason: "rank \(dims.count) exceeds the limit of \(maximumRank)")
        }
        var count = 1
        for dim in dims {
            guard dim >= 0, let size = Int(exactly: dim) else {
                throw .invalidTensor(name: tensor, reason: "dimension \(dim) is invalid (dims \(dims.map { Int64(truncatingIfNeeded: $0) }))")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumTensorElements else {
                throw .invalidTensor(name: tensor, reason: "dims \(dims.map { Int64(truncatingIfNeeded: $0) }) exceed the limit of \(maximumTensorElements) elements")
            }
            count = product
        }
        return count
    }
}
