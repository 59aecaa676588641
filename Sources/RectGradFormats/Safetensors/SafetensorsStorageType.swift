/// The element types ``SafetensorsFile`` writes tensors as.
public enum SafetensorsStorageType: String, Sendable, Hashable, CaseIterable {
    /// IEEE 754 binary32: every Float32 exactly.
    case f32 = "F32"
    /// IEEE 754 binary16: half the bytes, 11 significant bits, largest finite value 65504.
    case f16 = "F16"
    /// bfloat16: half the bytes, Float32's range, 8 significant bits.
    case bf16 = "BF16"

    /// Bytes per element.
    public var byteCount: Int { self == .f32 ? 4 : 2 }

    /// The little-endian bytes of `values` in this type; `tensor` names them in errors.
    func littleEndianBytes(of values: UnsafeBufferPointer<Float>, tensor: String) throws(WeightsError.Reason) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: values.count * byteCount)
        for (i, value) in values.enumerated() {
            switch self {
            case .f32:
                let bits = value.bitPattern
                for k in 0..<4 { bytes[4 * i + k] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(k))) }
            case .f16, .bf16:
                let bits = self == .f16 ? HalfPrecision.half(from: value) : HalfPrecision.bfloat(from: value)
                if value.isFinite && Self.isInfinite(bits, self) {
                    throw .notRepresentable(tensor: tensor, dtype: rawValue, value: value)
                }
                bytes[2 * i] = UInt8(truncatingIfNeeded: bits)
                bytes[2 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
            }
        }
        return bytes
    }

    private static func isInfinite(_ bits: UInt16, _ type: SafetensorsStorageType) -> Bool {
        type == .f16 ? bits & 0x7FFF == 0x7C00 : bits & 0x7FFF == 0x7F80
    }
}

extension HalfPrecision {
    /// The binary16 bit pattern nearest to `value` (ties to even; overflow to infinity; NaN stays
    /// a quiet NaN).
    static func half(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF { return sign | (mantissa == 0 ? 0x7C00 : 0x7E00) }
        // The value as an integer multiple of 2^-24 (the smallest subnormal half) when it is small,
        // else rounded at the 13 low mantissa bits.
        let unbiased = exponent - 127
        if unbiased < -14 {
            // Subnormal (or zero) half: round |value| / 2^-24 to an integer, ties to even.
            guard unbiased >= -25 else { return sign }  // below half the smallest subnormal: ±0
            let significand = mantissa | 0x80_0000            // 24 bits, value = significand · 2^(unbiased − 23)
            let shift = UInt32(-unbiased - 1)                 // to units of 2^-24: divide by 2^(−unbiased − 1)
            return sign | UInt16(roundShift(significand, by: shift))
        }
        // Normal half: keep 10 mantissa bits, rounding the 13 dropped ones (a carry may raise the
        // exponent, up to infinity).
        let rounded = roundShift((UInt32(unbiased + 15) << 23) | mantissa, by: 13)
        return rounded >= 0x7C00 ? sign | 0x7C00 : sign | UInt16(rounded)
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even; overflow to infinity; NaN stays
    /// a quiet NaN).
    static func bfloat(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: roundShift(bits, by: 16))  // a carry into the sign bit cannot happen below NaN
    }

    /// `value >> shift`, rounded to nearest with ties to even.
    private static func roundShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        guard shift > 0 else { return value }
        guard shift < 32 else { return 0 }
        let truncated = value >> shift
        let remainder = value & ((1 << shift) - 1)
        let half = UInt32(1) << (shift - 1)
        if remainder > half || (remainder == half && truncated & 1 == 1) { return truncated + 1 }
        return truncated
    }
}
