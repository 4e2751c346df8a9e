/// ITU-T G.711 A-law, bit-exact with the G.191 Software Tool Library.
///
/// Same shape as ``MuLaw``: buffer functions only across the module boundary, no allocation.
public enum ALaw {
    /// Encodes 16-bit linear samples; `codes` must hold at least `samples.count` bytes.
    public static func encode(_ samples: UnsafeBufferPointer<Int16>, into codes: UnsafeMutableBufferPointer<UInt8>) {
        precondition(codes.count >= samples.count, "A-law output buffer too small")
        for index in 0..<samples.count {
            codes[index] = encode(samples[index])
        }
    }

    /// Decodes codes to 16-bit linear samples; `samples` must hold at least `codes.count` values.
    public static func decode(_ codes: UnsafeBufferPointer<UInt8>, into samples: UnsafeMutableBufferPointer<Int16>) {
        precondition(samples.count >= codes.count, "A-law output buffer too small")
        decodeTable.withUnsafeBufferPointer { table in
            for index in 0..<codes.count {
                samples[index] = table[Int(codes[index])]
            }
        }
    }

    /// The G.191 `alaw_compress` of one sample: 12-bit magnitude (one's complement for
    /// negative inputs), segment and mantissa, sign bit set for non-negative, even bits inverted.
    @inline(__always)
    static func encode(_ sample: Int16) -> UInt8 {
        let linear = Int32(sample)
        var magnitude = (linear < 0 ? ~linear : linear) >> 4
        if magnitude > 15 {
            // Exponent 1...7 from the highest set bit; the mantissa is the next four bits.
            let exponent = Int32(32 - magnitude.leadingZeroBitCount) &- 4
            magnitude = ((magnitude >> (exponent &- 1)) &- 16) &+ (exponent << 4)
        }
        if linear >= 0 { magnitude |= 0x80 }
        return UInt8(truncatingIfNeeded: magnitude ^ 0x55)
    }

    /// The linear value of one code.
    static func decode(_ code: UInt8) -> Int16 {
        let toggled = Int32(code ^ 0x55)
        var magnitude = (toggled & 0x0F) << 4
        let segment = (toggled & 0x70) >> 4
        switch segment {
        case 0: magnitude &+= 8
        case 1: magnitude &+= 0x108
        default: magnitude = (magnitude &+ 0x108) << (segment &- 1)
        }
        return Int16(toggled & 0x80 != 0 ? magnitude : -magnitude)
    }

    static let decodeTable: [Int16] = (0...255).map { decode(UInt8($0)) }
}
