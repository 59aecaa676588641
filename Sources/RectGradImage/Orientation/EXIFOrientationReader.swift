/// Finds the EXIF `Orientation` tag of a JPEG without decoding it: walks the marker segments up to
/// the first scan, and in an `APP1` segment starting with `Exif\0\0` reads IFD0 of the TIFF
/// structure (either byte order) for tag 0x0112.
///
/// Malformed or absent metadata gives `nil` (the image then counts as upright, as in Pillow):
/// every offset is checked against the segment before it is read.
enum EXIFOrientationReader {
    static func orientation(inJPEG bytes: UnsafeBufferPointer<UInt8>) -> ImageOrientation? {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var position = 2
        while position + 4 <= bytes.count {
            guard bytes[position] == 0xFF else { return nil }
            let marker = bytes[position + 1]
            if marker == 0xFF { position += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { position += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan / end of image
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            guard length >= 2, position + 2 + length <= bytes.count else { return nil }
            let segment = UnsafeBufferPointer(rebasing: bytes[(position + 4)..<(position + 2 + length)])
            if marker == 0xE1, let orientation = orientation(inAPP1: segment) { return orientation }
            position += 2 + length
        }
        return nil
    }

    /// The orientation in an `APP1` payload, if it is EXIF and has one.
    static func orientation(inAPP1 segment: UnsafeBufferPointer<UInt8>) -> ImageOrientation? {
        let signature: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]  // "Exif\0\0"
        guard segment.count >= signature.count + 8, Array(segment.prefix(6)) == signature else { return nil }
        let tiff = UnsafeBufferPointer(rebasing: segment[6...])
        let bigEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): bigEndian = false  // "II"
        case (0x4D, 0x4D): bigEndian = true   // "MM"
        default: return nil
        }
        func read16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= tiff.count else { return nil }
            let a = Int(tiff[offset]), b = Int(tiff[offset + 1])
            return bigEndian ? a << 8 | b : b << 8 | a
        }
        func read32(_ offset: Int) -> Int? {
            guard let high = read16(bigEndian ? offset : offset + 2), let low = read16(bigEndian ? offset + 2 : offset) else { return nil }
            return high << 16 | low
        }
        guard read16(2) == 42, let ifd = read32(4), let count = read16(ifd) else { return nil }
        for index in 0..<count {
            let entry = ifd + 2 + 12 * index
            guard let tag = read16(entry) else { return nil }
            guard tag == 0x0112 else { continue }
            // SHORT (type 3), one value, stored in the first two bytes of the value field.
            guard read16(entry + 2) == 3, read32(entry + 4) == 1, let value = read16(entry + 8) else { return nil }
            return ImageOrientation(rawValue: value)
        }
        return nil
    }
}
