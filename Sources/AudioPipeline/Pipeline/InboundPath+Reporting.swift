import Atomics

/// How the inbound path reports to its pipeline while it runs.
extension InboundPath where Decoder: ~Copyable {
    /// ``receiveAndProcess(_:sequence:arrivalNs:model:speech:)``, reporting to the pipeline: model
    /// audio to `sink`, speech to `events`, totals to `counters`. The sink is an existential, not a
    /// generic: ``InlineInbound`` holds it as one, and an opened existential would keep this whole
    /// path (jitter buffer and decoder included) from being specialized for the decoder.
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
