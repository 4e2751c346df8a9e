/// The caller-to-model direction of one call, as plain stages: jitter buffer, decoder,
/// model-format encoder (with resampling) and voice activity detection.
///
/// Driven by one thread at a time (the one that receives the call's frames, see ``InlineInbound``),
/// so it needs no locks; every buffer is allocated in `init` and reused, so a frame costs no
/// allocation.
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
    /// Samples in one decoded frame.
    private let decodedCount: Int
    /// Where frames too large for ``withFrameBuffer(count:large:_:)``'s stack scratch are
    /// decoded (allocated once; nil for 8 kHz callers).
    private let largeFrame: UnsafeMutableBufferPointer<Float>?
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
        self.decodedCount = decodedCount
        if decodedCount > Self.stackFrameSamples {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: decodedCount)
            buffer.initialize(repeating: 0)
            self.largeFrame = buffer
        } else {
            self.largeFrame = nil
        }
        self.passesThrough = Decoder.passThroughFormat == modelFormat
    }

    deinit { largeFrame?.deallocate() }

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
        Self.withFrameBuffer(count: decodedCount, large: largeFrame) { decoded in
            _ = decoder.decode(frame, into: decoded)
            if passesThrough { decoder.withPassThroughBytes(of: frame, model) }
            forwardDecoded(UnsafeBufferPointer(decoded), encoding: !passesThrough, model: model, speech: speech)
        }
    }

    private mutating func runConcealment(model: (UnsafeRawBufferPointer) -> Void,
                                         speech: (VoiceActivityDetector.Event) -> Void) {
        counters.concealed += 1
        Self.withFrameBuffer(count: decodedCount, large: largeFrame) { decoded in
            _ = decoder.conceal(next: nil, into: decoded)
            forwardDecoded(UnsafeBufferPointer(decoded), encoding: true, model: model, speech: speech)
        }
    }

    /// The most samples decoded into stack scratch: 1 KB, which the standard library always
    /// places on the stack (a larger temporary allocation may go to the heap).
    private static var stackFrameSamples: Int { 256 }

    /// Scratch for one decoded frame: on the stack for 8 kHz frames, where it is always in cache
    /// (a buffer kept per call is written and read back from memory on every frame once a
    /// thousand calls' state has left the cache); `large` otherwise.
    @inline(__always)
    private static func withFrameBuffer(count: Int, large: UnsafeMutableBufferPointer<Float>?,
                                        _ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        if let large { return body(large) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: stackFrameSamples) { scratch in
            body(UnsafeMutableBufferPointer(rebasing: scratch[0..<count]))
        }
    }

    /// Encodes the decoded frame for the model (unless its bytes went as received) and feeds the VAD.
    private mutating func forwardDecoded(_ pcm: UnsafeBufferPointer<Float>, encoding: Bool,
                                         model: (UnsafeRawBufferPointer) -> Void,
                                         speech: (VoiceActivityDetector.Event) -> Void) {
        counters.framesToModel += 1
        let onDecoded = detectsOnDecoded
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
