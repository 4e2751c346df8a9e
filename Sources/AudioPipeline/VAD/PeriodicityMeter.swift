/// How periodic the first-formant band is: the peak of its normalized autocorrelation over
/// pitch lags (80-400 Hz) in the latest 20 ms. Voiced speech repeats at its pitch period and
/// scores 0.6-0.9 even well below the noise level in energy terms; white or pink noise in the
/// same band scores about 0.3. Energy alone cannot tell a vowel from a noise swell of the same
/// level; this can.
///
/// Cost model: the band signal (already filtered by the detector) is kept at 2 kHz, one sample
/// in `sampleRate / 2000`: 40 window samples, all 21 lags accumulated side by side in three SIMD8
/// vectors, the lagged window's energy slid along rather than recomputed; fixed storage. The
/// correlations are summed per half window, and with 10 ms frames a window's first half is the
/// previous window's second, so each frame correlates only its new 20 samples.
/// Decimating without a further lowpass lets the band's skirt above 1 kHz fold back; the score
/// only needs to tell periodic from not, and measured that way it does.
struct PeriodicityMeter: Sendable {
    static let rate = 2000
    /// 20 ms at 2 kHz: two periods of the lowest pitch.
    static let window = 40
    static let shortestLag = rate / 400
    static let longestLag = rate / 80
    /// Window plus the longest lag, rounded up to whole SIMD8 vectors.
    private static let kept = (window + longestLag + 7) / 8 * 8
    /// Room for the kept samples plus the largest frame (20 ms at 2 kHz).
    private static let capacity = 128

    /// Input samples per kept sample; the caller hands over one in `step`.
    let step: Int
    private var samples: InlineArray<128, Float> = .init(repeating: 0)
    private var count: Int
    /// The latest window's second half's correlations: the next window's first half when the
    /// frame is 10 ms (nil before the first frame).
    private var lastHalf: HalfWindowCorrelations?

    init(sampleRate: Int) {
        precondition(sampleRate % Self.rate == 0, "periodicity runs on a multiple of 2 kHz")
        self.step = sampleRate / Self.rate
        self.count = Self.kept
    }

    /// Adds one kept band-filtered sample (the first of every `step` input samples).
    @inline(__always)
    mutating func append(_ sample: Float) {
        samples[count] = sample
        count += 1
    }

    /// The peak normalized autocorrelation (0...1) of the latest window, then forgets all but
    /// what the next frame's window and lags need.
    mutating func measure() -> Float {
        precondition(count <= Self.capacity, "frame longer than 20 ms")
        let end = count
        // A window's first half was the last one's second when the frame is half a window.
        let reusable = end - Self.kept == Self.window / 2 ? lastHalf : nil
        let (score, newHalf) = samples.span.withUnsafeBufferPointer { buffer -> (Float, HalfWindowCorrelations) in
            let base = buffer.baseAddress! + end - Self.window
            let newHalf = HalfWindowCorrelations(base + Self.window / 2)
            let energy = Self.dot(base, base)
            guard energy > 0 else { return (0, newHalf) }
            let cross = (reusable ?? HalfWindowCorrelations(base)).adding(newHalf)
            var best: Float = 0
            var laggedEnergy = Self.dot(base - Self.shortestLag, base - Self.shortestLag)
            for lag in Self.shortestLag...Self.longestLag {
                let lagged = base - lag
                if lag > Self.shortestLag {
                    // Slide the lagged window one sample back: gain its new first, lose its old last.
                    laggedEnergy += lagged[0] * lagged[0] - lagged[Self.window] * lagged[Self.window]
                }
                let product = cross[Self.longestLag - lag]
                // Compare squares so no square root is needed per lag.
                guard product > 0, laggedEnergy > 0, product * product > best * best * energy * laggedEnergy else { continue }
                best = product / (energy * laggedEnergy).squareRoot()
            }
            return (best, newHalf)
        }
        lastHalf = newHalf
        var mutable = samples.mutableSpan
        mutable.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            base.update(from: base + end - Self.kept, count: Self.kept)
        }
        count = Self.kept
        return score
    }

    /// Dot product of two `window`-long runs (40 floats: five SIMD8 vectors).
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
        let x = UnsafeRawPointer(a)
        let y = UnsafeRawPointer(b)
        var sum = SIMD8<Float>()
        let stride = MemoryLayout<SIMD8<Float>>.size
        for vector in 0..<window / 8 {
            sum += x.loadUnaligned(fromByteOffset: vector * stride, as: SIMD8<Float>.self)
                * y.loadUnaligned(fromByteOffset: vector * stride, as: SIMD8<Float>.self)
        }
        return sum.sum()
    }
}

extension PeriodicityMeter {
    /// Half a window's correlation with itself at every lag at once: lane k holds lag
    /// `longestLag - k`. Each sample, broadcast, multiplies the 24 samples before it, so the lags
    /// add up side by side with no horizontal sum per lag.
    struct HalfWindowCorrelations {
        private var low = SIMD8<Float>(), middle = SIMD8<Float>(), high = SIMD8<Float>()

        /// The correlations of the `window / 2` samples from `base` with those before them.
        @inline(__always)
        init(_ base: UnsafePointer<Float>) {
            let raw = UnsafeRawPointer(base - PeriodicityMeter.longestLag)
            let stride = MemoryLayout<SIMD8<Float>>.size
            for n in 0..<PeriodicityMeter.window / 2 {
                let sample = SIMD8<Float>(repeating: base[n])
                let offset = n * MemoryLayout<Float>.size
                low += sample * raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                middle += sample * raw.loadUnaligned(fromByteOffset: offset + stride, as: SIMD8<Float>.self)
                high += sample * raw.loadUnaligned(fromByteOffset: offset + 2 * stride, as: SIMD8<Float>.self)
            }
        }

        /// The whole window's correlations, by lag as above.
        @inline(__always)
        func adding(_ other: Self) -> InlineArray<24, Float> {
            let (low, middle, high) = (self.low + other.low, self.middle + other.middle, self.high + other.high)
            var lanes: InlineArray<24, Float> = .init(repeating: 0)
            for lane in 0..<8 {
                lanes[lane] = low[lane]
                lanes[8 + lane] = middle[lane]
                lanes[16 + lane] = high[lane]
            }
            return lanes
        }
    }
}
