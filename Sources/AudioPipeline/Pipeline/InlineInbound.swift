import Synchronization

/// The inbound path run where frames arrive, on the network thread, instead of in a task.
///
/// `@unchecked Sendable`: `path` and `sink` are touched only by ``deliver(_:sequence:arrivalNs:)``,
/// which the single producer (one event loop) calls, never concurrently; `sink` is written once
/// before `started` is set with release ordering, and read only after loading it with acquire;
/// `flowing` is the producer's own note that it has seen `started` and drained `early`.
final class InlineInbound<Decoder: InboundDecoder & ~Copyable>: @unchecked Sendable {
    private var path: InboundPath<Decoder>
    private var sink: (any ModelAudioSink)?
    private let started = Atomic<Bool>(false)
    private var flowing = false
    /// Frames that came before ``start(sink:)`` wait here.
    private let early: SPSCRingBuffer<TimedFrame<Decoder.Frame>>
    private let counters: PipelineCounters
    private let events: PipelineEventRelay

    init(path: consuming InboundPath<Decoder>, early: SPSCRingBuffer<TimedFrame<Decoder.Frame>>,
         counters: PipelineCounters, events: PipelineEventRelay) {
        self.path = path
        self.early = early
        self.counters = counters
        self.events = events
    }

    func start(sink: some ModelAudioSink) {
        self.sink = sink
        started.store(true, ordering: .releasing)
    }

    func deliver(_ frame: Decoder.Frame, sequence: UInt32, arrivalNs: UInt64) {
        // The path's lines all at once, before the first of them is needed (see CachePrefetch).
        CachePrefetch.forWriting(&path)
        if !flowing {
            guard started.load(ordering: .acquiring) else {
                if !early.push(TimedFrame(frame: frame, sequence: sequence, arrivalNs: arrivalNs)) {
                    counters.inboundDropped.wrappingAdd(1, ordering: .relaxed)
                }
                return
            }
            guard let sink else { return }
            // Each waiting frame runs as it would have on arrival: inserting them all first would
            // hold more than a forwarding jitter buffer's slots, and it would start over.
            while let waiting = early.pop() {
                path.receiveAndProcess(waiting.frame, sequence: waiting.sequence, arrivalNs: waiting.arrivalNs, sink: sink,
                                       events: events, counters: counters)
            }
            flowing = true
        }
        guard let sink else { return }
        path.receiveAndProcess(frame, sequence: sequence, arrivalNs: arrivalNs, sink: sink, events: events, counters: counters)
    }
}
