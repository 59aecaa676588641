/// Where an activation sits in a recorded forward pass.
public struct ActivationSite: Hashable, Sendable, CustomStringConvertible {
    /// The tape node that recorded the activation.
    public var nodeID: Int
    /// The position among the tape's activations (0 = first activation recorded).
    public var ordinal: Int
    /// The layer name given when recording (empty when none was given).
    public var name: String
    /// The activation function (ReLU, sigmoid, GELU, …) with its parameters.
    public var kind: ActivationKind

    /// Creates a site description.
    public init(nodeID: Int, ordinal: Int, name: String, kind: ActivationKind) {
        self.nodeID = nodeID
        self.ordinal = ordinal
        self.name = name
        self.kind = kind
    }

    public var description: String { "\(kind) #\(ordinal)\(name.isEmpty ? "" : " '\(name)'") (node \(nodeID))" }
}

/// What an activation backward rule receives: pre-activation `z`, output `a`, and the gradient
/// `R = dS/da` as already modified downstream. All three share the shape `[N, …]`.
public struct ActivationBackwardInput: Sendable {
    /// The pre-activation `z`.
    ///
    /// A recorded pass does not keep `z` of a ReLU or ReLU6 recorded on a convolution, a batch
    /// norm or a residual sum (it keeps the output `a` only, ``Tape/activation(_:kind:name:)``);
    /// the tape then hands over how to compute it, and `z` is computed — with the bits of the
    /// forward pass — the first time a rule reads it here. The built-in rules of the ReLU family read `a` instead where the two give the
    /// same result (`a > 0` exactly where `z > 0`; for ReLU6 `0 < a < 6` exactly where `0 < z < 6`).
    public var preActivation: Tensor {
        get { preActivationSource.value }
        set { preActivationSource = DeferredTensor(newValue) }
    }
    /// `z`, or how to compute it.
    private var preActivationSource: DeferredTensor
    /// The activation output `a`.
    public var output: Tensor
    /// The upstream gradient `R` at the output (summed over all consumers).
    public var upstream: Tensor
    /// Which activation this is.
    public var site: ActivationSite
    /// The threads the rule may split its work among (the tape's ``Tape/workers``). A rule's
    /// result must not depend on their number.
    public var workers: Workers

    /// Creates an input; the three tensors must share a shape.
    public init(preActivation: Tensor, output: Tensor, upstream: Tensor, site: ActivationSite, workers: Workers = .default) {
        self.init(preActivation: DeferredTensor(preActivation), output: output, upstream: upstream, site: site, workers: workers)
    }

    /// Creates an input whose `z` is computed when first read.
    init(preActivation: DeferredTensor, output: Tensor, upstream: Tensor, site: ActivationSite, workers: Workers) {
        self.preActivationSource = preActivation
        self.output = output
        self.upstream = upstream
        self.site = site
        self.workers = workers
    }

    /// `z` if a rule's read computed it, handed over so that the tape can give its storage back.
    func takeComputedPreActivation() -> Tensor? { preActivationSource.takeComputedValue() }

    /// The shape of `z` (known without computing it).
    public var preActivationShape: [Int] { preActivationSource.shape }
    /// Whether `z` has been computed or was given (diagnostics and tests: the built-in rules of
    /// the ReLU family do not compute it).
    public var isPreActivationAvailable: Bool { preActivationSource.isAvailable }
    /// Number of examples (the leading dimension).
    public var exampleCount: Int { preActivationShape.first ?? 1 }
    /// Number of units per example (C×H×W for a convolution map, features for a dense layer).
    public var unitsPerExample: Int { preActivationShape.reduce(1, *) / Swift.max(exampleCount, 1) }
}

/// A backward rule for activation layers: maps `(z, a, R)` to the gradient handed to `z`.
///
/// The rule **replaces** the activation's whole backward. Rules are values passed to
/// ``Tape/backward(from:seed:withRespectTo:rules:)``; the same recorded forward pass can be run
/// backward under any number of rules.
public protocol ActivationRule: Sendable, CustomStringConvertible {
    /// The gradient passed to the pre-activation `z`, with the shape of `input.preActivation`.
    func backward(_ input: ActivationBackwardInput) throws -> Tensor
}

