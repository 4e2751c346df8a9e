import Foundation

/// A streaming voice activity detector for 8, 16 and 24 kHz audio in 10 or 20 ms frames.
///
/// Per frame it measures four energies after a 150 Hz low cut: the whole band and three
/// speech bands (200-1000 Hz first formants, 1-2.5 kHz second formants, 2.5-3.8 kHz
/// fricatives), each lightly smoothed across frames. Each energy's noise floor comes from
/// ``MinimumStatistics`` (its lowest level over the last 1.6 s, plus a bias), so the floor
/// follows changing noise without having to be told when speech is present. A frame is
/// speech-like when any energy rises ``Configuration/Aggressiveness`` dB above its floor
/// (half that once speech is on, so weak consonants and word ends keep it on). Speech starts
/// after ``Configuration/onsetFrames`` speech-like frames in a row, or at once on a frame
/// 1.2x over the threshold, and ends after ``Configuration/hangover`` without one.
///
/// The constants were tuned with `scripts/vad_accuracy.py` (espeak-ng speech in white and
/// pink noise through mu-law, against the WebRTC VAD); the README has the table.
///
/// Cost model: one biquad and one four-lane SIMD biquad (the three bands side by side) per
/// sample, plus four logarithms per frame; no allocation. A plain struct: the inbound stage owns one per call.
public struct VoiceActivityDetector: Sendable {
    public struct Configuration: Sendable {
        /// How far above the noise floor speech must rise: higher is stricter (fewer false alarms, more misses).
        public enum Aggressiveness: Int, Sendable, CaseIterable {
            case permissive = 0, normal, strict, veryStrict

            var thresholdDB: Float { [3.0, 4.0, 5.5, 7.5][rawValue] }
        }

        public var sampleRate: Int
        /// 10 or 20 ms.
        public var frameDurationMs: Int
        public var aggressiveness: Aggressiveness
        /// Consecutive speech-like frames before a start is declared.
        public var onsetFrames: Int
        /// How long speech continues after the last speech-like frame.
        public var hangover: Duration

        public init(sampleRate: Int = 8000, frameDurationMs: Int = 10, aggressiveness: Aggressiveness = .normal,
                    onsetFrames: Int = 2, hangover: Duration = .milliseconds(100)) {
            precondition([8000, 16000, 24000].contains(sampleRate), "VAD runs at 8, 16 or 24 kHz")
            precondition(frameDurationMs == 10 || frameDurationMs == 20, "VAD frames are 10 or 20 ms")
            self.sampleRate = sampleRate
            self.frameDurationMs = frameDurationMs
            self.aggressiveness = aggressiveness
            self.onsetFrames = onsetFrames
            self.hangover = hangover
        }

        public var samplesPerFrame: Int { sampleRate / 1000 * frameDurationMs }
    }

    /// What a frame changed.
    public enum Event: Sendable, Equatable {
        case none
        /// Speech started; `onsetFrame` is the index of its first speech-like frame.
        case speechStarted(onsetFrame: Int)
        /// Speech ended; `lastSpeechFrame` is the index of its last speech-like frame.
        case speechEnded(lastSpeechFrame: Int)
    }

    /// Feature 0 is the whole band, 1...3 the speech bands.
    static let featureCount = 4
    /// Weight of the previous frame's power in each feature (light smoothing).
    private static let smoothing: Float = 0.3
    /// Minimum statistics sit below the mean noise level; this lifts them back (dB).
    private static let floorBiasDB: Float = 3
    /// Fraction of the start threshold that keeps speech on.
    private static let holdFraction: Float = 0.5
    /// A single frame this many times over the threshold starts speech by itself.
    private static let loudFactor: Float = 1.2

    public let configuration: Configuration
    private var lowCut: Biquad
    /// The three speech bands in the lanes of one SIMD biquad.
    private var bands: BiquadBank
    private var previousPower: InlineArray<4, Float> = .init(repeating: 0)
    private var floors = MinimumStatistics()
    private let hangoverFrames: Int
    private var run = 0
    private var sinceSpeechLike = Int.max
    private var lastSpeechLikeFrame = 0
    /// Frames seen so far.
    public private(set) var frameIndex = 0
    public private(set) var isSpeech = false

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        let rate = Double(configuration.sampleRate)
        self.lowCut = Biquad.highpass(cornerHz: 150, sampleRate: rate)
        self.bands = BiquadBank([Biquad.bandpass(lowHz: 200, highHz: 1000, sampleRate: rate),
                                 Biquad.bandpass(lowHz: 1000, highHz: 2500, sampleRate: rate),
                                 Biquad.bandpass(lowHz: 2500, highHz: 3800, sampleRate: rate)])
        let hangover = configuration.hangover.components
        let hangoverMs = Int(hangover.seconds) * 1000 + Int(hangover.attoseconds / 1_000_000_000_000_000)
        self.hangoverFrames = max(0, hangoverMs / configuration.frameDurationMs)
        self.floors = MinimumStatistics(framesPerWindow: 200 / configuration.frameDurationMs)
    }

    /// Analyses one frame (full scale 1.0) of ``Configuration/samplesPerFrame`` samples.
    public mutating func process(_ frame: UnsafeBufferPointer<Float>) -> Event {
        precondition(frame.count == configuration.samplesPerFrame, "VAD frame must be \(configuration.samplesPerFrame) samples")
        var fullEnergy: Float = 0
        var bandEnergy = SIMD4<Float>()
        for sample in frame {
            // Hum and rumble below the telephone band carry no speech but swing the energy.
            let voiceBand = lowCut.process(sample)
            fullEnergy += voiceBand * voiceBand
            let filtered = bands.process(voiceBand)
            bandEnergy += filtered * filtered
        }
        let energy: InlineArray<4, Float> = [fullEnergy, bandEnergy[0], bandEnergy[1], bandEnergy[2]]
        var levelDB: InlineArray<4, Float> = .init(repeating: 0)
        var rise: Float = -.infinity
        let count = Float(frame.count)
        for feature in 0..<Self.featureCount {
            let power = energy[feature] / count
            let smoothed = Self.smoothing * previousPower[feature] + (1 - Self.smoothing) * power
            previousPower[feature] = power
            // +1e-10 keeps digital silence at -100 dB instead of -infinity.
            levelDB[feature] = 10 * log10f(smoothed + 1e-10)
            if frameIndex > 0 {
                rise = max(rise, levelDB[feature] - floors.floor(feature) - Self.floorBiasDB)
            }
        }
        floors.observe(levelDB)

        let startThreshold = configuration.aggressiveness.thresholdDB
        let threshold = isSpeech ? startThreshold * Self.holdFraction : startThreshold
        let speechLike = levelDB[0] > -65 && rise > threshold

        defer { frameIndex += 1 }
        if speechLike {
            run += 1
            sinceSpeechLike = 0
            lastSpeechLikeFrame = frameIndex
        } else {
            run = 0
            if sinceSpeechLike != Int.max { sinceSpeechLike += 1 }
        }
        if !isSpeech, speechLike, run >= configuration.onsetFrames || rise > Self.loudFactor * threshold {
            isSpeech = true
            return .speechStarted(onsetFrame: frameIndex - run + 1)
        }
        if isSpeech, sinceSpeechLike > hangoverFrames {
            isSpeech = false
            return .speechEnded(lastSpeechFrame: lastSpeechLikeFrame)
        }
        return .none
    }
}
