import Synchronization

/// A streaming polyphase resampler between 8, 16, 24 and 48 kHz (any rational pair works).
///
/// The ratio is reduced to L/M; the lowpass prototype runs at L x the input rate and is
/// split into L phases of `tapsPerPhase` taps, so each output sample costs one dot product
/// of `tapsPerPhase` floats, and the samples the upsampler would zero-stuff are never touched.
///
/// State (input history and the integer phase) carries across calls, so cutting the input
/// into chunks of any size gives exactly the samples one call over the whole signal gives.
///
/// Cost model: `init` allocates a history of `tapsPerPhase - 1 + blockSize` floats and 16
/// spare (the coefficients are designed once per ratio and quality and shared by every
/// resampler, see ``CoefficientCache``); ``process(_:into:)`` allocates nothing and copies each
/// input sample into the history once.
public struct Resampler: Sendable {
    /// The filter's quality targets, relative to the lower of the two rates.
    public struct Quality: Sendable, Equatable {
        /// End of the flat band, as a fraction of the lower rate (0.45: 3.6 kHz at 8 kHz).
        public var passbandEdge: Double
        /// Start of the rejected band, as a fraction of the lower rate (0.55: 4.4 kHz at 8 kHz,
        /// so nothing can alias or image into the passband).
        public var stopbandEdge: Double
        /// Stopband attenuation in dB; the Kaiser design keeps passband ripple at the same delta.
        public var attenuationDB: Double

        /// Telephony default: flat to 0.45 of the lower rate, at least 80 dB of rejection.
        public static let telephony = Quality(passbandEdge: 0.45, stopbandEdge: 0.55, attenuationDB: 85)

        public init(passbandEdge: Double, stopbandEdge: Double, attenuationDB: Double) {
            self.passbandEdge = passbandEdge
            self.stopbandEdge = stopbandEdge
            self.attenuationDB = attenuationDB
        }
    }

    public let inputRate: Int
    public let outputRate: Int
    /// Interpolation factor L of the reduced ratio L/M.
    let upFactor: Int
    /// Decimation factor M of the reduced ratio L/M.
    let downFactor: Int
    /// Taps applied per output sample, a multiple of the SIMD width (leading taps may be zero).
    let tapsPerPhase: Int
    /// Input samples the history accepts per internal block.
    let blockSize: Int
    /// The filter's group delay, in output samples (an integer by construction).
    public let delayInOutputSamples: Int

    /// Phase-major coefficients: phase p's taps, oldest input first, at `p * tapsPerPhase`
    /// (immutable, shared with every resampler of the same ratio and quality).
    private let coefficients: [Float]
    /// The last `tapsPerPhase - 1` inputs, then the current block, then ``windowsPerRun`` spare
    /// samples (read, never used, by a partial upsampling run).
    private var history: [Float]
    /// Samples valid in ``history``.
    private var filled: Int
    /// Index in ``history`` of the oldest sample of the next output's window.
    private var windowStart: Int
    /// The next output's phase, 0..<upFactor.
    private var phase: Int

    /// The largest L or M of a reduced ratio this resampler takes (44.1 <-> 48 kHz is 160/147).
    public static let maximumRatioTerm = 640

    /// Whether ``init(from:to:quality:blockSize:)`` accepts this pair of rates.
    public static func supports(from inputRate: Int, to outputRate: Int) -> Bool {
        guard inputRate > 0, outputRate > 0 else { return false }
        let divisor = greatestCommonDivisor(inputRate, outputRate)
        return outputRate / divisor <= maximumRatioTerm && inputRate / divisor <= maximumRatioTerm
    }

