import Atomics

/// The bodies of a call's two tasks. They own their stages as local values, so nothing in
/// them is shared but the rings, the doorbell and atomic counters.
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

    /// Outbound: every 20 ms apply mark echoes and flush requests, then let the pacer release what is due.
    static func runOutbound(configuration: Configuration, ring: SPSCRingBuffer<OutboundFrame>,
                            markEchoes: SPSCRingBuffer<MarkEcho>, flushRequested: ManagedAtomic<Bool>,
                            running: ManagedAtomic<Bool>, counters: Counters,
                            events: AsyncStream<PipelineEvent>.Continuation, sink: some CallerAudioSink) async {
        var pacer = PlayoutPacer(configuration: configuration.pacer)
        let clock = ContinuousClock()
        var deadline = clock.now
        while running.load(ordering: .acquiring) {
            let now = MonotonicClock.nowNs()
            while let echo = markEchoes.pop() {
                pacer.markPlayed(item: echo.item, offsetMs: echo.offsetMs, now: now)
            }
            if flushRequested.exchange(false, ordering: .acquiringAndReleasing),
               let truncation = pacer.flush(now: now, queue: ring) {
                events.yield(.flushed(item: truncation.item, playedMs: truncation.playedMs, atNs: now))
            }
            let released = pacer.tick(now: now, queue: ring) { sink.sendToCaller($0.frame, mark: $0.wantsMark) }
            if released > 0 { counters.framesToCaller.wrappingIncrement(by: released, ordering: .relaxed) }
            deadline = deadline.advanced(by: .milliseconds(20))
            if deadline < clock.now { deadline = clock.now }
            try? await Task.sleep(until: deadline, clock: clock)
        }
    }
}
