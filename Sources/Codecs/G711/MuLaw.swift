/// ITU-T G.711 mu-law, bit-exact with the G.191 Software Tool Library.
///
/// The buffer functions are the API: they loop inside this module, so a caller in
/// another module pays one call per frame, not one per sample. None of them allocate.
public enum MuLaw {
    /// Encodes 16-bit linear samples; `codes` must hold at least `samples.count` bytes.
    public static func encode(_ samples: UnsafeBufferPointer<Int16>, into codes: UnsafeMutableBufferPointer<UInt8>) {
        precondition(codes.count >= samples.count, "mu-law output buffer too small")
        for index in 0..<samples.count {
            codes[index] = encode(samples[index])
        }
    }

    /// Encodes float samples in [-1, 1) (scaled by 32768, rounded, clamped).
    public static func encode(_ samples: UnsafeBufferPointer<Float>, into codes: UnsafeMutableBufferPointer<UInt8>) {
        precondition(codes.count >= samples.count, "mu-law output buffer too small")
        guard let input = samples.baseAddress, let output = codes.baseAddress else { return }
        let vectorCount = samples.count & ~7
        for start in stride(from: 0, to: vectorCount, by: 8) {
            let lanes = UnsafeRawPointer(input + start).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(output + start).storeBytes(of: encode(PCM.int16Lanes(fromFloat: lanes)), as: SIMD8<UInt8>.self)
        }
        for index in vectorCount..<samples.count {
            output[index] = encode(PCM.int16(fromFloat: input[index]))
        }
    }

    /// Decodes codes to 16-bit linear samples; `samples` must hold at least `codes.count` values.
    public static func decode(_ codes: UnsafeBufferPointer<UInt8>, into samples: UnsafeMutableBufferPointer<Int16>) {
        precondition(samples.count >= codes.count, "mu-law output buffer too small")
        decodeTable.withUnsafeBufferPointer { table in
            for index in 0..<codes.count {
                samples[index] = table[Int(codes[index])]
            }
        }
    }

    /// Decodes codes straight to floats in [-1, 1), skipping the Int16 step.
    public static func decode(_ codes: UnsafeBufferPointer<UInt8>, into samples: UnsafeMutableBufferPointer<Float>) {
        precondition(samples.count >= codes.count, "mu-law output buffer too small")
        floatDecodeTable.withUnsafeBufferPointer { table in
            for index in 0..<codes.count {
                samples[index] = table[Int(codes[index])]
            }
        }
    }

    /// The G.191 `ulaw_compress` of one sample. Negative inputs use the one's complement,
    /// which is what makes 508 boundary inputs differ from the Sun `g711.c` encoder.
    @inline(__always)
    static func encode(_ sample: Int16) -> UInt8 {
        let linear = Int32(sample)
        let magnitude = min((linear < 0 ? ~linear : linear) >> 2 &+ 33, 0x1FFF)
        // Segment 1...8: the position of the highest set bit above bit 5.
        let segment = Int32(32 - (magnitude >> 6).leadingZeroBitCount) &+ 1
        let highNibble = 8 &- segment
        let lowNibble = 0x0F &- ((magnitude >> segment) & 0x0F)
        let code = (highNibble << 4) | lowNibble
        return UInt8(truncatingIfNeeded: linear >= 0 ? code | 0x80 : code)
    }

    /// ``encode(_:)-(Int16)`` on eight samples (Int32 lanes in Int16's range). The segment is the
    /// highest set bit of `magnitude >> 6`, read from the exponent of its exact float value, as
    /// vector units have no per-lane leading-zero count; the shift by the segment is per lane.
    @inline(__always)
    static func encode(_ linear: SIMD8<Int32>) -> SIMD8<UInt8> {
        // Signs by arithmetic shift, not a lane mask: integer lane comparisons compile to a loop.
        let sign = linear &>> 31
        let ones = linear ^ sign
        let magnitude = pointwiseMin((ones &>> 2) &+ 33, SIMD8(repeating: 0x1FFF))
        let exponent = unsafeBitCast(SIMD8<Float>(magnitude &>> 6), to: SIMD8<Int32>.self) &>> 23
        let segment = pointwiseMax(exponent &- 126, SIMD8(repeating: 0)) &+ 1
        let lowNibble = 0x0F &- ((magnitude &>> segment) & 0x0F)
        let code = ((8 &- segment) &<< 4) | lowNibble
        return SIMD8<UInt8>(truncatingIfNeeded: code | (~sign & 0x80))
    }

    /// The linear value of one code (the classic expansion; 0x7F and 0xFF both give 0).
    static func decode(_ code: UInt8) -> Int16 {
        let inverted = Int32(~code)
        var magnitude = ((inverted & 0x0F) << 3) &+ 0x84
        magnitude <<= (inverted & 0x70) >> 4
        return Int16(inverted & 0x80 != 0 ? 0x84 &- magnitude : magnitude &- 0x84)
    }

    static let decodeTable: [Int16] = (0...255).map { decode(UInt8($0)) }
    static let floatDecodeTable: [Float] = decodeTable.map { Float($0) / 32768 }
}
