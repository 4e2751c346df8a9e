import Atomics

/// The body of a call's inbound task. It owns its stages as local values, so nothing in it is
/// shared but the ring, the doorbell and atomic counters.
extension CallPipeline where Decoder: ~Copyable {
    /// Inbound: wake on the doorbell, drain every waiting frame, run what is due through the path.
    static func runInbound(decoder: consuming Decoder, configuration: Configuration,
                           ring: SPSCRingBuffer<TimedFrame<Decoder.Frame>>, bell: Doorbell, counters: PipelineCounters,
                           events: AsyncStream<PipelineEvent>.Continuation, sink: some ModelAudioSink) async {
        var path = InboundPath(decoder: decoder, jitterMode: configuration.jitterMode, modelFormat: configuration.modelFormat,
                               vad: configuration.vadAggressiveness)
        // The ring holds more than is worth sending late; beyond half of it, shed the oldest.
        let backlogLimit = max(1, ring.capacity / 2)
        while await bell.wait() {
            let shed = ring.discardOldest(keeping: backlogLimit)
            if shed > 0 { counters.inboundDropped.wrappingAdd(shed, ordering: .relaxed) }
            while let item = ring.pop() {
                path.receive(item.frame, sequence: item.sequence, arrivalNs: item.arrivalNs)
            }
            path.process(now: MonotonicClock.nowNs(), sink: sink, events: events, counters: counters)
        }
    }
}

extension InboundPath where Decoder: ~Copyable {
    /// Runs what is due and reports to the pipeline: model audio to `sink`, speech to `events`,
    /// totals to `counters`. Shared by both inbound drives. The sink is an existential, not a
    /// generic: the inline drive holds it as one, and an opened existential would keep this whole
    /// path (jitter buffer and decoder included) from being specialized for the decoder.
    mutating func process(now: UInt64, sink: any ModelAudioSink, events: AsyncStream<PipelineEvent>.Continuation,
                          counters: PipelineCounters) {
        let before = self.counters
        process(now: now, model: { sink.sendToModel($0) }, speech: { event in
            switch event {
            case .speechStarted: events.yield(.speechStarted(atNs: now))
            case .speechEnded: events.yield(.speechEnded(atNs: now))
            case .none: break
            }
        })
        let after = self.counters
        counters.framesToModel.wrappingAdd(after.framesToModel - before.framesToModel, ordering: .relaxed)
        counters.concealed.wrappingAdd(after.concealed - before.concealed, ordering: .relaxed)
        counters.jitterDelayMs.store(after.jitterDelayMs, ordering: .relaxed)
    }
}
