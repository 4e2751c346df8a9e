import Foundation

/// A second-order IIR section (RBJ audio-EQ cookbook), transposed direct form II with the
/// output substituted into the state updates.
///
/// The textbook form, `y = b0 x + z1; z1 = b1 x - a1 y + z2; z2 = b2 x - a2 y`, puts three
/// dependent operations on the loop from one sample's state to the next (add, multiply,
/// subtract). With `y` substituted, `z1 = (b1 - a1 b0) x - a1 z1 + z2` and
/// `z2 = (b2 - a2 b0) x - a2 z1`: the same filter, two operations per sample on the loop, and
/// `y` off it. The VAD filters every sample through two of these in series, and on the x86-64
/// baseline (no FMA) that loop is most of its cost.
struct Biquad: Sendable {
    var b0: Float, b1: Float, b2: Float, a1: Float, a2: Float
    /// `b1 - a1 b0` and `b2 - a2 b0`, the input terms of the substituted state updates.
    let c1: Float, c2: Float
    var z1: Float = 0, z2: Float = 0

    init(b0: Double, b1: Double, b2: Double, a1: Double, a2: Double) {
        (self.b0, self.b1, self.b2, self.a1, self.a2) = (Float(b0), Float(b1), Float(b2), Float(a1), Float(a2))
        (c1, c2) = (Float(b1 - a1 * b0), Float(b2 - a2 * b0))
    }

    /// A constant-peak-gain bandpass centred geometrically between the two edges.
    static func bandpass(lowHz: Double, highHz: Double, sampleRate: Double) -> Biquad {
        let center = (lowHz * highHz).squareRoot()
        let q = center / (highHz - lowHz)
        let omega = 2 * Double.pi * center / sampleRate
        let alpha = sin(omega) / (2 * q)
        let a0 = 1 + alpha
        return Biquad(b0: alpha / a0, b1: 0, b2: -alpha / a0, a1: -2 * cos(omega) / a0, a2: (1 - alpha) / a0)
    }

    /// A Butterworth (Q = 1/sqrt 2) highpass.
    static func highpass(cornerHz: Double, sampleRate: Double) -> Biquad {
        let omega = 2 * Double.pi * cornerHz / sampleRate
        let alpha = sin(omega) / (2 * 0.5.squareRoot())
        let a0 = 1 + alpha
        let c = cos(omega)
        return Biquad(b0: (1 + c) / 2 / a0, b1: -(1 + c) / a0, b2: (1 + c) / 2 / a0, a1: -2 * c / a0, a2: (1 - alpha) / a0)
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float {
        let y = b0 * x + z1
        let nextZ1 = c1 * x - a1 * z1 + z2
        z2 = c2 * x - a2 * z1
        z1 = nextZ1
        return y
    }
}

/// Up to four biquads run side by side in the lanes of one SIMD vector: the same arithmetic
/// as four ``Biquad``s (in the same substituted form), at the cost of one.
struct BiquadBank: Sendable {
    var b0: SIMD4<Float>, c1: SIMD4<Float>, c2: SIMD4<Float>, a1: SIMD4<Float>, a2: SIMD4<Float>
    var z1 = SIMD4<Float>(), z2 = SIMD4<Float>()

    /// Lanes take `sections` in order; missing lanes pass nothing (all-zero coefficients).
    init(_ sections: [Biquad]) {
        precondition(sections.count <= 4, "a bank holds four sections")
        func lane(_ value: (Biquad) -> Float) -> SIMD4<Float> {
            var lanes = SIMD4<Float>()
            for (index, section) in sections.enumerated() { lanes[index] = value(section) }
            return lanes
        }
        b0 = lane(\.b0)
        c1 = lane(\.c1)
        c2 = lane(\.c2)
        a1 = lane(\.a1)
        a2 = lane(\.a2)
    }

    @inline(__always)
    mutating func process(_ x: Float) -> SIMD4<Float> {
        let input = SIMD4<Float>(repeating: x)
        let y = b0 * input + z1
        let nextZ1 = c1 * input - a1 * z1 + z2
        z2 = c2 * input - a2 * z1
        z1 = nextZ1
        return y
    }
}
