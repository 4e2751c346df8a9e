@testable import Codecs
import Foundation
import Testing

@Suite struct ResamplerTests {
    static let telephonyPairs: [(Int, Int)] = [8000, 16000, 24000, 48000].flatMap { a in
        [8000, 16000, 24000, 48000].filter { $0 != a }.map { (a, $0) }
    }

    static func sine(_ frequency: Double, rate: Int, count: Int, amplitude: Float = 0.5) -> [Float] {
        (0..<count).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    static func run(_ resampler: inout Resampler, _ input: ArraySlice<Float>) -> [Float] {
        var output = [Float](repeating: .nan, count: resampler.maximumOutputCount(forInputCount: input.count))
        let written = input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { resampler.process(input, into: $0) }
        }
        return Array(output[0..<written])
    }

    @Test(arguments: telephonyPairs)
    func twentyMillisecondChunksMatchOneCallExactly(pair: (Int, Int)) {
        let (from, to) = pair
        let signal = Self.sine(440, rate: from, count: from / 2) .enumerated().map { $0.element + Float($0.offset % 7) * 0.01 }
        var whole = Resampler(from: from, to: to)
        let expected = Self.run(&whole, signal[...])

        var chunked = Resampler(from: from, to: to)
        var actual: [Float] = []
        let chunk = from / 50
        for start in stride(from: 0, to: signal.count, by: chunk) {
            actual += Self.run(&chunked, signal[start..<min(start + chunk, signal.count)])
        }
        #expect(actual == expected)
        #expect(actual.count == signal.count * to / from)
    }

    /// Chunks that split windows and runs every way: downsampling's dot products, and integer
    /// upsampling's vector runs with their partial last runs (L = 2, 3 and 6).
    @Test(arguments: [(24000, 8000), (8000, 24000), (8000, 16000), (8000, 48000)])
    func oddChunkSizesAndLargeBlocksMatchToo(pair: (Int, Int)) {
        let signal = Self.sine(1000, rate: pair.0, count: 5000).enumerated().map { $0.element + Float($0.offset % 5) * 0.01 }
        var whole = Resampler(from: pair.0, to: pair.1)
        let expected = Self.run(&whole, signal[...])
        var chunked = Resampler(from: pair.0, to: pair.1)
        var actual: [Float] = []
        var start = 0
        for size in [1, 2, 3, 7, 479, 1000, 3508] where start < signal.count {
            actual += Self.run(&chunked, signal[start..<min(start + size, signal.count)])
            start += size
        }
        #expect(actual == expected)
    }

    @Test(arguments: telephonyPairs)
    func delayIsWholeOutputSamplesAndAtMostFiveMilliseconds(pair: (Int, Int)) {
        let resampler = Resampler(from: pair.0, to: pair.1)
        #expect(resampler.delaySeconds <= 0.005)
        #expect(resampler.delaySeconds > 0)
        // An impulse comes out centred exactly `delayInOutputSamples` later (linear phase).
        var probe = Resampler(from: pair.0, to: pair.1)
        var impulse = [Float](repeating: 0, count: pair.0 / 50)
        impulse[0] = 1
        let output = Self.run(&probe, impulse[...])
        if pair.1 <= pair.0 {
            let peak = output.indices.max { abs(output[$0]) < abs(output[$1]) }!
            #expect(peak == resampler.delayInOutputSamples)
        } else {
            let peak = output.indices.max { output[$0] < output[$1] }!
            #expect(peak == resampler.delayInOutputSamples)
        }
    }

    @Test func passbandToneKeepsItsLevelAndStopbandToneIsRemoved() {
        // 3.4 kHz survives 24k -> 8k within 0.1 dB; 5 kHz and 7 kHz come out 80 dB down.
        func levelDB(_ frequency: Double) -> Double {
            var resampler = Resampler(from: 24000, to: 8000)
            let output = Self.run(&resampler, Self.sine(frequency, rate: 24000, count: 24000)[...])
            let steady = output[800..<7200]
            let rms = (steady.reduce(0) { $0 + Double($1) * Double($1) } / Double(steady.count)).squareRoot()
            return 20 * log10(rms * 2.squareRoot() / 0.5)
        }
        #expect(abs(levelDB(3400)) < 0.1)
        #expect(levelDB(5000) < -80)
        #expect(levelDB(7000) < -80)
    }

    @Test func resetForgetsHistory() {
        var resampler = Resampler(from: 8000, to: 24000)
        let first = Self.run(&resampler, Self.sine(300, rate: 8000, count: 160)[...])
        _ = Self.run(&resampler, Self.sine(700, rate: 8000, count: 333)[...])
        resampler.reset()
        #expect(Self.run(&resampler, Self.sine(300, rate: 8000, count: 160)[...]) == first)
    }

    @Test func wholeSignalRemovesTheDelayAndKeepsTheLength() {
        let input = Self.sine(1000, rate: 8000, count: 8000)
        let up = Resampler.resampleWholeSignal(input, from: 8000, to: 24000)
        #expect(up.count == 24000)
        let back = Resampler.resampleWholeSignal(up, from: 24000, to: 8000)
        #expect(back.count == 8000)
        var signal = 0.0, noise = 0.0
        for index in 400..<7600 {
            signal += Double(input[index] * input[index])
            noise += Double((input[index] - back[index]) * (input[index] - back[index]))
        }
        #expect(10 * log10(signal / noise) > 70)
    }

    @Test(arguments: [(22050, 8000), (44100, 8000), (44100, 48000), (8000, 44100), (11025, 16000)])
    func oddRatesResampleWholeSignalsToTheRightLength(pair: (Int, Int)) {
        for count in [1, 159, 22050, 22051] {
            let output = Resampler.resampleWholeSignal(Self.sine(300, rate: pair.0, count: count), from: pair.0, to: pair.1)
            #expect(output.count == Int((Double(count) * Double(pair.1) / Double(pair.0)).rounded()))
        }
    }

    @Test func unsupportedRatiosAreReportedNotCrashed() {
        #expect(Resampler.supports(from: 44100, to: 48000))
        #expect(!Resampler.supports(from: 44101, to: 48000))
        #expect(!Resampler.supports(from: 0, to: 8000))
    }
}

extension ResamplerTests {
    /// The wideband pair's own bars: 7.2 kHz (0.45 of 16 kHz) survives 24k -> 16k within 0.1 dB;
    /// 9 kHz and 11 kHz (above 16 kHz's Nyquist) come out 80 dB down.
    @Test func widebandPassbandToneKeepsItsLevelAndStopbandToneIsRemoved() {
        func levelDB(_ frequency: Double) -> Double {
            var resampler = Resampler(from: 24000, to: 16000)
            let output = Self.run(&resampler, Self.sine(frequency, rate: 24000, count: 24000)[...])
            let steady = output[1600..<14400]
            let rms = (steady.reduce(0) { $0 + Double($1) * Double($1) } / Double(steady.count)).squareRoot()
            return 20 * log10(rms * 2.squareRoot() / 0.5)
        }
        #expect(abs(levelDB(7200)) < 0.1)
        #expect(levelDB(9000) < -80)
        #expect(levelDB(11000) < -80)
    }
}
