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
