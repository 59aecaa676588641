import Foundation
import RectGradONNX

/// One libFuzzer input: imported as an ONNX model (protobuf decoding, tensor decoding, graph
/// lowering and the import's forward pass), with small limits so that a valid but large graph
/// cannot exhaust memory. Any typed error is a pass; a crash, a trap, a sanitizer report, a leak
/// or an out-of-memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let limits = ONNXLimits(maximumFileBytes: 1 << 20, maximumTensorElements: 1 << 18, maximumRank: 6, maximumNodes: 256)
    _ = try? ONNXImporter.importModel(serializedBytes: Data(bytes: bytes, count: count), name: "fuzz", options: ONNXImportOptions(limits: limits))
    return 0
}
