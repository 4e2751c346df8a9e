extension VoiceActivityDetector {
    /// How much evidence the detector asks for before it starts speech, by how far speech
    /// stands over the noise.
    ///
    /// In clean audio a word's first syllable clears the noise floor by 10-20 dB at once, and
    /// adding up small rises only adds false alarms. At 0-5 dB SNR the same word's first 50 ms
    /// lie under the noise; waiting for a clear rise costs 65-80 ms, so there the levels are
    /// smoothed less and the CUSUM adds up smaller rises, trading a little precision (where the
    /// WebRTC VAD loses far more) for earlier starts. Both move linearly between the SNRs below,
    /// measured as recent voiced speech's peak whole-band level over the noise floor (which sits
    /// a few dB under the noise's mean, and peaks stand over the mean, so these read higher than
    /// the SNR of the mix). Tuned with `scripts/vad_model.py --rule energy` on the sets of seeds
    /// 1-3 and checked on seeds 1-9 with `scripts/vad_seeds.sh` (README, "VAD accuracy").
    struct Sensitivity {
        /// Weight of the previous frame's power in each level.
        var smoothing: Float
        /// The CUSUM's allowance per frame and its decision level (dB).
        var cusumDrift: Float
        var cusumLimit: Float { cusumDrift + 1 }

        /// The settings for clean audio, and for a call before its first 200 ms of clear voiced speech.
        static let clean = Sensitivity(smoothing: 0.3, cusumDrift: 2)

        /// `speechOverNoiseDB`: recent speech's level over the noise floor, nil before any speech.
        init(speechOverNoiseDB: Float?) {
            guard let snr = speechOverNoiseDB else {
                self = .clean
                return
            }
            func blend(lowest: Float, from low: Float, to high: Float, clean: Float) -> Float {
                let position = min(1, max(0, (snr - low) / (high - low)))
                return lowest + position * (clean - lowest)
            }
            smoothing = blend(lowest: 0.1, from: 9, to: 12, clean: Self.clean.smoothing)
            cusumDrift = blend(lowest: 0.75, from: 15, to: 18.5, clean: Self.clean.cusumDrift)
        }

        private init(smoothing: Float, cusumDrift: Float) {
            self.smoothing = smoothing
            self.cusumDrift = cusumDrift
        }
    }
}
