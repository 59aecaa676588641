import Foundation
import RectifiedGradient

extension TensorBufferPool {
    /// The memory the command's passes reuse, batch after batch (the first pass of a shape
    /// allocates, the later ones take the same buffers back: no page faults).
    static let command = TensorBufferPool()
}

extension Workers {
    /// The workers of the command's passes: the number in the environment variable
    /// `RECTGRAD_WORKERS` when it is a positive integer, else one per active core. The count
    /// changes the speed only; the results are the same bytes for any count.
    static let command: Workers = {
        if let text = ProcessInfo.processInfo.environment["RECTGRAD_WORKERS"], let count = Int(text), count >= 1 {
            return Workers(count: count)
        }
        return .default
    }()
}
