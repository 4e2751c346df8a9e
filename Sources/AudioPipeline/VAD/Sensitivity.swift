extension VoiceActivityDetector {
    /// How much evidence the detector asks for before it starts speech, by how far speech
    /// stands over the noise.
    ///
    /// In clean audio a word's first syllable clears the noise floor by 10-20 dB at once, and
    /// adding up small rises only adds false alarms; a word's end drops to the floor as fast, so
    /// there the hangover is shortened to 60 %. At 0-5 dB SNR the same word's first 50 ms
    /// lie under the noise; waiting for a clear rise costs 65-80 ms, so there the levels are
    /// smoothed less and the CUSUM adds up smaller rises, trading a little precision (where the
    /// WebRTC VAD loses far more) for earlier starts. All three move linearly between the SNRs
    /// below, measured as recent voiced speech's peak whole-band level over the noise floor (which
    /// sits a few dB under the noise's mean, and peaks stand over the mean, so these read higher
    /// than the SNR of the mix). Tuned with `scripts/measure/vad_model.py` on the sets of seeds 1-3
    /// (`--rule energy`; the hangover on seeds 1-9) and checked on seeds 1-9
    /// with `scripts/measure/vad_seeds.sh` (docs/benchmarks.md, "VAD accuracy").
    struct Sensitivity {
        /// Weight of the previous frame's power in each level.
        var smoothing: Float
        /// The CUSUM's allowance per frame and its decision level (dB).
        var cusumDrift: Float
        var cusumLimit: Float { cusumDrift + 1 }
        /// The share of the configured hangover in force.
        var hangoverFraction: Float

        /// The hangover in force, in frames, for a configured one of `configuredFrames`.
        func hangover(configuredFrames: Int) -> Int {
            Int((Float(configuredFrames) * hangoverFraction).rounded(.toNearestOrEven))
        }

        /// The settings before a call's first 200 ms of clear voiced speech: those of clean
        /// audio, but with the whole hangover.
        static let initial = Sensitivity(smoothing: 0.3, cusumDrift: 2, hangoverFraction: 1)

        /// `speechOverNoiseDB`: recent speech's level over the noise floor, nil before any speech.
        init(speechOverNoiseDB: Float?) {
            guard let snr = speechOverNoiseDB else {
                self = .initial
                return
            }
            /// `atLow` up to `low` dB, `atHigh` from `high` dB, linear between.
            func blend(from low: Float, to high: Float, _ atLow: Float, _ atHigh: Float) -> Float {
                let position = min(1, max(0, (snr - low) / (high - low)))
                return atLow + position * (atHigh - atLow)
            }
            smoothing = blend(from: 9, to: 12, 0.1, Self.initial.smoothing)
            cusumDrift = blend(from: 15, to: 18.5, 0.75, Self.initial.cusumDrift)
            // In clean audio a word's end falls off the floor at once, and the hangover's tail
            // is only false alarm; in noise the tail still holds weak word ends.
            hangoverFraction = blend(from: 24, to: 30, 1, 0.6)
        }

        private init(smoothing: Float, cusumDrift: Float, hangoverFraction: Float) {
            self.smoothing = smoothing
            self.cusumDrift = cusumDrift
            self.hangoverFraction = hangoverFraction
        }
    }
}
