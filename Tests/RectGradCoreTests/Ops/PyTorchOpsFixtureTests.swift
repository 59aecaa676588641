import Foundation
import Testing
import RectGradCore

/// Forward values (and activation derivatives) against PyTorch, from the committed fixture
/// written by `Scripts/fixtures/make_ops_fixtures.py`.
@Suite("Ops against PyTorch (committed fixture)")
struct PyTorchOpsFixtureTests {
    static func document() throws -> [String: Any] {
        let base = try #require(Bundle.module.resourceURL, "the test bundle has no resources")
        let url = base.appendingPathComponent("Fixtures").appendingPathComponent("ops-forward.json")
        let data = try Data(contentsOf: url)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func floats(_ value: Any?) throws -> [Float] {
        try #require(value as? [Double], "not a number list").map { Float($0) }
    }

    static func ints(_ value: Any?) throws -> [Int] {
        try #require(value as? [Int], "not an integer list")
    }

    static func kind(_ entry: [String: Any]) throws -> ActivationKind {
        let parameters = entry["parameters"] as? [String: Any] ?? [:]
        func number(_ key: String) throws -> Float { Float(try #require(parameters[key] as? Double, "missing \(key)")) }
        switch try #require(entry["kind"] as? String) {
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "silu": return .silu
        case "gelu": return .gelu(parameters["approximation"] as? String == "tanh" ? .tanh : .erf)
        case "hard-sigmoid": return .hardSigmoid(alpha: try number("alpha"), beta: try number("beta"))
        case "hard-swish": return .hardSwish
        case "leaky-relu": return .leakyReLU(slope: try number("slope"))
        case "elu": return .elu(alpha: try number("alpha"))
        case "softplus": return .softplus
        case "clip": return .clip(lower: try number("lower"), upper: try number("upper"))
        case "relu6": return .relu6
        case let other: throw FixtureProblem(reason: "unknown kind \(other)")
        }
    }

    struct FixtureProblem: Error { var reason: String }

    @Test("every activation and its derivative match PyTorch (float32, autograd)")
    func activations() throws {
        let entries = try #require(try Self.document()["activations"] as? [[String: Any]])
        #expect(entries.count == 12)
        for entry in entries {
            let kind = try Self.kind(entry)
            let x = try Self.floats(entry["input"])
            let input = try Tensor(shape: [x.count], scalars: x)
            let expected = try Tensor(shape: [x.count], scalars: try Self.floats(entry["output"]))
            let derivative = try Tensor(shape: [x.count], scalars: try Self.floats(entry["derivative"]))
            expectClose(kind.forward(input), expected, absolute: 2e-6, relative: 2e-6, "\(kind) forward")
            expectClose(kind.derivative(input), derivative, absolute: 2e-6, relative: 2e-6, "\(kind) derivative")
            // Through the tape: the plain gradient of Σ f(x) is f'(x).
            expectClose(try activationGradient(z: input, upstream: Tensor(repeating: 1, shape: [x.count]), kind: kind, rules: .gradient),
                        derivative, absolute: 2e-6, relative: 2e-6, "\(kind) tape gradient")
        }
    }

    @Test("average and max pooling with ceil mode and both padding counts match PyTorch")
    func pooling() throws {
        let entries = try #require(try Self.document()["pooling"] as? [[String: Any]])
        #expect(entries.count == 9)
        for entry in entries {
            let shape = try Self.ints(entry["shape"])
            let x = try Tensor(shape: shape, scalars: try Self.floats(entry["input"]))
            let expected = try Tensor(shape: try Self.ints(entry["output_shape"]), scalars: try Self.floats(entry["output"]))
            let k = try #require(entry["kernel"] as? Int), s = try #require(entry["stride"] as? Int), p = try #require(entry["padding"] as? Int)
            let geometry = Pooling2DGeometry(kernel: .square(k), stride: .square(s), padding: .square(p), ceilMode: try #require(entry["ceil_mode"] as? Bool))
            let tape = Tape()
            let input = tape.input(x)
            let y = entry["op"] as? String == "max_pool2d"
                ? try tape.maxPool2d(input, geometry: geometry)
                : try tape.averagePool2d(input, geometry: geometry, countIncludesPadding: try #require(entry["count_include_pad"] as? Bool))
            expectClose(try tape.value(y), expected, absolute: 1e-6, relative: 1e-5, "\(entry["op"] ?? "") \(geometry)")
        }
    }

    @Test("broadcast arithmetic, softmax, Gemm and transpose match PyTorch")
    func others() throws {
        let entries = try #require(try Self.document()["other"] as? [[String: Any]])
        #expect(entries.count == 6)
        for entry in entries {
            let shapes = try #require(entry["shapes"] as? [[Int]])
            let inputs = try #require(entry["inputs"] as? [[Double]])
            let tape = Tape()
            var variables: [Variable] = []
            for (shape, values) in zip(shapes, inputs) {
                variables.append(tape.input(try Tensor(shape: shape, scalars: values.map { Float($0) })))
            }
            let op = try #require(entry["op"] as? String)
            let y: Variable = switch op {
            case "mul": try tape.multiply(variables[0], variables[1])
            case "sub": try tape.subtract(variables[0], variables[1])
            case "div": try tape.divide(variables[0], variables[1])
            case "softmax": try tape.softmax(variables[0], axis: try #require(entry["axis"] as? Int))
            case "gemm_transB": try tape.gemm(variables[0], variables[1], c: variables[2], options: GemmOptions(transposeB: true))
            case "transpose": try tape.transpose(variables[0], permutation: try Self.ints(entry["permutation"]))
            default: throw FixtureProblem(reason: "unknown op \(op)")
            }
            let expected = try Tensor(shape: try Self.ints(entry["output_shape"]), scalars: try Self.floats(entry["output"]))
            expectClose(try tape.value(y), expected, absolute: 1e-6, relative: 1e-5, Comment(rawValue: op))
        }
    }
}
