import Foundation

/// A streaming voice activity detector for 8, 16 and 24 kHz audio in 10 or 20 ms frames.
///
/// Per frame it measures four energies after a 150 Hz low cut: the whole band and three
/// speech bands (200-1000 Hz first formants, 1-2.5 kHz second formants, 2.5-3.8 kHz
/// fricatives), each lightly smoothed across frames. Each energy's noise floor comes from
/// ``MinimumStatistics`` (its lowest level over the last 1.6 s, plus a bias), so the floor
/// follows changing noise without having to be told when speech is present. Each energy's
/// rise over its floor is then moved up or down by how periodic the first-formant band is
/// (``PeriodicityMeter``: voiced speech repeats at its pitch, noise does not), which is what
/// separates a vowel from a swell of white noise of the same level. Only a rise above the floor
/// is lifted, so a steady tone, periodic but stationary, is not taken for speech.
///
/// A frame is speech-like when any rise exceeds ``Configuration/Aggressiveness``'s threshold
/// (half that once speech is on, so weak consonants and word ends keep it on). Speech starts
/// after ``Configuration/onsetFrames`` speech-like frames in a row, at once on a frame 1.2x over
/// the threshold, or when a weaker rise persists: a CUSUM per feature adds up each frame's rise
/// beyond 2 dB and starts speech past 3 dB, the quickest test for a small sustained change.
/// The start is dated back over the frames just before that still rose 1.5 dB (the quiet
/// lead-in of a word); speech ends after ``Configuration/hangover`` without a speech-like frame.
///
/// In heavy noise the detector asks for less evidence (``Sensitivity``): from how far recent
/// speech stood over the noise floor, it smooths the levels less and lets the CUSUM add up
/// smaller rises, so a word whose first syllable lies under the noise is caught sooner. In
/// clean audio it keeps the settings above, where the extra sensitivity would only buy false
/// alarms, and shortens the hangover, whose tail there holds no speech.
///
/// Other people talking behind the caller are kept apart twice: ``BackgroundGate`` lets a frame
/// rise only over the background's level by a margin that grows with how much the background
/// swings, and ``NearTalkerCheck`` reports a stretch of speech only once it stands out of the
/// room's peaks, where the caller is known to be well above them. Until then a stretch is
/// followed but not reported: no start, and no end.
///
/// The constants were tuned with `scripts/measure/vad_accuracy.py` (espeak-ng speech in white and
/// pink noise through mu-law, against the WebRTC VAD) and checked on sets built from other seeds;
/// docs/benchmarks.md has the table.
///
/// Cost model: one biquad and one four-lane SIMD biquad (the three bands side by side) per
/// sample; per frame four logarithms at once (``Decibels``), the periodicity's 21 lags side
/// by side (``PeriodicityMeter``) and a few histogram reads; no allocation after `init`. A
/// plain struct: the inbound stage owns one per call.
public struct VoiceActivityDetector: Sendable {
    public struct Configuration: Sendable {
        /// How far above the noise floor speech must rise: higher is stricter (fewer false alarms, more misses).
        public enum Aggressiveness: Int, Sendable, CaseIterable {
            case permissive = 0, normal, strict, veryStrict

            var thresholdDB: Float { [4.0, 5.0, 6.5, 8.5][rawValue] }
        }

        public var sampleRate: Int
        /// 10 or 20 ms.
        public var frameDurationMs: Int
        public var aggressiveness: Aggressiveness
        /// Consecutive speech-like frames before a start is declared.
        public var onsetFrames: Int
        /// How long speech continues after the last speech-like frame (in clean audio the
        /// detector shortens it to 60 %, see ``Sensitivity``).
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
        /// Speech ended; `lastSpeechFrame` is the index of its last speech-like frame, and
        /// `decidedAfterMs` how long after that frame's end the end was declared (the hangover in
        /// force and the deciding frame): when the speaker really stopped.
        case speechEnded(lastSpeechFrame: Int, decidedAfterMs: Int)
    }

    /// Feature 0 is the whole band, 1...3 the speech bands.
    static let featureCount = 4
    /// Minimum statistics sit below the mean noise level; this lifts them back (dB).
    private static let floorBiasDB: Float = 3
    /// Fraction of the start threshold that keeps speech on.
    private static let holdFraction: Float = 0.5
    /// A single frame this many times over the threshold starts speech by itself.
    private static let loudFactor: Float = 1.2
    /// Periodicity at which the rises are left as they are; each 0.1 above or below moves them 1 dB.
    private static let neutralPeriodicity: Float = 0.4
    private static let decibelsPerPeriodicity: Float = 10
    /// Periodicity above which a frame is taken as voiced (noise scores about 0.3).
    private static let voicedPeriodicity: Float = 0.5
    /// Frames before a start that still rose this much belong to it (dB), up to `lookBack` frames.
    private static let leadInRise: Float = 1.5
    private static let lookBack = 10

