import Foundation
import RectGradFormats

/// One libFuzzer input: decoded as a safetensors file. Any typed error is a pass; a crash, a trap,
/// a sanitizer report, a leak or an out-of-memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? SafetensorsFile.decode(Data(bytes: bytes, count: count), source: "fuzz")
    return 0
}
