import Atomics

/// A call's outbound playout as a ``PacingClock`` member: applies Twilio's mark echoes and
/// flush requests, then lets the ``PlayoutPacer`` release what is due to the caller.
///
/// `@unchecked Sendable`: `pacer` is mutable state touched only inside ``tick(now:)``, which its
/// clock calls from one task and never concurrently; everything else is a lock-free ring, an
/// atomic, or immutable.
final class OutboundPlayout<Sink: CallerAudioSink>: PacedOutput, @unchecked Sendable {
    private var pacer: PlayoutPacer
    private let ring: SPSCRingBuffer<OutboundFrame>
    private let markEchoes: SPSCRingBuffer<MarkEcho>
    private let flushRequested: ManagedAtomic<Bool>
    private let framesToCaller: ManagedAtomic<Int>
    private let events: AsyncStream<PipelineEvent>.Continuation
    private let sink: Sink

    init(pacer: PlayoutPacer, ring: SPSCRingBuffer<OutboundFrame>, markEchoes: SPSCRingBuffer<MarkEcho>,
         flushRequested: ManagedAtomic<Bool>, framesToCaller: ManagedAtomic<Int>,
         events: AsyncStream<PipelineEvent>.Continuation, sink: Sink) {
        self.pacer = pacer
        self.ring = ring
        self.markEchoes = markEchoes
        self.flushRequested = flushRequested
        self.framesToCaller = framesToCaller
        self.events = events
        self.sink = sink
    }

    func tick(now: UInt64) {
        while let echo = markEchoes.pop() {
            pacer.markPlayed(item: echo.item, offsetMs: echo.offsetMs, now: now)
        }
        if flushRequested.exchange(false, ordering: .acquiringAndReleasing),
           let truncation = pacer.flush(now: now, queue: ring) {
            events.yield(.flushed(item: truncation.item, playedMs: truncation.playedMs, atNs: now))
        }
        let sink = self.sink
        let released = pacer.tick(now: now, queue: ring) { sink.sendToCaller($0.frame, mark: $0.wantsMark) }
        if released > 0 { framesToCaller.wrappingIncrement(by: released, ordering: .relaxed) }
    }
}
