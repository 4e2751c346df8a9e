/// The caller-to-model direction of one call, as plain stages: jitter buffer, decoder,
/// model-format encoder (with resampling) and voice activity detection.
///
/// Owned and driven by one task (``CallPipeline``'s inbound drain), so it needs no locks; every
/// buffer is allocated in `init` and reused, so a frame costs no allocation.
public struct InboundPath<Decoder: InboundDecoder & ~Copyable>: ~Copyable {
    /// What the path saw, for the call's record and metrics.
    public struct Counters: Sendable, Equatable {
        public var framesIn = 0
        public var framesToModel = 0
        public var concealed = 0
        public var late = 0
        /// How long the jitter buffer holds frames now (0 in forward-immediately mode).
        public var jitterDelayMs = 0
    }

    private var jitter: JitterBuffer<Decoder.Frame>
    private var decoder: Decoder
    private var encoder: ModelBoundEncoder
    private var speechDetector: FramingDetector
    /// Whether the VAD reads the decoded audio (8/16/24 kHz callers: the cheapest rate available)
    /// or the model-rate audio (48 kHz Opus callers).
    private let detectsOnDecoded: Bool
    /// Whether received frames go to the model as they came (see ``InboundDecoder/passThroughFormat``).
    private let passesThrough: Bool
    private var decoded: [Float]
    public private(set) var counters = Counters()

    public init(decoder: consuming Decoder, jitterMode: JitterBuffer<Decoder.Frame>.Mode, modelFormat: ModelAudioFormat,
                vad: VoiceActivityDetector.Configuration.Aggressiveness = .normal) {
        let decodedCount = decoder.samplesPerFrame
        let decodedRate = decoder.sampleRate
        self.encoder = ModelBoundEncoder(format: modelFormat, inputRate: decodedRate)
        self.decoder = decoder
        self.jitter = JitterBuffer(mode: jitterMode)
        // The VAD at 8 kHz costs a third of what it does at 24 kHz (0.7 vs 1.8 us per 10 ms).
        self.detectsOnDecoded = [8000, 16000, 24000].contains(decodedRate)
        let vadRate = detectsOnDecoded ? decodedRate : modelFormat.sampleRate
        let vadConfiguration = VoiceActivityDetector.Configuration(sampleRate: vadRate, frameDurationMs: 10,
                                                                   aggressiveness: vad)
        self.speechDetector = FramingDetector(detector: VoiceActivityDetector(configuration: vadConfiguration))
        self.decoded = [Float](repeating: 0, count: decodedCount)
        self.passesThrough = Decoder.passThroughFormat == modelFormat
    }

    /// Takes one frame from the network.
    public mutating func receive(_ frame: Decoder.Frame, sequence: UInt32, arrivalNs: UInt64) {
        counters.framesIn += 1
        jitter.insert(frame, sequence: sequence, arrivalNs: arrivalNs)
    }

    /// Runs every frame that is due through the stages; `model` gets each frame's bytes for the
    /// model, `speech` each VAD start or end (with the time, in ns, the event's frame ended).
    public mutating func process(now: UInt64, model: (UnsafeRawBufferPointer) -> Void,
                                 speech: (VoiceActivityDetector.Event) -> Void) {
        while let output = jitter.next(now: now) {
            var passedThrough = false
            decoded.withUnsafeMutableBufferPointer { pcm in
                switch output {
                case .frame(let frame, _):
                    _ = decoder.decode(frame, into: pcm)
                    if passesThrough {
                        decoder.withPassThroughBytes(of: frame, model)
                        passedThrough = true
                    }
                case .conceal:
                    _ = decoder.conceal(next: nil, into: pcm)
                    counters.concealed += 1
                }
            }
            counters.framesToModel += 1
            let onDecoded = detectsOnDecoded
            decoded.withUnsafeBufferPointer { pcm in
                if !passedThrough {
                    encoder.encode(pcm, floats: { if !onDecoded { speechDetector.feed($0, speech) } }, model)
                }
                if onDecoded { speechDetector.feed(pcm, speech) }
            }
        }
        counters.late = jitter.statistics.late
        counters.jitterDelayMs = jitter.statistics.currentDelayMs
    }

}

/// Feeds a ``VoiceActivityDetector`` in its own frame size (10 ms), whatever size the audio comes in.
struct FramingDetector {
    private var detector: VoiceActivityDetector
    private var pending: [Float]
    private var pendingCount = 0

    init(detector: VoiceActivityDetector) {
        self.detector = detector
        self.pending = [Float](repeating: 0, count: detector.configuration.samplesPerFrame)
    }

    mutating func feed(_ floats: UnsafeBufferPointer<Float>, _ speech: (VoiceActivityDetector.Event) -> Void) {
        let frameSize = pending.count
        var offset = 0
        var filled = pendingCount
        pending.withUnsafeMutableBufferPointer { pending in
            while offset < floats.count {
                let take = min(frameSize - filled, floats.count - offset)
                (pending.baseAddress! + filled).update(from: floats.baseAddress! + offset, count: take)
                filled += take
                offset += take
                if filled == frameSize {
                    filled = 0
                    let event = detector.process(UnsafeBufferPointer(pending))
                    if event != .none { speech(event) }
                }
            }
        }
        pendingCount = filled
    }
}
