import Foundation

/// Typed access to a node's attributes; a wrong type or a missing required attribute is an
/// ``ONNXError/invalidNode(_:reason:)`` naming the node.
struct ONNXAttributes {
    let node: ONNXNodeContext
    private let byName: [String: Onnx_AttributeProto]

    init(_ proto: Onnx_NodeProto, context: ONNXNodeContext) throws(ONNXError) {
        node = context
        var byName: [String: Onnx_AttributeProto] = [:]
        for attribute in proto.attribute {
            guard byName[attribute.name] == nil else {
                throw .invalidNode(context, reason: "attribute '\(attribute.name)' is given twice")
            }
            if attribute.hasRefAttrName {
                throw .invalidNode(context, reason: "attribute '\(attribute.name)' refers to a function attribute, which is not supported")
            }
            byName[attribute.name] = attribute
        }
        self.byName = byName
    }

    /// Whether the attribute is present.
    func has(_ name: String) -> Bool { byName[name] != nil }

    private func attribute(_ name: String, _ type: Onnx_AttributeProto.AttributeType) throws(ONNXError) -> Onnx_AttributeProto? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == type || attribute.type == .undefined else {
            throw .invalidNode(node, reason: "attribute '\(name)' has type \(attribute.type), expected \(type)")
        }
        return attribute
    }

    func int(_ name: String) throws(ONNXError) -> Int? {
        guard let attribute = try attribute(name, .int) else { return nil }
        guard let value = Int(exactly: attribute.i) else { throw .invalidNode(node, reason: "attribute '\(name)' is out of range") }
        return value
    }

    func int(_ name: String, default value: Int) throws(ONNXError) -> Int { try int(name) ?? value }

    func ints(_ name: String) throws(ONNXError) -> [Int]? {
        guard let attribute = try attribute(name, .ints) else { return nil }
        guard attribute.ints.count <= 64 else { throw .invalidNode(node, reason: "attribute '\(name)' has \(attribute.ints.count) values") }
        var values: [Int] = []
        for value in attribute.ints {
            guard let converted = Int(exactly: value), abs(converted) <= 1 << 40 else {
                throw .invalidNode(node, reason: "attribute '\(name)' holds the absurd value \(value)")
            }
            values.append(converted)
        }
        return values
    }

    func float(_ name: String) throws(ONNXError) -> Float? {
        try attribute(name, .float)?.f
    }

    func float(_ name: String, default value: Float) throws(ONNXError) -> Float { try float(name) ?? value }

    func floats(_ name: String) throws(ONNXError) -> [Float]? {
        try attribute(name, .floats)?.floats
    }

    func string(_ name: String) throws(ONNXError) -> String? {
        guard let attribute = try attribute(name, .string) else { return nil }
        guard let text = String(data: attribute.s, encoding: .utf8) else {
            throw .invalidNode(node, reason: "attribute '\(name)' is not UTF-8")
        }
        return text
    }

    func tensor(_ name: String) throws(ONNXError) -> Onnx_TensorProto? {
        try attribute(name, .tensor)?.t
    }
}
