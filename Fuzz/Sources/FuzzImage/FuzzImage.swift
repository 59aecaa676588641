import Foundation
import RectGradImage

/// Two option sets, chosen by the input's length, so that both alpha paths, EXIF orientation and
/// libjpeg's damage repair are reached. The pixel limit keeps one input well under a second.
private let optionSets = [
    ImageDecoding.Options(maximumPixelCount: 4 << 20),
    ImageDecoding.Options(maximumPixelCount: 4 << 20, alpha: .drop, jpegDamage: .tolerate, orientation: .applyEXIF),
]

/// One libFuzzer input: its header read, then decoded as PNG or JPEG (libpng / libjpeg behind
/// the C bridge). Any typed error is a pass.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    let options = optionSets[count % 2]
    _ = try? ImageDecoding.header(of: data, options: options)
    _ = try? ImageDecoding.decode(data: data, options: options)
    return 0
}
