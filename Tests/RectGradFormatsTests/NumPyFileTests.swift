import Foundation
import Testing
import RectGradCore
import RectGradFormats

/// Builds `.npy` bytes by hand (version 1.0) from a header dictionary and raw data.
func npyBytes(header: String, data: [UInt8], major: UInt8 = 1) -> Data {
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    let text = Array((header + "\n").utf8)
    if major == 1 {
        bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8)]
    } else {
        bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8), 0, 0]
    }
    return Data(bytes + text + data)
}

func littleEndian(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
}

func littleEndian(_ values: [Double]) -> [UInt8] {
    values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt64($0))) } }
}

@Test func readsHandWrittenFloat32AndFloat64Arrays() throws {
    let f32 = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: littleEndian([1, 2, 3, 4, 5, -6.5] as [Float]))
    #expect(try NumPyFile.decode(f32) == Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, -6.5]))
    let f64 = npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", data: littleEndian([0.25, -1e-3, 1e30] as [Double]), major: 2)
    #expect(try NumPyFile.decode(f64) == Tensor(shape: [3], scalars: [0.25, Float(-1e-3), Float(1e30)]))
    let scalar = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", data: littleEndian([7] as [Float]))
    #expect(try NumPyFile.decode(scalar) == Tensor(scalar: 7))
    let empty = npyBytes(header: "{'shape': (0, 4), 'fortran_order': False, 'descr': '<f4'}", data: [])
    #expect(try NumPyFile.decode(empty).shape == [0, 4])
}

@Test(arguments: NumPyFile.ScalarType.allCases)
func roundTripsThroughEncodeAndDecode(type: NumPyFile.ScalarType) throws {
    let tensor = Tensor.randomNormal([2, 3, 4, 5], seed: 9)
    let data = NumPyFile.encode(tensor, as: type)
    // The data starts at a multiple of 64 bytes, as NumPy writes it.
    #expect((data.count - tensor.count * type.byteCount) % 64 == 0)
    #expect(try NumPyFile.decode(data) == tensor)
    #expect(try NumPyFile.decode(NumPyFile.encode(Tensor(scalar: 2), as: type)) == Tensor(scalar: 2))
    #expect(try NumPyFile.decode(NumPyFile.encode(Tensor.zeros([3]), as: type)) == Tensor.zeros([3]))
}

@Test func writesAndReadsFiles() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rectgrad-npy-\(UInt64.random(in: 0...UInt64.max)).npy")
    defer { try? FileManager.default.removeItem(at: url) }
    let tensor = Tensor.randomUniform([4, 10], seed: 1)
    try NumPyFile.write(tensor, to: url)
    #expect(try NumPyFile.read(contentsOf: url) == tensor)
    let missing = url.deletingLastPathComponent().appendingPathComponent("no-such-dir/x.npy")
    #expect {
        try NumPyFile.read(contentsOf: missing)
    } throws: { error in
        guard let error = error as? NumPyError, case .unreadable = error.reason else { return false }
        return error.file == missing.path
    }
}

@Test func refusesMalformedFiles() {
    func reason(_ data: Data) -> NumPyError.Reason? {
        do { _ = try NumPyFile.decode(data, source: "x.npy"); return nil } catch { return error.reason }
    }
    let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    #expect(reason(Data("not numpy at all".utf8)) == .notNumPy)
    let dataStart = 10 + good.utf8.count + 1
    #expect(reason(npyBytes(header: good, data: littleEndian([1] as [Float]))) == .truncated(expectedBytes: dataStart + 8, actualBytes: dataStart + 4))
    #expect(reason(npyBytes(header: good, data: littleEndian([1, 2, 3] as [Float]))) == .trailingBytes(4))
    #expect(reason(npyBytes(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data: littleEndian([1, 2] as [Float]))) == .unsupportedType(">f4"))
    #expect(reason(npyBytes(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", data: Array(repeating: 0, count: 8))) == .unsupportedType("<i8"))
    #expect(reason(npyBytes(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data: littleEndian([1, 2] as [Float]))) == .fortranOrder)
    #expect(reason(npyBytes(header: "{'descr': '<f4', 'shape': (2,), }", data: littleEndian([1, 2] as [Float])))
        == .malformedHeader("needs the keys 'descr', 'fortran_order' and 'shape'"))
    #expect(reason(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data: [])) != nil)
    #expect(reason(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", data: [])) != nil)
    #expect(reason(npyBytes(header: good, data: [], major: 4)) == .unsupportedVersion(major: 4, minor: 0))
    // A header length pointing past the end of the file.
    var lying = [UInt8](npyBytes(header: good, data: littleEndian([1, 2] as [Float])))
    lying[8] = 0x10; lying[9] = 0x27
    #expect(reason(Data(lying)) == .truncated(expectedBytes: 10_010, actualBytes: lying.count))
    // A header longer than NumPy's own limit is refused before it is read.
    lying[8] = 0xFF; lying[9] = 0xFF
    #expect(reason(Data(lying)) == .headerTooLarge(length: 65535, limit: 10_000))
    // Shapes whose element count overflows.
    #expect(reason(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", data: [])) != nil)
}

@Test func errorsNameTheFile() {
    let error = NumPyError(file: "in.npy", reason: .fortranOrder)
    #expect(error.description.hasPrefix("in.npy "))
    #expect(error.description.contains("Fortran"))
}

@Test func refusesHostileHeaders() {
    func reason(_ data: Data) -> NumPyError.Reason? {
        do { _ = try NumPyFile.decode(data, source: "hostile.npy"); return nil } catch { return error.reason }
    }
    // A version 2.0 header of 60,000 bytes (its 4-byte length allows 4 GB).
    let padded = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" + String(repeating: " ", count: 60_000)
    #expect(reason(npyBytes(header: padded, data: littleEndian([1] as [Float]), major: 2)) == .headerTooLarge(length: 60_058, limit: NumPyFile.maximumHeaderLength))
    // 65 dimensions, one more than NumPy allows.
    let deep = "(" + Array(repeating: "1", count: 65).joined(separator: ", ") + ")"
    #expect(reason(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': \(deep), }", data: littleEndian([1] as [Float])))
        == .malformedHeader("65 dimensions, more than 64"))
    // No elements, but extents whose product overflows: refused, so no stride of it can trap later.
    #expect(reason(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }", data: []))
        == .malformedHeader("shape [0, 4294967296, 4294967296] is too large"))
    // A 20-digit extent.
    guard case .malformedHeader? = reason(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", data: [])) else {
        Issue.record("an extent beyond Int must be refused")
        return
    }
}
