import Foundation
import Testing
import RectGradONNX

/// Every file of `Fixtures/malformed` (from `Scripts/fixtures/make_onnx_fixtures.py`) fails with
/// its own typed error that names what is wrong.
@Suite struct MalformedCorpusTests {
    func error(_ name: String) throws -> ONNXError {
        try #require(importError(try fixtureURL("malformed/\(name)")), "\(name) imported")
    }

    @Test func truncatedAndNonProtobufFilesAreMalformed() throws {
        for name in ["truncated.onnx", "not-protobuf.onnx"] {
            guard case .malformed(let path, _) = try error(name) else { Issue.record("\(name): \(try error(name))"); continue }
            #expect(path.hasSuffix(name))
        }
    }

    @Test func wrongAttributeTypeNamesTheNode() throws {
        guard case .invalidNode(let node, let reason) = try error("wrong-attribute-type.onnx") else { Issue.record("\(try error("wrong-attribute-type.onnx"))"); return }
        #expect(node == ONNXNodeContext(name: "conv", opType: "Conv", opset: 17))
        #expect(reason.contains("strides"))
    }

    @Test func wrongTensorTypesAndSizesNameTheTensor() throws {
        for name in ["wrong-tensor-type.onnx", "raw-size-mismatch.onnx", "absurd-dims.onnx", "external-data-escape.onnx"] {
            guard case .invalidTensor(let tensor, let reason) = try error(name) else { Issue.record("\(name): \(try error(name))"); continue }
            #expect(tensor == "W", "\(name): \(reason)")
        }
        let description = try error("external-data-escape.onnx").description
        #expect(description.contains("leaves the model's folder"))
    }

    @Test func unknownOperatorNamesNodeOpTypeAndOpset() throws {
        let error = try error("unknown-operator.onnx")
        guard case .unsupportedOperator(let node, _) = error else { Issue.record("\(error)"); return }
        #expect(node == ONNXNodeContext(name: "mystery", opType: "FancyActivation", opset: 17))
        #expect(error.description.contains("'mystery' (FancyActivation, opset 17)"))
    }

    @Test func cycleNamesItsNodes() throws {
        guard case .cycle(let nodes) = try error("cycle.onnx") else { Issue.record("\(try error("cycle.onnx"))"); return }
        #expect(Set(nodes).isSuperset(of: ["relu", "pool"]))
    }

    @Test func missingInitializerNamesTheValue() throws {
        guard case .missingValue(let node, let value) = try error("missing-initializer.onnx") else { Issue.record("\(try error("missing-initializer.onnx"))"); return }
        #expect(node.name == "conv" && value == "W")
    }

    @Test func shapeMismatchNamesTheNode() throws {
        guard case .invalidNode(let node, _) = try error("shape-mismatch.onnx") else { Issue.record("\(try error("shape-mismatch.onnx"))"); return }
        #expect(node.name == "conv" && node.opType == "Conv")
    }

    @Test func unsupportedOpsetBatchReshapeAndModelShapeAreRefused() throws {
        guard case .unsupportedOpset(_, 9, _) = try error("old-opset.onnx") else { Issue.record("\(try error("old-opset.onnx"))"); return }
        guard case .dynamicShape(let node, _) = try error("reshape-batch.onnx") else { Issue.record("\(try error("reshape-batch.onnx"))"); return }
        #expect(node.name == "reshape")
        guard case .invalidModel(let reason) = try error("not-logits.onnx") else { Issue.record("\(try error("not-logits.onnx"))"); return }
        #expect(reason.contains("[N, classes]"))
        guard case .invalidModel = try error("two-inputs.onnx") else { Issue.record("\(try error("two-inputs.onnx"))"); return }
    }

    @Test func everyPrefixOfAValidFileFailsCleanly() throws {
        let data = try Data(contentsOf: try fixtureURL("storage-float32.onnx"))
        for length in stride(from: 0, to: data.count, by: 7) {
            // Any typed error (or, rarely, a smaller valid model) — never a crash.
            _ = try? ONNXImporter.importModel(serializedBytes: data.prefix(length), name: "prefix")
        }
        #expect(throws: ONNXError.self) { try ONNXImporter.importModel(contentsOf: URL(fileURLWithPath: "/nonexistent/model.onnx")) }
    }
}
