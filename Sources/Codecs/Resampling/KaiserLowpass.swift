import Foundation

/// Designs the linear-phase lowpass prototype behind ``Resampler``: a windowed sinc
/// with a Kaiser window, sized from the transition width and stopband attenuation
/// with Kaiser's formulas.
struct KaiserLowpass {
    /// Cutoff (the middle of the transition band) as a fraction of the prototype's rate.
    let cutoff: Double
    /// Transition band width as a fraction of the prototype's rate.
    let transitionWidth: Double
    /// Stopband attenuation the window is sized for, in dB (passband ripple follows: same delta).
    let attenuationDB: Double

    /// Kaiser's estimate of the taps needed for ``attenuationDB`` across ``transitionWidth``.
    var minimumLength: Int {
        Int(((attenuationDB - 7.95) / (2.285 * 2 * Double.pi * transitionWidth)).rounded(.up)) + 1
    }

    /// The window shape parameter for ``attenuationDB`` (Kaiser, 1974).
    var beta: Double {
        if attenuationDB > 50 { return 0.1102 * (attenuationDB - 8.7) }
        if attenuationDB >= 21 {
            return 0.5842 * pow(attenuationDB - 21, 0.4) + 0.07886 * (attenuationDB - 21)
        }
        return 0
    }

    /// The `length` taps of the filter, scaled to a DC gain of `gain`.
    func taps(length: Int, gain: Double) -> [Double] {
        let center = Double(length - 1) / 2
        let window = KaiserWindow(beta: beta, length: length)
        var taps = (0..<length).map { index -> Double in
            let t = Double(index) - center
            let sinc = t == 0 ? 2 * cutoff : sin(2 * Double.pi * cutoff * t) / (Double.pi * t)
            return sinc * window.value(at: index)
        }
        let sum = taps.reduce(0, +)
        for index in taps.indices { taps[index] *= gain / sum }
        return taps
    }
}

/// The Kaiser window w(n) = I0(beta * sqrt(1 - (2n/(N-1) - 1)^2)) / I0(beta).
struct KaiserWindow {
    let beta: Double
    let length: Int

    func value(at index: Int) -> Double {
        guard length > 1 else { return 1 }
        let ratio = 2 * Double(index) / Double(length - 1) - 1
        return Self.besselI0(beta * (1 - ratio * ratio).squareRoot()) / Self.besselI0(beta)
    }

    /// Zeroth-order modified Bessel function of the first kind, by its power series
    /// (converges quickly for the beta values a filter uses).
    static func besselI0(_ x: Double) -> Double {
        var sum = 1.0
        var term = 1.0
        let quarterSquare = x * x / 4
        var k = 1.0
        while term > sum * 1e-17 {
            term *= quarterSquare / (k * k)
            sum += term
            k += 1
        }
        return sum
    }
}
