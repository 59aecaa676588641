import RectGradCore

extension ONNXStep {
    /// An upper bound on the elements of the step's output for inputs of `shapes`, computed
    /// without overflow (`Int.max` when it would overflow), so that absurd sizes are refused
    /// before anything is allocated.
    func outputElementBound(_ shapes: [[Int]]) -> Int {
        func product(_ values: [Int]) -> Int {
            values.reduce(1) { total, value in
                let (result, overflow) = total.multipliedReportingOverflow(by: max(value, 0))
                return overflow ? Int.max : result
            }
        }
        func sum(_ a: Int, _ b: Int) -> Int {
            let (result, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : result
        }
        let first = shapes.first ?? []
        switch self {
        case .convolution(let weight, _, let geometry):
            guard first.count == 4 else { return product(first) }
            return product([first[0], weight.shape.first ?? 1,
                            sum(first[2], 2 * geometry.padding.height), sum(first[3], 2 * geometry.padding.width)])
        case .dense(let weight, _):
            return product([first.first ?? 1, weight.shape.first ?? 1])
        case .maxPool(let geometry), .averagePool(let geometry, _):
            guard first.count == 4 else { return product(first) }
            return product([first[0], first[1], sum(first[2], 2 * geometry.padding.height + 1), sum(first[3], 2 * geometry.padding.width + 1)])
        case .pad(let before, let after, _):
            guard before.count == first.count, after.count == first.count else { return product(first) }
            return product(first.indices.map { sum(sum(first[$0], before[$0]), after[$0]) })
        case .concatenate:
            return shapes.reduce(0) { sum($0, product($1)) }
        case .arithmetic, .arithmeticWithConstant:
            let other = shapes.count > 1 ? shapes[1] : {
                if case .arithmeticWithConstant(_, let constant, _) = self { return constant.shape }
                return []
            }()
            let rank = max(first.count, other.count)
            let a = [Int](repeating: 1, count: rank - first.count) + first
            let b = [Int](repeating: 1, count: rank - other.count) + other
            return product(zip(a, b).map { max($0, $1) })
        case .reshape(let trailing):
            return product([first.first ?? 1] + trailing)
        case .resample(let height, let width):
            return product([first.first ?? 1, first.count > 1 ? first[1] : 1, height.outputExtent, width.outputExtent])
        case .channelAffine, .activation, .localResponseNormalization, .globalAveragePool, .add, .identity, .transpose, .softmax:
            return product(first)
        }
    }
}