    /// Creates a resampler; the pair of rates must satisfy ``supports(from:to:)``.
    public init(from inputRate: Int, to outputRate: Int, quality: Quality = .telephony, blockSize: Int = 960) {
        precondition(Self.supports(from: inputRate, to: outputRate), "unsupported rate pair \(inputRate) -> \(outputRate)")
        let divisor = Self.greatestCommonDivisor(inputRate, outputRate)
        let up = outputRate / divisor
        let down = inputRate / divisor
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.upFactor = up
        self.downFactor = down
        self.blockSize = blockSize

        let prototypeRate = Double(inputRate * up)
        let lowerRate = Double(min(inputRate, outputRate))
        let design = KaiserLowpass(
            cutoff: (quality.passbandEdge + quality.stopbandEdge) / 2 * lowerRate / prototypeRate,
            transitionWidth: (quality.stopbandEdge - quality.passbandEdge) * lowerRate / prototypeRate,
            attenuationDB: quality.attenuationDB
        )
        // Odd length whose half-length is a multiple of M: the delay is then a whole number
        // of output samples, which lets file conversion remove it exactly.
        var length = max(design.minimumLength, 3)
        while (length - 1) % (2 * down) != 0 { length += 1 }
        self.delayInOutputSamples = (length - 1) / 2 / down

        let simdWidth = 8
        let perPhase = ((length + up - 1) / up + simdWidth - 1) / simdWidth * simdWidth
        self.tapsPerPhase = perPhase
        self.coefficients = CoefficientCache.shared.coefficients(for: .init(up: up, down: down, quality: quality)) {
            // y[n] = sum_m h[p + L*m] * x[q - m] with p = nM mod L, q = nM div L. Phase p stores
            // h[p + L*m] reversed (m = perPhase-1 ... 0) so it lines up with x[q-perPhase+1 ... q].
            let taps = design.taps(length: length, gain: Double(up))
            var coefficients = [Float](repeating: 0, count: up * perPhase)
            for p in 0..<up {
                for m in 0..<perPhase where p + up * m < length {
                    coefficients[p * perPhase + perPhase - 1 - m] = Float(taps[p + up * m])
                }
            }
            return coefficients
        }
        self.history = [Float](repeating: 0, count: perPhase - 1 + blockSize + Self.windowsPerRun)
        self.filled = perPhase - 1
        self.windowStart = 0
        self.phase = 0
    }

    /// The most samples ``process(_:into:)`` can write for `inputCount` input samples.
    public func maximumOutputCount(forInputCount inputCount: Int) -> Int {
        (inputCount * upFactor) / downFactor + 1
    }

    /// The group delay in seconds.
    public var delaySeconds: Double { Double(delayInOutputSamples) / Double(outputRate) }

    /// Resamples `input` and returns how many samples it wrote to `output`.
    /// `output` must hold ``maximumOutputCount(forInputCount:)`` samples.
    public mutating func process(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) -> Int {
        precondition(output.count >= maximumOutputCount(forInputCount: input.count), "resampler output buffer too small")
        var consumed = 0
        var written = 0
        while consumed < input.count {
            let count = min(blockSize, input.count - consumed)
            written += processBlock(UnsafeBufferPointer(rebasing: input[consumed..<consumed + count]),
                                    into: output.baseAddress! + written)
            consumed += count
        }
        return written
    }

    /// Forgets all input, as if newly created (between calls, or after a discontinuity).
    public mutating func reset() {
        history.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        filled = tapsPerPhase - 1
        windowStart = 0
        phase = 0
    }

    private mutating func processBlock(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutablePointer<Float>) -> Int {
        let taps = tapsPerPhase
        let up = upFactor
        let down = downFactor
        var written = 0
        var start = windowStart
        var phase = self.phase
        let previouslyFilled = self.filled
        let filled = previouslyFilled + input.count
        coefficients.withUnsafeBufferPointer { coefficients in
            history.withUnsafeMutableBufferPointer { history in
                let samples = history.baseAddress!
                (samples + previouslyFilled).update(from: input.baseAddress!, count: input.count)
                let filters = coefficients.baseAddress!
                // Integer upsampling writes each window's outputs together, so its phase stays 0.
                written = down == 1
                    ? Self.upsample(samples, filled: filled, start: &start, filters, taps: taps, up: up, into: output)
                    : Self.resampleWithDotProducts(samples, filled: filled, start: &start, phase: &phase, filters,
                                                   taps: taps, up: up, down: down, into: output)
                // Keep the unconsumed tail (at most taps - 1 samples plus the window's lead).
                let remaining = filled - start
                samples.update(from: samples + start, count: remaining)
            }
        }
        self.filled = filled - start
        self.windowStart = 0
        self.phase = phase
        return written
    }

