import RectGradCore
import RectGradLayers

/// An imported ONNX graph as one layer: its operations run in topological order on the tape,
/// each value kept until the end of the pass (branches and residual connections read them).
public struct ONNXGraphLayer: Layer {
    public var name: String
    /// The operations in a topological order.
    public var operations: [ONNXOperation]
    /// The number of values (graph input included).
    public var valueCount: Int
    /// The index of the value returned (the logits).
    public var outputValue: Int

    /// Creates a graph layer; `operations` must be topologically ordered and every input index
    /// written before it is read (the importer guarantees both).
    public init(name: String, operations: [ONNXOperation], valueCount: Int, outputValue: Int) {
        self.name = name
        self.operations = operations
        self.valueCount = valueCount
        self.outputValue = outputValue
    }

    public func forward(_ input: Variable, on tape: Tape) throws -> Variable {
        var values = [Variable?](repeating: nil, count: valueCount)
        values[0] = input
        for operation in operations {
            let inputs = try operation.inputs.map { index -> Variable in
                guard values.indices.contains(index), let value = values[index] else {
                    throw ONNXError.invalidModel(reason: "operation '\(operation.name)' reads value \(index) before it is written")
                }
                return value
            }
            values[operation.output] = try operation.step.record(inputs, name: operation.name, on: tape)
        }
        guard values.indices.contains(outputValue), let output = values[outputValue] else {
            throw ONNXError.invalidModel(reason: "the graph's output is never written")
        }
        return output
    }

    public var parameters: [NamedParameter] {
        operations.flatMap { $0.step.parameters(node: $0.name) }
    }

    public func replacingParameters(_ values: [String: Tensor]) throws -> any Layer {
        var copy = self
        copy.operations = try operations.map { operation in
            var replaced = operation
            switch operation.step {
            case .convolution(let weight, let bias, let geometry):
                replaced.step = .convolution(
                    weight: try Self.replacement("\(operation.name).weight", weight, values),
                    bias: try bias.map { try Self.replacement("\(operation.name).bias", $0, values) },
                    geometry: geometry)
            case .dense(let weight, let bias):
                replaced.step = .dense(
                    weight: try Self.replacement("\(operation.name).weight", weight, values),
                    bias: try bias.map { try Self.replacement("\(operation.name).bias", $0, values) })
            default: break
            }
            return replaced
        }
        return copy
    }

    private static func replacement(_ name: String, _ current: Tensor, _ values: [String: Tensor]) throws(LayerError) -> Tensor {
        guard let value = values[name] else { throw .missingParameter(name) }
        guard value.shape == current.shape else { throw .parameterShapeMismatch(name: name, expected: current.shape, actual: value.shape) }
        return value
    }
}
