import Synchronization

/// A tensor given now or computed on first read and then kept: how a tape hands a rule a value it
/// did not keep (``ActivationBackwardInput/preActivation``). Copies share the computed value.
final class DeferredTensor: Sendable {
    /// The value's shape, known before it is computed.
    let shape: [Int]
    private let computation: (@Sendable () -> Tensor)?
    private let computed: Mutex<Tensor?>

    /// A value already at hand.
    init(_ value: Tensor) {
        shape = value.shape
        computation = nil
        computed = Mutex(value)
    }

    /// A value of shape `shape` that `computation` gives when first read. The computation must
    /// return a tensor of that shape.
    init(shape: [Int], computation: @escaping @Sendable () -> Tensor) {
        self.shape = shape
        self.computation = computation
        computed = Mutex(nil)
    }

    /// Whether the value is at hand (given, or computed by an earlier read).
    var isAvailable: Bool { computed.withLock { $0 != nil } }

    /// The value, computed on the first read (concurrent first reads wait for one computation).
    var value: Tensor {
        computed.withLock { value in
            if let value { return value }
            // A tensor given at creation is always stored, so `computation` exists here.
            let result = computation?() ?? Tensor(uncheckedShape: shape, scalars: [])
            value = result
            return result
        }
    }

    /// The value if a read computed it (not if it was given), handed over: the caller may give
    /// its storage back once the readers are done with it.
    func takeComputedValue() -> Tensor? {
        guard computation != nil else { return nil }
        return computed.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
