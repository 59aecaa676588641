import Foundation
import RectGradFormats

/// One libFuzzer input: decoded as a PyTorch `.pth` checkpoint (zip or legacy format, chosen by
/// the first bytes). Any typed error is a pass.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPyTorch(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? PyTorchCheckpoint.decode(Data(bytes: bytes, count: count), source: "fuzz")
    return 0
}
