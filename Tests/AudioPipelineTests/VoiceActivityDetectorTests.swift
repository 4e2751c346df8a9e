import AudioPipeline
import Foundation
import Testing
import TestFixtures

@Suite struct VoiceActivityDetectorTests {
    /// Noise, then a voiced "syllable" (harmonics of 140 Hz) every second, 300 ms long.
    static func signal(rate: Int, seconds: Int, noiseLevel: Float, speechLevel: Float) -> [Float] {
        var state: UInt64 = 12345
        func noise() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 11) / Float(1 << 52)
        }
        return (0..<(rate * seconds)).map { index in
            let t = Double(index) / Double(rate)
            let inSyllable = t.truncatingRemainder(dividingBy: 1) >= 0.5 && t.truncatingRemainder(dividingBy: 1) < 0.8 && t >= 1
            var value = noiseLevel * noise()
            if inSyllable {
                value += speechLevel * Float((1...10).reduce(0.0) { $0 + sin(2 * .pi * 140 * Double($1) * t) / Double($1) })
            }
            return value
        }
    }

    @Test(arguments: [8000, 16000, 24000], [10, 20])
    func findsEachSyllableAtEveryRateAndFrameSize(rate: Int, frameMs: Int) {
        let samples = Self.signal(rate: rate, seconds: 6, noiseLevel: 0.01, speechLevel: 0.1)
        let configuration = VoiceActivityDetector.Configuration(sampleRate: rate, frameDurationMs: frameMs)
        let segments = VoiceActivityDetector.segments(of: samples, configuration: configuration)
        // Syllables at 1.5, 2.5, 3.5, 4.5, 5.5 s, each 300 ms.
        #expect(segments.count == 5, "\(segments)")
        for (index, segment) in segments.enumerated() {
            let onsetMs = 1500 + index * 1000
            #expect(abs(segment.startMs - onsetMs) <= frameMs, "\(segment)")
            #expect(segment.detectedMs - onsetMs <= 3 * frameMs, "\(segment)")
            // Ends after the hangover (100 ms), plus at most 70 ms while the filters and smoothing ring down.
            #expect(segment.endMs >= onsetMs + 300 && segment.endMs <= onsetMs + 300 + 100 + 70, "\(segment)")
        }
    }

    /// The call tests' busy room (`Tests/Fixtures/babble`, five talkers) 20 dB under the
    /// syllables of ``signal(rate:seconds:noiseLevel:speechLevel:)``: once the detector has had a
    /// second to learn the room, it finds each syllable and nothing else.
    @Test func aRoomOfTalkersUnderTheCallerIsNotTakenForTheCaller() throws {
        let room = try BusyRoom.samples()
        let syllables = Self.signal(rate: 8000, seconds: 12, noiseLevel: 0, speechLevel: 0.1)
        func power(_ samples: ArraySlice<Float>) -> Float { samples.reduce(0) { $0 + $1 * $1 } / Float(samples.count) }
        let gain = (power(syllables[12000..<14400]) / power(room[...]) / 100).squareRoot()
        let samples = zip(syllables, room).map { $0 + gain * $1 }
        let segments = VoiceActivityDetector.segments(of: samples, configuration: .init())
        let afterLearning = segments.filter { $0.detectedMs > 1000 }
        #expect(afterLearning.count == 11, "\(segments)")
        for (index, segment) in afterLearning.enumerated() {
            let onsetMs = 1500 + index * 1000
            #expect(segment.detectedMs - onsetMs <= 60 && segment.startMs >= onsetMs - 100, "\(segment)")
            #expect(segment.endMs <= onsetMs + 300 + 200, "\(segment)")
        }
    }

    /// A caller who talks from the call's first moment, with short pauses, in quiet noise: the
    /// detector must not learn the caller as the room it has not heard yet (each syllable found).
    @Test func aCallerTalkingFromTheFirstMomentIsNotLearnedAsTheRoom() {
        var state: UInt64 = 99
        let samples = (0..<40000).map { index -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let t = Double(index) / 8000
            let inSyllable = t >= 0.1 && (t - 0.1).truncatingRemainder(dividingBy: 0.45) < 0.3
            let voice = inSyllable ? (1...7).reduce(0.0) { $0 + 0.08 * sin(2 * .pi * 140 * Double($1) * t) / Double($1) } : 0
            return Float(voice) + 0.0005 * Float(Int64(bitPattern: state) >> 11) / Float(1 << 52)
        }
        let segments = VoiceActivityDetector.segments(of: samples, configuration: .init())
        #expect(segments.map { ($0.startMs - 100 + 50) / 450 } == Array(0..<11), "\(segments)")
    }

    @Test func steadyNoiseAloneIsNeverSpeechEvenWhenItGetsLouder() {
        var samples = Self.signal(rate: 8000, seconds: 3, noiseLevel: 0.01, speechLevel: 0)
        samples += Self.signal(rate: 8000, seconds: 5, noiseLevel: 0.05, speechLevel: 0)
        let segments = VoiceActivityDetector.segments(of: samples, configuration: .init())
        // The step up in noise may read as one short burst; the floor must then learn the new level.
        #expect(segments.count <= 1)
        #expect(segments.allSatisfy { $0.startMs >= 2900 && $0.endMs <= 5000 }, "\(segments)")
    }

    @Test func digitalSilenceIsNotSpeech() {
        let segments = VoiceActivityDetector.segments(of: [Float](repeating: 0, count: 16000), configuration: .init())
        #expect(segments.isEmpty)
    }

    @Test func strictnessTradesMissesForFalseAlarms() {
        let samples = Self.signal(rate: 8000, seconds: 6, noiseLevel: 0.03, speechLevel: 0.012)
        let permissive = VoiceActivityDetector.segments(of: samples, configuration: .init(aggressiveness: .permissive))
        let strict = VoiceActivityDetector.segments(of: samples, configuration: .init(aggressiveness: .veryStrict))
        // Permissive may join two stretches into one, so compare speech time, not segment counts.
        func speechMs(_ segments: [SpeechSegment]) -> Int { segments.reduce(0) { $0 + $1.endMs - $1.startMs } }
        #expect(speechMs(permissive) >= speechMs(strict), "\(permissive) vs \(strict)")
    }

    /// A start dated back over its lead-in never reaches into the stretch before it.
    @Test(arguments: VoiceActivityDetector.Configuration.Aggressiveness.allCases)
    func segmentsAreOrderedAndNeverOverlap(aggressiveness: VoiceActivityDetector.Configuration.Aggressiveness) {
        let samples = Self.signal(rate: 8000, seconds: 6, noiseLevel: 0.03, speechLevel: 0.012)
        let segments = VoiceActivityDetector.segments(of: samples, configuration: .init(aggressiveness: aggressiveness))
        for (earlier, later) in zip(segments, segments.dropFirst()) {
            #expect(earlier.endMs <= later.startMs, "\(earlier) then \(later)")
        }
        #expect(segments.allSatisfy { $0.startMs < $0.detectedMs && $0.detectedMs <= $0.endMs }, "\(segments)")
    }

    /// A steady tone is periodic, like a vowel, but stationary: after its onset it is not speech.
    @Test func aSteadyToneIsNotSpeechOnceTheFloorHasIt() {
        let samples = (0..<8000 * 4).map { Float(0.02 * sin(2 * Double.pi * 425 * Double($0) / 8000)) }
        let segments = VoiceActivityDetector.segments(of: samples, configuration: .init())
        #expect(segments.allSatisfy { $0.endMs <= 2000 }, "\(segments)")
    }

    @Test func eventsComeInStartEndPairs() {
        var detector = VoiceActivityDetector()
        let samples = Self.signal(rate: 8000, seconds: 4, noiseLevel: 0.01, speechLevel: 0.1)
        var events: [VoiceActivityDetector.Event] = []
        samples.withUnsafeBufferPointer { samples in
            for start in stride(from: 0, to: samples.count, by: 80) {
                let event = detector.process(UnsafeBufferPointer(rebasing: samples[start..<start + 80]))
                if event != .none { events.append(event) }
            }
        }
        #expect(events.count == 6)
        for (index, event) in events.enumerated() {
            if index % 2 == 0 {
                guard case .speechStarted = event else { Issue.record("expected a start, got \(event)"); continue }
            } else {
                guard case .speechEnded = event else { Issue.record("expected an end, got \(event)"); continue }
            }
        }
    }

    /// Each end says how long after the last speech it was decided, and the hangover it reflects
    /// shortens once the detector has heard clean speech (``VoiceActivityDetector/Sensitivity``).
    @Test func anEndCarriesItsDelayWhichShortensInCleanAudio() {
        func endDelays(noiseLevel: Float) -> [Int] {
            var detector = VoiceActivityDetector()
            let samples = Self.signal(rate: 8000, seconds: 5, noiseLevel: noiseLevel, speechLevel: 0.1)
            var delays: [Int] = []
            samples.withUnsafeBufferPointer { samples in
                for start in stride(from: 0, to: samples.count, by: 80) {
                    if case .speechEnded(let last, let delay) = detector.process(UnsafeBufferPointer(rebasing: samples[start..<start + 80])) {
                        #expect(delay == (detector.frameIndex - 1 - last) * 10)
                        delays.append(delay)
                    }
                }
            }
            return delays
        }
        // The configured 100 ms and the deciding frame.
        let noisy = endDelays(noiseLevel: 0.03)
        #expect(noisy == [110, 110, 110, 110], "\(noisy)")
        // 200 ms into the first syllable (300 ms) the detector trusts the speech level: 60 % of it.
        let clean = endDelays(noiseLevel: 0.001)
        #expect(clean == [70, 70, 70, 70], "\(clean)")
    }
}
