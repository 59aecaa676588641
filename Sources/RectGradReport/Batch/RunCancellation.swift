import Foundation

/// A request to stop a run early, set from another thread (a signal handler's queue, a test).
/// The run finishes the image whose files it is writing, then returns with
/// ``DatasetRunSummary/cancelled`` set.
public final class RunCancellation: @unchecked Sendable {
    // `@unchecked`: every access to `requested` holds `lock`.
    private let lock = NSLock()
    private var requested = false

    /// A request not yet made.
    public init() {}

    /// Asks the run to stop after the current image.
    public func cancel() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    /// Whether a stop was asked for.
    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}

/// A first-in first-out queue of bounded length between one producing and one consuming thread:
/// `put` blocks while the queue is full, `take` while it is empty. It bounds how far the
/// decoding thread runs ahead of the network, and with it the memory of a run.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    // `@unchecked`: every access to the stored state holds `condition`.
    private let condition = NSCondition()
    private var buffer: [Element] = []
    private var head = 0
    private var finished = false
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds `element`, waiting for room; `false` when the consumer closed the queue.
    func put(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while buffer.count - head >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        buffer.append(element)
        condition.broadcast()
        return true
    }

    /// The producer has no more elements.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer wants no more elements: a waiting or later `put` returns `false`.
    func close() {
        condition.lock()
        closed = true
        buffer.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    /// The next element, waiting for one; `nil` once the producer finished and the queue is empty.
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while buffer.count == head && !finished && !closed { condition.wait() }
        guard head < buffer.count else { return nil }
        let element = buffer[head]
        head += 1
        if head > 64 && head * 2 > buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return element
    }
}
