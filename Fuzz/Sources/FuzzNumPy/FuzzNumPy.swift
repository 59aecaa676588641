import Foundation
import RectGradFormats

/// One libFuzzer input: decoded as a NumPy `.npy` file. Any typed error is a pass.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumPy(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? NumPyFile.decode(Data(bytes: bytes, count: count), source: "fuzz")
    return 0
}