/// Errors raised by backward rules.
public enum RuleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A parameter is outside its range, e.g. a percentile outside [0, 100].
    case invalidParameter(rule: String, reason: String)
    /// DeepLIFT has no reference values for this activation.
    case missingReference(site: String)
    /// The reference values do not have the shape of the activation.
    case referenceShapeMismatch(site: String, expected: [Int], actual: [Int])
    /// A rule returned a gradient of the wrong shape.
    case gradientShapeMismatch(rule: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .invalidParameter(let rule, let reason): return "\(rule): \(reason)"
        case .missingReference(let site): return "DeepLIFT: no reference values recorded for \(site)"
        case .referenceShapeMismatch(let site, let expected, let actual):
            return "DeepLIFT: reference for \(site) has shape \(actual), expected \(expected) or batch 1"
        case .gradientShapeMismatch(let rule, let expected, let actual):
            return "\(rule) returned a gradient of shape \(actual), expected \(expected)"
        }
    }
}

extension ActivationBackwardInput {
    /// Checks that `z`, `a` and `R` share a shape, as every rule reads them with the same index.
    /// The tape always passes consistent tensors; rules called directly should check first.
    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` naming `rule` and the three shapes.
    public func validateShapes(rule: String) throws(RuleError) {
        let shape = preActivationShape
        guard output.shape == shape, upstream.shape == shape else {
            throw .invalidParameter(rule: rule, reason: "z, a and R must share a shape; got z \(shape), a \(output.shape), R \(upstream.shape)")
        }
    }

    /// Applies `gate(z, a, R)` element-wise and returns the gradient for `z`.
    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` unless `z`, `a` and `R` share a shape.
    @inlinable
    public func elementwise(_ gate: (Float, Float, Float) -> Float) throws(RuleError) -> Tensor {
        try validateShapes(rule: "\(site.kind) #\(site.ordinal)")
        let count = preActivation.count
        let result = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            preActivation.withUnsafeBufferPointer { z in
                output.withUnsafeBufferPointer { a in
                    upstream.withUnsafeBufferPointer { r in
                        for i in 0..<count { buffer[i] = gate(z[i], a[i], r[i]) }
                    }
                }
            }
            initialized = count
        }
        // The shape is the pre-activation's, so the element count always matches.
        return Tensor(uncheckedShape: preActivation.shape, scalars: result)
    }

    /// ``elementwise(_:)`` for the built-in rules: `gate` on vectors of `(z, a, R)`, in parallel
    /// for large layers. `gate` must treat every lane alike (the last vector may be partly filled);
    /// it is a value of a concrete type so that the loop is specialised for it.
    /// - Throws: ``RuleError/invalidParameter(rule:reason:)`` naming `rule` unless the shapes agree.
    func vectorised<Gate: LaneFunction3>(rule: String, _ gate: Gate) throws(RuleError) -> Tensor {
        try validateShapes(rule: rule)
        // At a ReLU or ReLU6, `a` stands for `z` in a function that reads only z's mask: same
        // result, and a `z` the tape did not keep is not computed.
        let usesOutputForZ = Gate.readsZOnlyThroughReLUMask && site.kind.outputDeterminesMask
        let z = usesOutputForZ ? output : preActivation
        let result = z.withUnsafeBufferPointer { z in
            output.withUnsafeBufferPointer { a in
                upstream.withUnsafeBufferPointer { r in
                    Elementwise.makeStorage(count: z.count, workers: workers) { y, range in
                        guard let z = z.baseAddress, let a = a.baseAddress, let r = r.baseAddress else { return }
                        if let loop = Gate.plainLoopOfZR {
                            loop(z + range.lowerBound, r + range.lowerBound, y + range.lowerBound, range.count)
                        } else {
                            Elementwise.apply(range, z, a, r, into: y) { gate($0, $1, $2) }
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: preActivationShape, scalars: result)
    }
}