    /// Any ratio: outputs one period apart share a phase, so each phase's outputs are computed
    /// in groups of dot products, then one at a time. Returns the outputs written; `start` and
    /// `phase` end at the next output's window and phase.
    @inline(__always)
    private static func resampleWithDotProducts(_ samples: UnsafeMutablePointer<Float>, filled: Int, start: inout Int,
                                                phase: inout Int, _ filters: UnsafePointer<Float>, taps: Int, up: Int,
                                                down: Int, into output: UnsafeMutablePointer<Float>) -> Int {
        var written = 0
        // Whole rounds first: `group` periods of `up` outputs. Outputs one period apart
        // share a phase and their windows lie `down` samples apart, so each phase's
        // `group` outputs are computed together (see ``dotProducts(_:stride:_:count:)``).
        // A round advances the window by `group * down` and ends on the phase it began.
        let group = outputGroup
        while start + (phase + (up - 1) * down) / up + (group - 1) * down + taps <= filled {
            var periodStart = start
            var periodPhase = phase
            for offset in 0..<up {
                let sums = dotProducts(samples + periodStart, stride: down, filters + periodPhase * taps, count: taps)
                for member in 0..<group { output[written + member * up + offset] = sums[member] }
                periodPhase += down
                while periodPhase >= up {
                    periodPhase -= up
                    periodStart += 1
                }
            }
            written += group * up
            start += group * down
        }
        // Then one output at a time while the history holds a whole window.
        while start + taps <= filled {
            output[written] = dotProduct(samples + start, filters + phase * taps, count: taps)
            written += 1
            phase += down
            while phase >= up {
                phase -= up
                start += 1
            }
        }
        return written
    }

    /// Windows one integer-upsampling run covers: two vectors of outputs per phase.
    private static let windowsPerRun = 16

