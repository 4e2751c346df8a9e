import Atomics

/// The body of a call's inbound task. It owns its stages as local values, so nothing in it is
/// shared but the ring, the doorbell and atomic counters.
extension CallPipeline where Decoder: ~Copyable {
    /// Inbound: wake on the doorbell, drain every waiting frame, run what is due through the path.
    static func runInbound(decoder: consuming Decoder, configuration: Configuration,
                           ring: SPSCRingBuffer<TimedFrame<Decoder.Frame>>, bell: Doorbell, counters: PipelineCounters,
                           events: PipelineEventRelay, sink: some ModelAudioSink) async {
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
    /// totals to `counters`. The sink is an existential, not a generic: the inline drive holds it
    /// as one, and an opened existential would keep this whole path (jitter buffer and decoder
    /// included) from being specialized for the decoder.
    mutating func process(now: UInt64, sink: any ModelAudioSink, events: PipelineEventRelay,
                          counters: PipelineCounters) {
        reporting(to: counters) { path in
            path.process(now: now, model: { sink.sendToModel($0) }, speech: { Self.post($0, at: now, to: events) })
        }
    }

    /// ``receiveAndProcess(_:sequence:arrivalNs:model:speech:)``, reporting as ``process(now:sink:events:counters:)`` does.
    mutating func receiveAndProcess(_ frame: Decoder.Frame, sequence: UInt32, arrivalNs: UInt64, sink: any ModelAudioSink,
                                    events: PipelineEventRelay, counters: PipelineCounters) {
        reporting(to: counters) { path in
            path.receiveAndProcess(frame, sequence: sequence, arrivalNs: arrivalNs, model: { sink.sendToModel($0) },
                                   speech: { Self.post($0, at: arrivalNs, to: events) })
        }
    }

    private static func post(_ event: VoiceActivityDetector.Event, at now: UInt64, to events: PipelineEventRelay) {
        switch event {
        case .speechStarted: events.post(.speechStarted(atNs: now))
        case .speechEnded(_, let decidedAfterMs): events.post(.speechEnded(atNs: now, decidedAfterMs: decidedAfterMs))
        case .none: break
        }
    }

    /// Runs `body` and adds what it changed to the shared counters (only what changed). The path's
    /// one consumer is these counters' only writer.
    @inline(__always)
    private mutating func reporting(to shared: PipelineCounters, _ body: (inout Self) -> Void) {
        let before = counters
        body(&self)
        let after = counters
        if after.framesToModel != before.framesToModel {
            shared.framesToModel.addFromSoleWriter(after.framesToModel - before.framesToModel)
        }
        if after.concealed != before.concealed {
            shared.concealed.addFromSoleWriter(after.concealed - before.concealed)
        }
        if after.jitterDelayMs != before.jitterDelayMs { shared.jitterDelayMs.store(after.jitterDelayMs, ordering: .relaxed) }
    }
}
