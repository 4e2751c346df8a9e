import Atomics

/// One call's audio runtime: an actor that owns the call's configuration and lifecycle, an
/// inbound path run where the caller's frames arrive, and a member of a shared ``PacingClock``
/// that plays the model's.
///
/// - Inbound: the network thread that receives a frame ``deliver(_:sequence:arrivalNs:)``s it
///   straight through an ``InboundPath`` (jitter buffer, decode, resample, VAD), which hands the
///   model's bytes to the ``ModelAudioSink``: no wake-up, no hand-off (see ``InlineInbound``).
///   Frames that come before ``start(modelSink:callerSink:events:)`` wait in a ring.
/// - Outbound: the model side converts audio with an ``OutboundPath`` into the outbound ring
///   (see ``makeModelAudioProducer()``) and at once lets this call's ``PlayoutPacer`` release
///   what its lead allows; every 20 ms the pacing clock does the same for what the lead held
///   back, after applying mark echoes and flush requests. (One clock for all calls: a timer task per call cost more CPU than the
///   DSP; see ``PacingClock``.)
///
/// No frame crosses the actor: each path has one owner thread at a time, so the per-frame path has
/// no actor hop, lock or allocation. Only ``PipelineEvent``s (speech start and end, flushes) reach
/// the owner, through the handler it gives ``start(modelSink:callerSink:events:)``. Every buffer
/// is bounded: frames beyond what the early ring holds are refused (counted in
/// ``PipelineCounters/inboundDropped``); a full outbound ring refuses new frames (counted, and
/// ``outboundBacklogMs`` tells the model reader to stop reading until the pacer catches up).
public actor CallPipeline<Decoder: InboundDecoder & ~Copyable> {
    public struct Configuration: Sendable {
        public var modelFormat: ModelAudioFormat
        /// What the agent's audio is encoded to for the caller.
        public var callerEncoding: CallerAudioEncoding
        public var jitterMode: JitterBuffer<Decoder.Frame>.Mode
        public var vadAggressiveness: VoiceActivityDetector.Configuration.Aggressiveness
        public var pacer: PlayoutPacer.Configuration
        /// Frames that may arrive before the pipeline starts (64 = 1.3 s); later ones are refused.
        public var inboundCapacity: Int
        /// Frames of model audio buffered ahead of the pacer (128 = 2.6 s; model readers hold back
        /// well before, so a burst never overflows it).
        public var outboundCapacity: Int

        public init(modelFormat: ModelAudioFormat = .pcm16(sampleRate: 24000), callerEncoding: CallerAudioEncoding = .muLaw,
                    jitterMode: JitterBuffer<Decoder.Frame>.Mode = .forwardImmediately,
                    vadAggressiveness: VoiceActivityDetector.Configuration.Aggressiveness = .normal,
                    pacer: PlayoutPacer.Configuration = .init(), inboundCapacity: Int = 64, outboundCapacity: Int = 128) {
            self.modelFormat = modelFormat
            self.callerEncoding = callerEncoding
            self.jitterMode = jitterMode
            self.vadAggressiveness = vadAggressiveness
            self.pacer = pacer
            self.inboundCapacity = inboundCapacity
            self.outboundCapacity = outboundCapacity
        }
    }

    public nonisolated let configuration: Configuration
    public nonisolated let counters = PipelineCounters()
    private nonisolated let events = PipelineEventRelay()

    private nonisolated let outboundRing: OutboundFrameRing
    private nonisolated let markEchoes = SPSCRingBuffer<MarkEcho>(minimumCapacity: 64)
    private nonisolated let kick = PlayoutKick()
    private let pacingClock: PacingClock
    private nonisolated let inbound: InlineInbound<Decoder>
    /// The same, for the per-frame call: `inbound` keeps it alive as long as `self`, and a frame
    /// read through `inbound` retained it first, a locked increment on its cold first cache line.
    private nonisolated let inboundUnretained: Unmanaged<InlineInbound<Decoder>>
    private var playout: (any PacedOutput)?

    public init(configuration: Configuration, pacingClock: PacingClock = .shared, decoder makeDecoder: () -> Decoder) {
        self.configuration = configuration
        self.pacingClock = pacingClock
        self.outboundRing = OutboundFrameRing(minimumCapacity: configuration.outboundCapacity, encoding: configuration.callerEncoding)
        let path = InboundPath(decoder: makeDecoder(), jitterMode: configuration.jitterMode,
                               modelFormat: configuration.modelFormat, vad: configuration.vadAggressiveness)
        inbound = InlineInbound(path: path, early: SPSCRingBuffer(minimumCapacity: configuration.inboundCapacity),
                                counters: counters, events: events)
        inboundUnretained = Unmanaged.passUnretained(inbound)
    }

    // MARK: Lifecycle

    /// Opens the inbound path to the model and joins the pacing clock; audio delivered before this
    /// waits in the rings. `events` gets the control events, in order, until ``stop()`` (see ``PipelineEventRelay``
    /// for what it may do).
    public func start(modelSink: some ModelAudioSink, callerSink: some CallerAudioSink,
                      events handler: @escaping @Sendable (PipelineEvent) -> Void) {
        guard playout == nil else { return }
        events.open(handler)
        inbound.start(sink: modelSink)
        let playout = OutboundPlayout(pacer: PlayoutPacer(configuration: configuration.pacer), ring: outboundRing,
                                      markEchoes: markEchoes, counters: counters, events: events, sink: callerSink,
                                      clock: pacingClock)
        pacingClock.register(playout)
        kick.arm(playout)
        self.playout = playout
    }

    /// Leaves the pacing clock; frames still in the rings are discarded, and once it returns the
    /// event handler is not called again.
    public func stop() {
        kick.disarm()
        if let playout { pacingClock.unregister(playout) }
        playout = nil
        events.close()
    }

    // MARK: Inbound (network side: one producer)

    /// Hands a frame from the network to the pipeline (the inbound ring's single producer).
    public nonisolated func deliver(_ frame: Decoder.Frame, sequence: UInt32, arrivalNs: UInt64) {
        handOver(frame, sequence: sequence, arrivalNs: arrivalNs)
    }

    /// The body every `deliver` shares, inlined so the decoder-specific overloads get it specialized.
    @inline(__always)
    nonisolated func handOver(_ frame: Decoder.Frame, sequence: UInt32, arrivalNs: UInt64) {
        counters.framesIn.addFromSoleWriter(1)  // the one producer is its only writer
        inboundUnretained._withUnsafeGuaranteedRef { $0.deliver(frame, sequence: sequence, arrivalNs: arrivalNs) }
    }

    // MARK: Outbound (model side: one producer; Twilio side: mark echoes)

    /// The converter the model reader feeds (it becomes the outbound ring's single producer).
    public nonisolated func makeModelAudioProducer() -> ModelAudioProducer {
        ModelAudioProducer(path: OutboundPath(format: configuration.modelFormat, caller: configuration.callerEncoding), ring: outboundRing,
                           kick: kick, counters: counters)
    }

    /// Milliseconds of model audio waiting for the pacer: a model reader should pause above a few seconds.
    public nonisolated var outboundBacklogMs: Int { outboundRing.count * OutboundFrame.durationMs }

    /// Twilio echoed a mark (the mark echoes' single producer).
    public nonisolated func markEchoed(item: UInt32, offsetMs: UInt32) {
        if markEchoes.push(MarkEcho(item: item, offsetMs: offsetMs)) { kick.markEchoQueued() }
    }

    /// The caller spoke: the playout drops queued audio at its next tick (within 20 ms) and
    /// reports whether any was still ahead of the caller, and what the caller heard, as
    /// ``PipelineEvent/flushed(_:)``.
    public nonisolated func requestFlush() {
        kick.requestFlush()
    }
}

