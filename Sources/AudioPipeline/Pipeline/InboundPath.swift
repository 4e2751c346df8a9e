/// The caller-to-model direction of one call, as plain stages: jitter buffer, decoder,
/// model-format encoder (with resampling) and voice activity detection.
///
/// Owned and driven by one consumer (the inline drive on the thread that receives the frames, or
/// ``CallPipeline``'s inbound task), so it needs no locks; every buffer is allocated in `init`
/// and reused, so a frame costs no allocation.
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
    /// One decoded frame, allocated once (an array would be checked for uniqueness on every access).
    private let decoded: UnsafeMutableBufferPointer<Float>
    public private(set) var counters = Counters()

    public init(decoder: consuming Decoder, jitterMode: JitterBuffer<Decoder.Frame>.Mode, modelFormat: ModelAudioFormat,
                vad: VoiceActivityDetector.Configuration.Aggressiveness = .normal) {
        let decodedCount = decoder.samplesPerFrame
        let decodedRate = decoder.sampleRate
        self.encoder = ModelBoundEncoder(format: modelFormat, inputRate: decodedRate)
        self.decoder = decoder
        self.jitter = JitterBuffer(mode: jitterMode)
        // The VAD at 8 kHz costs under half what it does at 24 kHz (0.39 vs 0.81 us per 10 ms).
        self.detectsOnDecoded = [8000, 16000, 24000].contains(decodedRate)
        let vadRate = detectsOnDecoded ? decodedRate : modelFormat.sampleRate
        let vadConfiguration = VoiceActivityDetector.Configuration(sampleRate: vadRate, frameDurationMs: 10,
                                                                   aggressiveness: vad)
        self.speechDetector = FramingDetector(detector: VoiceActivityDetector(configuration: vadConfiguration))
        self.decoded = .allocate(capacity: decodedCount)
        decoded.initialize(repeating: 0)
        self.passesThrough = Decoder.passThroughFormat == modelFormat
    }

    deinit { decoded.deallocate() }

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
            switch output {
            case .frame(let frame, _): run(frame, model: model, speech: speech)
            case .conceal: runConcealment(model: model, speech: speech)
            }
        }
        counters.late = jitter.statistics.late
        counters.jitterDelayMs = jitter.statistics.currentDelayMs
    }

    /// ``receive(_:sequence:arrivalNs:)`` then ``process(now:model:speech:)`` at the arrival time,
    /// for a path driven where frames arrive. A frame the jitter buffer would release at once goes
    /// straight through the stages (see ``JitterBuffer/releasesOnArrival(sequence:)``).
    public mutating func receiveAndProcess(_ frame: Decoder.Frame, sequence: UInt32, arrivalNs: UInt64,
                                           model: (UnsafeRawBufferPointer) -> Void,
                                           speech: (VoiceActivityDetector.Event) -> Void) {
        counters.framesIn += 1
        guard jitter.releasesOnArrival(sequence: sequence) else {
            jitter.insert(frame, sequence: sequence, arrivalNs: arrivalNs)
            process(now: arrivalNs, model: model, speech: speech)
            return
        }
        run(frame, model: model, speech: speech)
        counters.jitterDelayMs = 0
    }

    private mutating func run(_ frame: Decoder.Frame, model: (UnsafeRawBufferPointer) -> Void,
                              speech: (VoiceActivityDetector.Event) -> Void) {
        _ = decoder.decode(frame, into: decoded)
        if passesThrough { decoder.withPassThroughBytes(of: frame, model) }
        forwardDecoded(encoding: !passesThrough, model: model, speech: speech)
    }

    private mutating func runConcealment(model: (UnsafeRawBufferPointer) -> Void,
                                         speech: (VoiceActivityDetector.Event) -> Void) {
        _ = decoder.conceal(next: nil, into: decoded)
        counters.concealed += 1
        forwardDecoded(encoding: true, model: model, speech: speech)
    }

    /// Encodes the decoded frame for the model (unless its bytes went as received) and feeds the VAD.
    private mutating func forwardDecoded(encoding: Bool, model: (UnsafeRawBufferPointer) -> Void,
                                         speech: (VoiceActivityDetector.Event) -> Void) {
        counters.framesToModel += 1
        let onDecoded = detectsOnDecoded
        let pcm = UnsafeBufferPointer(decoded)
        if encoding {
            encoder.encode(pcm, floats: { if !onDecoded { speechDetector.feed($0, speech) } }, model)
        }
        if onDecoded { speechDetector.feed(pcm, speech) }
    }
}

/// Feeds a ``VoiceActivityDetector`` in its own frame size (10 ms), whatever size the audio comes in.
struct FramingDetector: ~Copyable {
    private var detector: VoiceActivityDetector
    /// The frame being gathered, allocated once.
    private let pending: UnsafeMutableBufferPointer<Float>
    private var pendingCount = 0

    init(detector: VoiceActivityDetector) {
        self.detector = detector
        self.pending = .allocate(capacity: detector.configuration.samplesPerFrame)
        pending.initialize(repeating: 0)
    }

    deinit { pending.deallocate() }

    mutating func feed(_ floats: UnsafeBufferPointer<Float>, _ speech: (VoiceActivityDetector.Event) -> Void) {
        let frameSize = pending.count
        var offset = 0
        var filled = pendingCount
        while offset < floats.count {
            if filled == 0, floats.count - offset >= frameSize {
                // A whole frame in the input: the detector reads it in place.
                let event = detector.process(UnsafeBufferPointer(rebasing: floats[offset..<offset + frameSize]))
                if event != .none { speech(event) }
                offset += frameSize
                continue
            }
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
        pendingCount = filled
    }
}
