import Foundation

/// A second-order IIR section (RBJ audio-EQ cookbook), transposed direct form II.
struct Biquad: Sendable {
    var b0: Float, b1: Float, b2: Float, a1: Float, a2: Float
    var z1: Float = 0, z2: Float = 0

    /// A constant-peak-gain bandpass centred geometrically between the two edges.
    static func bandpass(lowHz: Double, highHz: Double, sampleRate: Double) -> Biquad {
        let center = (lowHz * highHz).squareRoot()
        let q = center / (highHz - lowHz)
        let omega = 2 * Double.pi * center / sampleRate
        let alpha = sin(omega) / (2 * q)
        let a0 = 1 + alpha
        return Biquad(b0: Float(alpha / a0), b1: 0, b2: Float(-alpha / a0),
                      a1: Float(-2 * cos(omega) / a0), a2: Float((1 - alpha) / a0))
    }

    /// A Butterworth (Q = 1/sqrt 2) highpass.
    static func highpass(cornerHz: Double, sampleRate: Double) -> Biquad {
        let omega = 2 * Double.pi * cornerHz / sampleRate
        let alpha = sin(omega) / (2 * 0.5.squareRoot())
        let a0 = 1 + alpha
        let c = cos(omega)
        return Biquad(b0: Float((1 + c) / 2 / a0), b1: Float(-(1 + c) / a0), b2: Float((1 + c) / 2 / a0),
                      a1: Float(-2 * c / a0), a2: Float((1 - alpha) / a0))
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float {
        let y = b0 * x + z1
        z1 = b1 * x - a1 * y + z2
        z2 = b2 * x - a2 * y
        return y
    }
}

/// Up to four biquads run side by side in the lanes of one SIMD vector: the same arithmetic
/// as four ``Biquad``s, at the cost of one.
struct BiquadBank: Sendable {
    var b0: SIMD4<Float>, b1: SIMD4<Float>, b2: SIMD4<Float>, a1: SIMD4<Float>, a2: SIMD4<Float>
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
        b1 = lane(\.b1)
        b2 = lane(\.b2)
        a1 = lane(\.a1)
        a2 = lane(\.a2)
    }

    @inline(__always)
    mutating func process(_ x: Float) -> SIMD4<Float> {
        let input = SIMD4<Float>(repeating: x)
        let y = b0 * input + z1
        z1 = b1 * input - a1 * y + z2
        z2 = b2 * input - a2 * y
        return y
    }
}