// The per-frame entry point for the decoders this module ships, compiled with the decoder
// known. A caller in another module otherwise runs the generic `deliver`, whose stages (jitter
// buffer, decoder, VAD feed) stay unspecialized: generic metadata lookups and value-witness
// copies of every frame (measured in docs/performance-log.md).
extension CallPipeline where Decoder == MuLawDecoder {
    /// Hands a frame from the network to the pipeline (the inbound ring's single producer).
    public nonisolated func deliver(_ frame: G711Frame, sequence: UInt32, arrivalNs: UInt64) {
        handOver(frame, sequence: sequence, arrivalNs: arrivalNs)
    }
}

extension CallPipeline where Decoder == ALawDecoder {
    /// Hands a frame from the network to the pipeline (the inbound ring's single producer).
    public nonisolated func deliver(_ frame: G711Frame, sequence: UInt32, arrivalNs: UInt64) {
        handOver(frame, sequence: sequence, arrivalNs: arrivalNs)
    }
}

extension CallPipeline where Decoder == Linear16Decoder {
    /// Hands a frame from the network to the pipeline (the inbound ring's single producer).
    public nonisolated func deliver(_ frame: Linear16Frame, sequence: UInt32, arrivalNs: UInt64) {
        handOver(frame, sequence: sequence, arrivalNs: arrivalNs)
    }
}

extension CallPipeline where Decoder == OpusInboundDecoder {
    /// Hands a frame from the network to the pipeline (the inbound ring's single producer).
    public nonisolated func deliver(_ frame: OpusPacketFrame, sequence: UInt32, arrivalNs: UInt64) {
        handOver(frame, sequence: sequence, arrivalNs: arrivalNs)
    }
}

/// What the model reader holds: converts model audio into the call's outbound ring.
///
/// `@unchecked Sendable` like the ring it feeds: it may be handed between threads, but its calls
/// must never overlap (it is the ring's single producer); owners serialize them, e.g. by using it
/// from the model socket's reader only, or under their own lock.
public final class ModelAudioProducer: @unchecked Sendable {
    private var path: OutboundPath
    private let ring: OutboundFrameRing

    private let kick: PlayoutKick
    private let counters: PipelineCounters

    init(path: OutboundPath, ring: OutboundFrameRing, kick: PlayoutKick, counters: PipelineCounters) {
        self.path = path
        self.ring = ring
        self.kick = kick
        self.counters = counters
    }

    /// Converts and queues model audio, then lets the playout send what the lead allows at once.
    /// `arrivalNs` (when the audio reached the relay) is stamped on a new item's first frame.
    public func append(_ audio: UnsafeRawBufferPointer, item: UInt32, arrivalNs: UInt64 = 0) {
        let (before, dropped) = (ring.count, path.droppedFrames)
        path.append(audio, item: item, arrivalNs: arrivalNs, into: ring)
        countDrops(since: dropped)
        if ring.count > before { kick.fire() }
    }

    public func finishItem() {
        let dropped = path.droppedFrames
        path.finishItem(into: ring)
        countDrops(since: dropped)
        kick.fire()
    }

    @inline(__always)
    private func countDrops(since earlier: Int) {
        if path.droppedFrames != earlier { counters.outboundDropped.wrappingAdd(path.droppedFrames - earlier, ordering: .relaxed) }
    }
    public func discardPartial() { path.discardPartial() }
}
