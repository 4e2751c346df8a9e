@testable import AudioPipeline
import Testing

@Suite struct VADSensitivityTests {
    typealias Sensitivity = VoiceActivityDetector.Sensitivity

    @Test func beforeAnySpeechAndInCleanAudioTheDetectorKeepsItsCleanSettings() {
        for snr: Float? in [nil, 19, 25, 60] {
            let sensitivity = Sensitivity(speechOverNoiseDB: snr)
            #expect(sensitivity.smoothing == Sensitivity.clean.smoothing, "\(String(describing: snr))")
            #expect(sensitivity.cusumDrift == Sensitivity.clean.cusumDrift, "\(String(describing: snr))")
        }
    }

    @Test func inHeavyNoiseItSmoothsLessAndAddsUpSmallerRises() {
        let heavy = Sensitivity(speechOverNoiseDB: 5)
        #expect(heavy.smoothing < Sensitivity.clean.smoothing / 2)
        #expect(heavy.cusumDrift < Sensitivity.clean.cusumDrift / 2)
        #expect(heavy.cusumLimit == heavy.cusumDrift + 1)
    }

    /// No jump as the noise changes: each setting moves monotonically with the SNR.
    @Test func theSettingsMoveSteadilyWithTheSNR() {
        var previous = Sensitivity(speechOverNoiseDB: 0)
        for tenth in 1...250 {
            let current = Sensitivity(speechOverNoiseDB: Float(tenth) / 10)
            #expect(current.smoothing >= previous.smoothing && current.cusumDrift >= previous.cusumDrift, "at \(Float(tenth) / 10) dB")
            #expect(current.smoothing - previous.smoothing <= 0.01 && current.cusumDrift - previous.cusumDrift <= 0.05)
            previous = current
        }
    }
}
