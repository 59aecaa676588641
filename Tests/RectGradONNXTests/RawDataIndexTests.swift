import Foundation
import Testing
import RectGradCore
import RectGradONNX

/// The importer decodes a model without its initializers' `raw_data` and reads those bytes from
/// the file instead (`ONNXRawDataIndex`). Byte-level cases are built by hand here; whole models
/// are imported both ways and must give the same network.
/// A length-delimited field (`number` below 16).
private func field(_ number: UInt8, _ payload: [UInt8]) -> [UInt8] {
    var bytes = [number << 3 | 2]
    var length = payload.count
    while length >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: length) | 0x80)
        length >>= 7
    }
    bytes.append(UInt8(length))
    return bytes + payload
}

/// A varint field.
private func varintField(_ number: UInt8, _ value: UInt8) -> [UInt8] { [number << 3, value] }

/// A float tensor's fields other than its elements: dims (field 1), data_type 1 (field 2), name (field 8).
private func tensorHeader(_ name: String, count: UInt8) -> [UInt8] {
    varintField(1, count) + varintField(2, 1) + field(8, Array(name.utf8))
}

private func scan(_ bytes: [UInt8]) -> ONNXRawDataIndex? {
    bytes.withUnsafeBytes { ONNXRawDataIndex.scan($0) }
}

private func varint(_ value: Int) -> [UInt8] {
    var value = UInt64(value), bytes: [UInt8] = []
    while value >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
        value >>= 7
    }
    return bytes + [UInt8(value)]
}

/// A float tensor type of the given shape (`TypeProto.tensor_type`).
private func floatType(_ shape: [Int]) -> [UInt8] {
    field(1, varintField(1, 1) + field(2, shape.flatMap { field(1, [0x08] + varint($0)) }))
}

@Suite struct RawDataIndexTests {
    @Test("initializers' raw data are located and left out; everything else is kept byte for byte")
    func handBuiltModel() throws {
        let header = varintField(1, 8) + field(8, varintField(2, 17))  // ir_version 8, opset_import {version 17}
        // Tensor a: two raw_data fields (the second counts); b: an empty one; c: elements in float_data.
        let rawA1: [UInt8] = [1, 2, 3, 4], rawA2: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]
        let a = tensorHeader("a", count: 2) + field(9, rawA1) + field(9, rawA2)
        let b = tensorHeader("b", count: 0) + field(9, [])
        let c = tensorHeader("c", count: 1) + field(4, [0, 0, 160, 64])
        // A Constant node (graph field 1) whose tensor attribute has raw data: not an initializer.
        let node = field(4, Array("Constant".utf8)) + field(5, field(1, Array("value".utf8)) + field(5, tensorHeader("k", count: 1) + field(9, [9, 9, 9, 9])))
        // The graph given twice: the decoder merges both (initializers a, then b and c).
        let firstGraph = field(5, a) + field(1, node) + field(2, Array("g".utf8))
        let secondGraph = field(5, b) + field(5, c)
        let model = header + field(7, firstGraph) + field(7, secondGraph) + field(14, Array("doc".utf8))

