import Atomics

/// The body of a call's inbound task. It owns its stages as local values, so nothing in it is
/// shared but the ring, the doorbell and atomic counters.
extension CallPipeline where Decoder: ~Copyable {
    /// Inbound: wake on the doorbell, drain every waiting frame, run what is due through the path.
    static func runInbound(decoder: consuming Decoder, configuration: Configuration,
                           ring: SPSCRingBuffer<TimedFrame<Decoder.Frame>>, bell: Doorbell, counters: Counters,
                           events: AsyncStream<PipelineEvent>.Continuation, sink: some ModelAudioSink) async {
        var path = InboundPath(decoder: decoder, jitterMode: configuration.jitterMode, modelFormat: configuration.modelFormat,
                               vad: configuration.vadAggressiveness)
        // The ring holds more than is worth sending late; beyond half of it, shed the oldest.
        let backlogLimit = max(1, ring.capacity / 2)
        while await bell.wait() {
            let shed = ring.discardOldest(keeping: backlogLimit)
            if shed > 0 { counters.inboundDropped.wrappingIncrement(by: shed, ordering: .relaxed) }
            while let item = ring.pop() {
                path.receive(item.frame, sequence: item.sequence, arrivalNs: item.arrivalNs)
            }
            let now = MonotonicClock.nowNs()
            let before = path.counters
            path.process(now: now, model: { sink.sendToModel($0) }, speech: { event in
                switch event {
                case .speechStarted: events.yield(.speechStarted(atNs: now))
                case .speechEnded: events.yield(.speechEnded(atNs: now))
                case .none: break
                }
            })
            let after = path.counters
            counters.framesToModel.wrappingIncrement(by: after.framesToModel - before.framesToModel, ordering: .relaxed)
            counters.concealed.wrappingIncrement(by: after.concealed - before.concealed, ordering: .relaxed)
        }
    }
}
