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
        for index in 0..<floats.count {
            samples[index] = int16(fromFloat: floats[index])
        }
    }

    @inline(__always)
    static func int16(fromFloat sample: Float) -> Int16 {
        // Written as compare-and-select so NaN lands on 0 instead of trapping the conversion.
        let scaled = sample * 32768
        let clamped = scaled > 32767 ? 32767 : (scaled >= -32768 ? scaled : (scaled < -32768 ? -32768 : 0))
        return Int16(clamped + (clamped >= 0 ? 0.5 : -0.5))
    }
}