        let index = try #require(scan(model))
        #expect(index.initializerRawData.map { $0.map { Array(model[$0]) } } == [rawA2, [], nil])
        let expected = header
            + field(7, field(5, tensorHeader("a", count: 2)) + field(1, node) + field(2, Array("g".utf8)))
            + field(7, field(5, tensorHeader("b", count: 0)) + field(5, c))
            + field(14, Array("doc".utf8))
        #expect(Array(index.strippedModel) == expected)
    }

    @Test("a raw_data of more than 127 bytes, lengths rewritten in the graph and the model")
    func longerFields() throws {
        let raw = (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let tensor = tensorHeader("w", count: 100) + field(9, raw)
        let model = field(7, field(5, tensor) + field(2, Array("graph".utf8)))
        let index = try #require(scan(model))
        #expect(index.initializerRawData.map { $0.map { Array(model[$0]) } } == [raw])
        #expect(Array(index.strippedModel) == field(7, field(5, tensorHeader("w", count: 100)) + field(2, Array("graph".utf8))))
    }

    @Test("malformed bytes on the path to the initializers give no index; others are copied for the decoder")
    func malformed() throws {
        let good = field(7, field(5, tensorHeader("w", count: 1) + field(9, [0, 0, 128, 63])))
        #expect(scan(good) != nil)
        // Truncated anywhere: some length runs past the end.
        for cut in 1..<good.count {
            #expect(scan(Array(good.prefix(cut))) == nil, "cut at \(cut)")
        }
        // A group (wire type 3), field number 0, an eleven-byte varint, wire type 7.
        for bad: [UInt8] in [[0x3B], [0x02, 0x00], [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01], [0x0F]] {
            #expect(scan(bad) == nil, "\(bad)")
        }
        // A raw_data that is not length-delimited, and a graph field that is a varint, are kept.
        let oddTensor = tensorHeader("w", count: 1) + varintField(9, 1)
        let odd = field(7, field(5, oddTensor)) + varintField(7, 3)
        let index = try #require(scan(odd))
        #expect(index.initializerRawData == [nil])
        #expect(Array(index.strippedModel) == odd)
    }

    /// Fixtures with their initializers' elements in raw_data (and, in storage-float32, in float_data).
    static let models = ["tiny-cnn.onnx", "tiny-branches.onnx", "storage-float32.onnx", "storage-mixed.onnx", "ops/gelu-resize.onnx"]

    @Test("a model imported with its raw data read in place equals the model decoded whole", arguments: models)
    func wholeModels(_ name: String) throws {
        let bytes = try Data(contentsOf: try fixtureURL(name))
        let index = try #require(bytes.withUnsafeBytes { ONNXRawDataIndex.scan($0) })
        #expect(index.initializerRawData.contains { $0 != nil } == (name != "storage-float32.onnx"), "raw data where the fixture has them")
        let options = ONNXImportOptions(workers: Workers(count: 2))
        let inPlace = try ONNXImporter.importModel(serializedBytes: bytes, name: "m", options: options, readingRawDataInPlace: true)
        let decoded = try ONNXImporter.importModel(serializedBytes: bytes, name: "m", options: options, readingRawDataInPlace: false)
        let a = inPlace.model.network.parameters, b = decoded.model.network.parameters
        #expect(a.count == b.count && !a.isEmpty)
        #expect(a.map(\.name) == b.map(\.name))
        #expect(zip(a, b).allSatisfy { $0.value.shape == $1.value.shape && $0.value.scalars.elementsEqual($1.value.scalars) { $0.bitPattern == $1.bitPattern } })
        let input = Tensor.randomNormal([1] + [inPlace.model.network.inputChannels, inPlace.model.network.inputSize.height, inPlace.model.network.inputSize.width], seed: 3)
        #expect(try inPlace.model.network.logits(for: input) == decoded.model.network.logits(for: input))
    }

    @Test("a float initializer of millions of elements is copied in parts on the workers, bit for bit")
    func largeInitializerInParts() throws {
        // x [1, 1, 1024, 1100] → Flatten → MatMul with w [K, 2] → logits [1, 2]; w holds 2.25 M distinct
        // floats (two parts of at least 2²⁰ elements on two workers).
        let (height, width) = (1024, 1100)
        let k = height * width
        var raw = [UInt8]()
        raw.reserveCapacity(8 * k)
        for i in 0..<(2 * k) {
            withUnsafeBytes(of: (Float(i) * 0.25 - 1000).bitPattern.littleEndian) { raw.append(contentsOf: $0) }
        }
        let weight = [0x08] + varint(k) + [0x08, 2] + varintField(2, 1) + field(8, Array("w".utf8)) + field(9, raw)
        let flatten = field(1, Array("x".utf8)) + field(2, Array("f".utf8)) + field(4, Array("Flatten".utf8))
        let product = field(1, Array("f".utf8)) + field(1, Array("w".utf8)) + field(2, Array("y".utf8)) + field(4, Array("MatMul".utf8))
        let graph = field(1, flatten) + field(1, product) + field(2, Array("g".utf8)) + field(5, weight)
            + field(11, field(1, Array("x".utf8)) + field(2, floatType([1, 1, height, width])))
            + field(12, field(1, Array("y".utf8)) + field(2, floatType([1, 2])))
        let model = Data(varintField(1, 8) + field(8, varintField(2, 17)) + field(7, graph))

        let options = ONNXImportOptions(workers: Workers(count: 2))
        let inPlace = try ONNXImporter.importModel(serializedBytes: model, name: "m", options: options)
        let decoded = try ONNXImporter.importModel(serializedBytes: model, name: "m", options: ONNXImportOptions(workers: .serial), readingRawDataInPlace: false)
        // MatMul's right operand becomes a dense layer's weight [out, in]: element (j, i) is w[i, j].
        let w = try #require(inPlace.model.network.parameters.first { $0.value.count == 2 * k }?.value)
        #expect(w.shape == [2, k])
        #expect(w.scalars.enumerated().allSatisfy { flat, value in
            let (j, i) = flat.quotientAndRemainder(dividingBy: k)
            return value == Float(2 * i + j) * 0.25 - 1000
        })
        #expect(inPlace.model.network.parameters.map(\.value) == decoded.model.network.parameters.map(\.value))
    }
}
