@testable import AudioPipeline
import Testing

@Suite struct VADSensitivityTests {
    typealias Sensitivity = VoiceActivityDetector.Sensitivity

    @Test func beforeAnySpeechTheDetectorKeepsItsInitialSettings() {
        let initial = Sensitivity(speechOverNoiseDB: nil)
        #expect(initial.smoothing == Sensitivity.initial.smoothing && initial.cusumDrift == Sensitivity.initial.cusumDrift)
        #expect(initial.hangoverFraction == 1)
    }

    @Test func inCleanAudioItAsksForAsMuchEvidenceAsAtFirstButEndsSooner() {
        for snr: Float in [19, 25, 30, 60] {
            let sensitivity = Sensitivity(speechOverNoiseDB: snr)
            #expect(sensitivity.smoothing == Sensitivity.initial.smoothing, "\(snr)")
            #expect(sensitivity.cusumDrift == Sensitivity.initial.cusumDrift, "\(snr)")
        }
        #expect(Sensitivity(speechOverNoiseDB: 24).hangoverFraction == 1)
        #expect(Sensitivity(speechOverNoiseDB: 30).hangoverFraction == 0.6)
        #expect(Sensitivity(speechOverNoiseDB: 60).hangoverFraction == 0.6)
    }

    @Test func inHeavyNoiseItSmoothsLessAddsUpSmallerRisesAndKeepsTheWholeHangover() {
        let heavy = Sensitivity(speechOverNoiseDB: 5)
        #expect(heavy.smoothing < Sensitivity.initial.smoothing / 2)
        #expect(heavy.cusumDrift < Sensitivity.initial.cusumDrift / 2)
        #expect(heavy.cusumLimit == heavy.cusumDrift + 1)
        #expect(heavy.hangoverFraction == 1)
    }

    /// No jump as the noise changes: each setting moves monotonically with the SNR.
    @Test func theSettingsMoveSteadilyWithTheSNR() {
        var previous = Sensitivity(speechOverNoiseDB: 0)
        for tenth in 1...400 {
            let snr = Float(tenth) / 10
            let current = Sensitivity(speechOverNoiseDB: snr)
            #expect(current.smoothing >= previous.smoothing && current.cusumDrift >= previous.cusumDrift, "at \(snr) dB")
            #expect(current.hangoverFraction <= previous.hangoverFraction, "at \(snr) dB")
            #expect(current.smoothing - previous.smoothing <= 0.01 && current.cusumDrift - previous.cusumDrift <= 0.05)
            #expect(previous.hangoverFraction - current.hangoverFraction <= 0.01, "at \(snr) dB")
            previous = current
        }
    }
}
