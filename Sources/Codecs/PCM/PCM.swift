/// Conversions between 16-bit linear PCM and the float samples the DSP kernels use.
///
/// Floats are full scale at 1.0 (Int16 / 32768). Converting back rounds half away from
/// zero and clamps, so overshoot from filtering saturates instead of wrapping.
public enum PCM {
    public static func convert(_ samples: UnsafeBufferPointer<Int16>, into floats: UnsafeMutableBufferPointer<Float>) {
        precondition(floats.count >= samples.count, "float output buffer too small")
        for index in 0..<samples.count {
            floats[index] = Float(samples[index]) * (1 / 32768)
        }
    }

    /// Converts 16-bit little-endian samples as they come off the wire (pcm16 from a model: any
    /// alignment, `bytes.count / 2` samples; a trailing odd byte is not read) to floats.
    ///
    /// Eight at a time: the scalar form assembles each sample from two byte loads, which the
    /// compiler does not vectorize, and it ran on every 20 ms of model audio (480 samples).
    public static func convert(littleEndian bytes: UnsafeRawBufferPointer, into floats: UnsafeMutableBufferPointer<Float>) {
        let count = bytes.count / 2
        precondition(floats.count >= count, "float output buffer too small")
        guard let input = bytes.baseAddress, let output = floats.baseAddress else { return }
        var index = 0
        #if _endian(little)
        while index + 8 <= count {
            let lanes = input.loadUnaligned(fromByteOffset: 2 * index, as: SIMD8<UInt16>.self)
            UnsafeMutableRawPointer(output + index).storeBytes(of: PCM.floats(fromInt16Bits: lanes), as: SIMD8<Float>.self)
            index += 8
        }
        #endif
        while index < count {
            let bits = UInt16(input.load(fromByteOffset: 2 * index, as: UInt8.self))
                | UInt16(input.load(fromByteOffset: 2 * index + 1, as: UInt8.self)) << 8
            output[index] = Float(Int16(bitPattern: bits)) * (1 / 32768)
            index += 1
        }
    }

    /// Int16 bit patterns to floats, exactly: `x + 32768` (0...65535, an unsigned add that wraps
    /// the sign away) in the low bits of 2^23 is the float 2^23 + x + 32768; subtracting that
    /// offset leaves x. Integer-to-float lane conversions go lane by lane; these ops do not.
    @inline(__always)
    static func floats(fromInt16Bits bits: SIMD8<UInt16>) -> SIMD8<Float> {
        let biased = SIMD8<UInt32>(truncatingIfNeeded: bits &+ 0x8000) | 0x4B00_0000
        return (unsafeBitCast(biased, to: SIMD8<Float>.self) - 8_421_376) * (1 / 32768)
    }

    public static func convert(_ floats: UnsafeBufferPointer<Float>, into samples: UnsafeMutableBufferPointer<Int16>) {
        precondition(samples.count >= floats.count, "Int16 output buffer too small")
        guard let input = floats.baseAddress, let output = samples.baseAddress else { return }
        let vectorCount = floats.count & ~7
        for start in stride(from: 0, to: vectorCount, by: 8) {
            let lanes = UnsafeRawPointer(input + start).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(output + start).storeBytes(of: SIMD8<Int16>(truncatingIfNeeded: int16Lanes(fromFloat: lanes)),
                                                               as: SIMD8<Int16>.self)
        }
        for index in vectorCount..<floats.count {
            output[index] = int16(fromFloat: input[index])
        }
    }

    /// ``int16(fromFloat:)`` on eight samples at once (as Int32 lanes, each in Int16's range):
    /// the scalar form's compare-and-branch chain keeps the compiler from vectorizing it.
    @inline(__always)
    static func int16Lanes(fromFloat samples: SIMD8<Float>) -> SIMD8<Int32> {
        let scaled = samples * 32768
        var clamped = scaled.replacing(with: 32767, where: scaled .> 32767)
        clamped.replace(with: -32768, where: clamped .< -32768)
        clamped.replace(with: 0, where: clamped .!= clamped)  // NaN
        let half = SIMD8<Float>(repeating: 0.5).replacing(with: -0.5, where: clamped .< 0)
        let whole = (clamped + half).rounded(.towardZero)
        // An integer-valued float under 2^22 plus 1.5 * 2^23 holds the integer in its low bits:
        // exact, and one vector add, where `SIMD8<Int32>(_:rounding:)` converts lane by lane.
        return unsafeBitCast(whole + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
    }

    @inline(__always)
    static func int16(fromFloat sample: Float) -> Int16 {
        // Written as compare-and-select so NaN lands on 0 instead of trapping the conversion.
        let scaled = sample * 32768
        let clamped = scaled > 32767 ? 32767 : (scaled >= -32768 ? scaled : (scaled < -32768 ? -32768 : 0))
        return Int16(clamped + (clamped >= 0 ? 0.5 : -0.5))
    }
}
