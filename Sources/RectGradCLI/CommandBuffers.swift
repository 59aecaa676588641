import RectifiedGradient

extension TensorBufferPool {
    /// The memory the command's passes reuse, batch after batch (the first pass of a shape
    /// allocates, the later ones take the same buffers back: no page faults).
    static let command = TensorBufferPool()
}
