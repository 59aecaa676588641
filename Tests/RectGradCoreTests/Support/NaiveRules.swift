import RectGradCore

/// Percentiles by sorting the whole array (the library selects in O(n); this is the slow, obvious way).
enum SortedPercentile {
    /// The published rule: `d` sorted descending, `idx = round_half_even(f32(n − 1) · (1 − q/100))`
    /// with every operation in float32, threshold `d[idx]`.
    static func nearestDescendingIndex(count n: Int, percentile q: Double) -> Int {
        let q32 = Float(q)
        let fraction: Float = q32 / Float(100)
        let complement: Float = Float(1) - fraction
        let position: Float = Float(n - 1) * complement
        return Int(position.rounded(.toNearestOrEven))
    }

    /// The same index with Double arithmetic (what the published code did *not* do).
    static func float64DescendingIndex(count n: Int, percentile q: Double) -> Int {
        Int((Double(n - 1) * (1 - q / 100)).rounded(.toNearestOrEven))
    }

    static func nearest(_ values: [Float], percentile q: Double) -> Float {
        let descending = values.sorted(by: >)
        return descending[nearestDescendingIndex(count: values.count, percentile: q)]
    }

    /// NumPy's `percentile(a, q)` (method 'linear') on a float32 array with a Python-float `q`:
    /// `virtual = (n − 1)·q/100` in float64, `γ = virtual − ⌊virtual⌋`, then NumPy's `_lerp` in
    /// float32 (`a + (b − a)·γ`, or `b − (b − a)·(1 − γ)` when `γ ≥ 0.5`).
    static func linear(_ values: [Float], percentile q: Double) -> Float {
        let ascending = values.sorted()
        let n = ascending.count
        let virtual = Double(n - 1) * (q / 100)
        let previous = min(max(Int(virtual.rounded(.down)), 0), n - 1)
        let next = min(previous + 1, n - 1)
        let gamma = virtual - Double(previous)
        let a = ascending[previous], b = ascending[next]
        let difference: Float = b - a
        if gamma >= 0.5 { return b - difference * Float(1 - gamma) }
        return a + difference * Float(gamma)
    }

    static func value(_ values: [Float], percentile q: Double, interpolation: PercentileInterpolation) -> Float {
        interpolation == .linear ? linear(values, percentile: q) : nearest(values, percentile: q)
    }
}

/// Every activation rule written a second time as a per-element loop over `(z, a, R)`.
enum NaiveRule: Sendable, CustomStringConvertible {
    case gradient
    case guided
    case deconvnet
    case rectGrad(percentile: Double, importance: ImportanceScore, interpolation: PercentileInterpolation)
    case rectGradConstant(tau: Float, importance: ImportanceScore)
    case epsilonLRP(epsilon: Float)
    case deepLIFT

    var description: String {
        switch self {
        case .gradient: return "gradient"
        case .guided: return "guided"
        case .deconvnet: return "deconvnet"
        case .rectGrad(let q, let importance, let interpolation): return "rectgrad(\(q), \(importance), \(interpolation))"
        case .rectGradConstant(let tau, let importance): return "rectgrad-const(\(tau), \(importance))"
        case .epsilonLRP(let eps): return "epsilon-lrp(\(eps))"
        case .deepLIFT: return "deeplift"
        }
    }

    /// Whether the library result must match bit for bit (rules that pass `R` or 0) at `kind`:
    /// outside the ReLU family every rule but DeconvNet multiplies by `f'(z)`, which the library
    /// evaluates in Float and the loops below in Double.
    func isExact(at kind: ActivationKind) -> Bool {
        switch self {
        case .epsilonLRP, .deepLIFT: return false
        case .deconvnet: return true
        default: return NaiveActivation.isReLUFamily(kind)
        }
    }