    public let configuration: Configuration
    private var lowCut: Biquad
    /// The three speech bands in three lanes of one SIMD biquad.
    private var bands: BiquadBank
    private var previousPower = SIMD4<Float>()
    private var floors = MinimumStatistics()
    /// Recent speech's whole-band level (dB), for ``Sensitivity``: the loudest voiced speech
    /// frame, sinking 1 dB per second of voiced speech so an earlier louder stretch does not
    /// hold it up. Only voiced frames count: a noise burst or a step up in the noise reads as
    /// speech until the floor learns it, and taken as the speech level it would make the
    /// detector more sensitive to the very noise that fooled it.
    private var speechLevel: Float = -.infinity
    /// How far ``speechLevel`` sinks per voiced frame (dB).
    private let speechLevelDecay: Float
    /// Voiced speech frames that cleared the start threshold so far, and how many it takes
    /// (200 ms) before ``speechLevel`` is trusted.
    private var clearSpeechFrames = 0
    private let clearSpeechFramesNeeded: Int
    private var periodicity: PeriodicityMeter
    private var backgroundGate: BackgroundGate
    /// Each feature's CUSUM and the frame its current run began.
    private var cusum: InlineArray<4, Float> = .init(repeating: 0)
    private var cusumStart: InlineArray<4, Int> = .init(repeating: 0)
    /// The largest rise of each of the last `lookBack` frames, by frame index modulo 16.
    private var recentRises: InlineArray<16, Float> = .init(repeating: -.infinity)
    /// The configured hangover in frames (``Sensitivity`` may use less).
    private let hangoverFrames: Int
    private var run = 0
    private var sinceSpeechLike = Int.max
    private var lastSpeechLikeFrame = 0
    /// The frame that ended the previous stretch of speech: a new start is never dated before it.
    private var lastEndFrame = -1
    /// Frames seen so far.
    public private(set) var frameIndex = 0
    /// Speech found, whether or not it is yet known to be the near talker's.
    private var inSpeech = false
    /// The current stretch of speech stood out of the room (``NearTalkerCheck``) and was reported.
    private var confirmed = false
    /// Where the current stretch of speech began, reported when it is confirmed.
    private var pendingOnset = 0
    private var nearTalker: NearTalkerCheck
    /// Speech reported and not yet ended.
    public var isSpeech: Bool { inSpeech && confirmed }

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        let rate = Double(configuration.sampleRate)
        self.lowCut = Biquad.highpass(cornerHz: 150, sampleRate: rate)
        self.bands = BiquadBank([Biquad.bandpass(lowHz: 200, highHz: 1000, sampleRate: rate),
                                 Biquad.bandpass(lowHz: 1000, highHz: 2500, sampleRate: rate),
                                 Biquad.bandpass(lowHz: 2500, highHz: 3800, sampleRate: rate)])
        self.hangoverFrames = max(0, configuration.hangover.wholeMilliseconds / configuration.frameDurationMs)
        self.floors = MinimumStatistics(framesPerWindow: 200 / configuration.frameDurationMs)
        self.periodicity = PeriodicityMeter(sampleRate: configuration.sampleRate)
        self.backgroundGate = BackgroundGate(frameDurationMs: configuration.frameDurationMs)
        self.nearTalker = NearTalkerCheck(frameDurationMs: configuration.frameDurationMs)
        self.speechLevelDecay = Float(configuration.frameDurationMs) / 1000
        self.clearSpeechFramesNeeded = 200 / configuration.frameDurationMs
    }

    /// Analyses one frame (full scale 1.0) of ``Configuration/samplesPerFrame`` samples.
    public mutating func process(_ frame: UnsafeBufferPointer<Float>) -> Event {
        precondition(frame.count == configuration.samplesPerFrame, "VAD frame must be \(configuration.samplesPerFrame) samples")
        var fullEnergy: Float = 0
        var bandEnergy = SIMD4<Float>()
        // The periodicity keeps the first band's first sample of every `step`.
        let step = periodicity.step
        var index = 0
        while index < frame.count {
            periodicity.append(analyse(frame[index], &fullEnergy, &bandEnergy))
            for offset in index + 1..<index + step { _ = analyse(frame[offset], &fullEnergy, &bandEnergy) }
            index += step
        }
        let periodicityScore = periodicity.measure()
        let voicing = (periodicityScore - Self.neutralPeriodicity) * Self.decibelsPerPeriodicity
        let floorLevels = floors.floors
        let sensitivity = Sensitivity(speechOverNoiseDB: clearSpeechFrames >= clearSpeechFramesNeeded
                                      ? speechLevel - floorLevels[0] : nil)
        let power = SIMD4<Float>(fullEnergy, bandEnergy[0], bandEnergy[1], bandEnergy[2]) / Float(frame.count)
        let smoothed = sensitivity.smoothing * previousPower + (1 - sensitivity.smoothing) * power
        previousPower = power
        // +1e-10 keeps digital silence at -100 dB instead of -infinity.
        let levelDB = Decibels.of(smoothed + 1e-10)
        let energyRises = levelDB - floorLevels - Self.floorBiasDB
        // Under the background talkers' level: nothing here rises, whatever the floors say.
        let overBackground = backgroundGate.admits(levelDB[0])
        var rise: Float = -.infinity
        var persistent = false
        var persistentStart = frameIndex
        // The first frame has no floor to rise over.
        for feature in 0..<Self.featureCount where frameIndex > 0 {
            let energyRise = energyRises[feature]
            // Periodicity lifts only a rising energy: a steady tone (hum, a ring-back) is
            // periodic too, but its floor has caught up with it.
            let voicedRise = energyRise + (energyRise > 0 ? voicing : min(voicing, 0))
            let featureRise = overBackground ? voicedRise : min(voicedRise, 0)
            rise = max(rise, featureRise)
            // The CUSUM looks for a start, so it rests while speech is on (from zero after it).
            guard !inSpeech else { continue }
            if cusum[feature] == 0 { cusumStart[feature] = frameIndex }
            cusum[feature] = max(0, cusum[feature] + featureRise - sensitivity.cusumDrift)
            if cusum[feature] == 0 { cusumStart[feature] = frameIndex + 1 }
            if cusum[feature] > sensitivity.cusumLimit {
                persistent = true
                persistentStart = min(persistentStart, cusumStart[feature])
            }
        }
        floors.observe(levelDB)
        recentRises[frameIndex % 16] = rise

        let startThreshold = configuration.aggressiveness.thresholdDB
        let threshold = inSpeech ? startThreshold * Self.holdFraction : startThreshold
        if inSpeech { nearTalker.measure(levelDB[0], backgroundSwings: backgroundGate.backgroundSwings) }
        let speechLike = levelDB[0] > -65 && rise > threshold && !(inSpeech && nearTalker.isUnderTheRoom(levelDB[0]))

        defer {
            backgroundGate.observe(levelDB[0], speechLike: speechLike)
            nearTalker.observe(levelDB[0], inSpeech: inSpeech)
            if inSpeech, periodicityScore > Self.voicedPeriodicity {
                speechLevel = max(levelDB[0], speechLevel - speechLevelDecay)
                if rise > startThreshold { clearSpeechFrames += 1 }
            }
            frameIndex += 1
        }
        if speechLike {
            run += 1
            sinceSpeechLike = 0
            lastSpeechLikeFrame = frameIndex
        } else {
            run = 0
            if sinceSpeechLike != Int.max { sinceSpeechLike += 1 }
        }
        if !inSpeech, (speechLike && (run >= configuration.onsetFrames || rise > Self.loudFactor * threshold)) || persistent {
            inSpeech = true
            confirmed = false
            nearTalker.speechStarted()
            nearTalker.measure(levelDB[0], backgroundSwings: backgroundGate.backgroundSwings)
            cusum = .init(repeating: 0)
            sinceSpeechLike = 0
            lastSpeechLikeFrame = frameIndex
            let start = max(min(speechLike ? frameIndex - run + 1 : frameIndex, persistentStart), lastEndFrame + 1)
            pendingOnset = leadInStart(from: start)
        }
        if inSpeech, sinceSpeechLike > sensitivity.hangover(configuredFrames: hangoverFrames) {
            inSpeech = false
            lastEndFrame = frameIndex
            guard confirmed else { return .none }
            return .speechEnded(lastSpeechFrame: lastSpeechLikeFrame,
                                decidedAfterMs: (frameIndex - lastSpeechLikeFrame) * configuration.frameDurationMs)
        }
        // In a room of talkers, speech is the caller's once a frame of it stands out of the room.
        if inSpeech, nearTalker.counts(), !confirmed {
            confirmed = true
            // Found standing out of a stretch the room began: the caller began just before.
            let onset = nearTalker.proven ? max(pendingOnset, leadInStart(from: frameIndex - 1)) : pendingOnset
            return .speechStarted(onsetFrame: onset)
        }
        return .none
    }

    /// Filters one sample into the energies and returns the first band's output.
    @inline(__always)
    private mutating func analyse(_ sample: Float, _ fullEnergy: inout Float, _ bandEnergy: inout SIMD4<Float>) -> Float {
        // Hum and rumble below the telephone band carry no speech but swing the energy.
        let voiceBand = lowCut.process(sample)
        fullEnergy += voiceBand * voiceBand
        let filtered = bands.process(voiceBand)
        bandEnergy += filtered * filtered
        return filtered[0]
    }

    /// The first frame of a start's lead-in: back from `start` while frames still rose
    /// ``leadInRise``, no further than ``lookBack`` frames before this one nor into the last
    /// stretch of speech.
    private func leadInStart(from start: Int) -> Int {
        var first = start
        while first > max(lastEndFrame + 1, frameIndex - Self.lookBack + 1), recentRises[(first - 1) % 16] > Self.leadInRise {
            first -= 1
        }
        return first
    }
}