    /// Integer upsampling (M = 1: 8 kHz to 16, 24 or 48): every window gives one output per
    /// phase, and the windows of consecutive outputs of a phase are consecutive. So a phase's
    /// outputs are computed as vectors over 16 neighbouring windows, one broadcast coefficient
    /// at a time, for up to three phases at once: each sample load serves three multiply-adds,
    /// six independent sums hide the multiply-add latency, and no sum needs the horizontal
    /// reduction a dot product ends with. About twice as fast as the dot products for 8k->24k.
    ///
    /// Every output is one chain of multiply-adds over its taps, oldest first, in a lane of its
    /// own, whether its run was whole or not, so chunking never changes a result.
    /// Returns the outputs written; `start` ends at the first window not yet used.
    @inline(__always)
    private static func upsample(_ samples: UnsafeMutablePointer<Float>, filled: Int, start: inout Int,
                                 _ filters: UnsafePointer<Float>, taps: Int, up: Int,
                                 into output: UnsafeMutablePointer<Float>) -> Int {
        var written = 0
        while start + windowsPerRun - 1 + taps <= filled {
            upsamplingRun(samples + start, filters, taps: taps, up: up, into: output + written)
            written += windowsPerRun * up
            start += windowsPerRun
        }
        // Fewer windows than a run: a whole run (its later windows read the history's spare
        // samples past `filled`), of which the windows that are complete are kept.
        let remaining = filled - taps + 1 - start
        if remaining > 0 {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: windowsPerRun * up) { run in
                upsamplingRun(samples + start, filters, taps: taps, up: up, into: run.baseAddress!)
                (output + written).update(from: run.baseAddress!, count: remaining * up)
            }
            written += remaining * up
            start += remaining
        }
        return written
    }

    /// Every phase's outputs for ``windowsPerRun`` consecutive windows starting at `samples`, in
    /// output order (window by window, phase by phase), three phases at a time.
    @inline(__always)
    private static func upsamplingRun(_ samples: UnsafePointer<Float>, _ filters: UnsafePointer<Float>, taps: Int, up: Int,
                                      into output: UnsafeMutablePointer<Float>) {
        var phase = 0
        while phase < up {
            let phases = min(3, up - phase)
            phaseGroupRun(samples, filters + phase * taps, phases: phases, taps: taps, into: output + phase, stride: up)
            phase += phases
        }
    }

    /// Outputs of `phases` (1...3) consecutive phases for ``windowsPerRun`` consecutive windows
    /// starting at `samples`; the outputs of window `w` and phase `p` go to `output[w * stride + p]`.
    /// Fewer than three phases repeat the last one's work and discard it (when L is not a
    /// multiple of 3).
    @inline(__always)
    private static func phaseGroupRun(_ samples: UnsafePointer<Float>, _ filters: UnsafePointer<Float>, phases: Int,
                                      taps: Int, into output: UnsafeMutablePointer<Float>, stride: Int) {
        let x = UnsafeRawPointer(samples)
        let first = filters, second = filters + min(1, phases - 1) * taps, third = filters + (phases - 1) * taps
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b0 = SIMD8<Float>(), b1 = SIMD8<Float>()
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>()
        for tap in 0..<taps {
            let offset = tap * MemoryLayout<Float>.size
            let early = x.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let late = x.loadUnaligned(fromByteOffset: offset + MemoryLayout<SIMD8<Float>>.size, as: SIMD8<Float>.self)
            let h0 = SIMD8<Float>(repeating: first[tap])
            multiplyAdd(&a0, early, h0)
            multiplyAdd(&a1, late, h0)
            let h1 = SIMD8<Float>(repeating: second[tap])
            multiplyAdd(&b0, early, h1)
            multiplyAdd(&b1, late, h1)
            let h2 = SIMD8<Float>(repeating: third[tap])
            multiplyAdd(&c0, early, h2)
            multiplyAdd(&c1, late, h2)
        }
        for lane in 0..<8 {
            output[lane * stride] = a0[lane]
            output[(lane + 8) * stride] = a1[lane]
        }
        guard phases > 1 else { return }
        for lane in 0..<8 {
            output[lane * stride + 1] = b0[lane]
            output[(lane + 8) * stride + 1] = b1[lane]
        }
        guard phases > 2 else { return }
        for lane in 0..<8 {
            output[lane * stride + 2] = c0[lane]
            output[(lane + 8) * stride + 2] = c1[lane]
        }
    }

    /// One output's dot product, summed in exactly the order each lane of
    /// ``dotProducts(_:stride:_:count:)`` sums, so an output is bit-identical whichever path
    /// computed it (and chunking never changes the result).
    @inline(__always)
    private static func dotProduct(_ samples: UnsafePointer<Float>, _ taps: UnsafePointer<Float>, count: Int) -> Float {
        let x = UnsafeRawPointer(samples)
        let h = UnsafeRawPointer(taps)
        var sum = SIMD8<Float>()
        var offset = 0
        let bytes = count * MemoryLayout<Float>.size
        while offset < bytes {
            multiplyAdd(&sum, x.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self),
                        h.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
            offset += MemoryLayout<SIMD8<Float>>.size
        }
        return sum.sum()
    }

    /// Outputs of one phase computed at once (the width of ``dotProducts(_:stride:_:count:)``).
    private static let outputGroup = 4

    /// Four dot products with the same taps over windows `stride` samples apart: each coefficient
    /// load serves four multiply-adds, and the four sums are independent chains, where a single
    /// dot product waits on its own accumulator's latency.
    @inline(__always)
    private static func dotProducts(_ samples: UnsafePointer<Float>, stride: Int, _ taps: UnsafePointer<Float>,
                                    count: Int) -> SIMD4<Float> {
        let x = UnsafeRawPointer(samples)
        let h = UnsafeRawPointer(taps)
        let step = stride * MemoryLayout<Float>.size
        var first = SIMD8<Float>(), second = SIMD8<Float>(), third = SIMD8<Float>(), fourth = SIMD8<Float>()
        var offset = 0
        let bytes = count * MemoryLayout<Float>.size
        while offset < bytes {
            let coefficients = h.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            multiplyAdd(&first, x.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self), coefficients)
            multiplyAdd(&second, x.loadUnaligned(fromByteOffset: offset + step, as: SIMD8<Float>.self), coefficients)
            multiplyAdd(&third, x.loadUnaligned(fromByteOffset: offset + 2 * step, as: SIMD8<Float>.self), coefficients)
            multiplyAdd(&fourth, x.loadUnaligned(fromByteOffset: offset + 3 * step, as: SIMD8<Float>.self), coefficients)
            offset += MemoryLayout<SIMD8<Float>>.size
        }
        return SIMD4(first.sum(), second.sum(), third.sum(), fourth.sum())
    }

    /// `accumulator += a * b`, fused where the target has FMA (without it a fused multiply-add
    /// would become a libm call per lane, so the separate multiply and add are kept).
    @inline(__always)
    private static func multiplyAdd(_ accumulator: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
        #if FUSED_MULTIPLY_ADD
        accumulator.addProduct(a, b)
        #else
        accumulator += a * b
        #endif
    }

    private static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        b == 0 ? a : greatestCommonDivisor(b, a % b)
    }
}