    /// The library's rule (DeepLIFT needs the reference pass).
    func libraryRule(reference: ReferenceActivations? = nil) throws -> any ActivationRule {
        switch self {
        case .gradient: return GradientRule()
        case .guided: return GuidedBackpropRule()
        case .deconvnet: return DeconvNetRule()
        case .rectGrad(let q, let importance, let interpolation):
            return try RectGradRule(percentile: q, importance: importance, interpolation: interpolation)
        case .rectGradConstant(let tau, let importance): return try RectGradConstantRule(tau: tau, importance: importance)
        case .epsilonLRP(let eps): return try EpsilonLRPRule(epsilon: eps)
        case .deepLIFT: return DeepLIFTRescaleRule().binding(reference ?? ReferenceActivations(values: [:]))
        }
    }

    /// The gradient handed to `z`. `reference` is `(z0, a0)` with the shape of `z` or of one example.
    func apply(kind: ActivationKind, z: Tensor, a: Tensor, r: Tensor, reference: (z0: Tensor, a0: Tensor)? = nil) -> Tensor {
        let count = z.count
        let batch = z.shape.first ?? 1
        let units = count / max(batch, 1)
        let reluFamily = NaiveActivation.isReLUFamily(kind)
        // R · f'(z) outside the ReLU family (the rule's pass-through, made a gradient), R inside.
        func passed(_ i: Int) -> Float {
            reluFamily ? r.scalars[i] : Float(Double(r.scalars[i]) * NaiveActivation.derivative(kind, z.scalars[i]))
        }
        var out = [Float](repeating: 0, count: count)
        switch self {
        case .gradient:
            for i in 0..<count {
                out[i] = Float(Double(r.scalars[i]) * NaiveActivation.derivative(kind, z.scalars[i]))
            }
        case .guided:
            if reluFamily {
                for i in 0..<count where z.scalars[i] > 0 && r.scalars[i] > 0 { out[i] = r.scalars[i] }
            } else {
                for i in 0..<count where r.scalars[i] > 0 { out[i] = passed(i) }
            }
        case .deconvnet:
            for i in 0..<count where r.scalars[i] > 0 { out[i] = r.scalars[i] }
        case .rectGrad(let q, let importance, let interpolation):
            for example in 0..<batch {
                let range = (example * units)..<((example + 1) * units)
                let scores = range.map { score(a.scalars[$0] * r.scalars[$0], importance) }
                let threshold = SortedPercentile.value(scores, percentile: q, interpolation: interpolation)
                for i in range where score(a.scalars[i] * r.scalars[i], importance) > threshold { out[i] = passed(i) }
            }
        case .rectGradConstant(let tau, let importance):
            for i in 0..<count where score(a.scalars[i] * r.scalars[i], importance) > tau { out[i] = passed(i) }
        case .epsilonLRP(let eps):
            for i in 0..<count {
                let zi = Double(z.scalars[i])
                let denominator = zi + Double(eps) * (zi >= 0 ? 1 : -1)
                out[i] = denominator == 0 ? 0 : Float(Double(r.scalars[i]) * Double(a.scalars[i]) / denominator)
            }
        case .deepLIFT:
            guard let (z0, a0) = reference else { return NaiveKernels.make(z.shape, out) }
            for i in 0..<count {
                let j = z0.count == count ? i : i % units
                let dz = z.scalars[i] - z0.scalars[j]
                if abs(dz) > 1e-5 {
                    out[i] = Float(Double(r.scalars[i]) * Double(a.scalars[i] - a0.scalars[j]) / Double(dz))
                } else if reluFamily {
                    out[i] = (z.scalars[i] + z0.scalars[j]) / 2 > 0 ? r.scalars[i] : 0
                } else {
                    out[i] = Float(Double(r.scalars[i]) * NaiveActivation.derivative(kind, (z.scalars[i] + z0.scalars[j]) / 2))
                }
            }
        }
        return NaiveKernels.make(z.shape, out)
    }

    private func score(_ value: Float, _ importance: ImportanceScore) -> Float {
        importance == .absolute ? abs(value) : value
    }
}
