import Atomics
import Synchronization

/// A call's outbound playout as a ``PacingClock`` member: applies Twilio's mark echoes and
/// flush requests, then lets the ``PlayoutPacer`` release what is due to the caller.
///
/// Two threads drive it: the clock every 20 ms, and the model reader right after it queued new
/// audio (``PlayoutKick``), so a frame the lead allows goes out on arrival instead of waiting
/// up to 20 ms for the next tick. Whoever finds the other running skips the turn: the one running
/// releases everything due.
///
/// `@unchecked Sendable`: `pacer` and the sink's producer side are touched only while holding
/// `running` (acquire/release), so never concurrently; everything else is a lock-free ring, an
/// atomic, or immutable.
final class OutboundPlayout<Sink: CallerAudioSink>: PacedOutput, @unchecked Sendable {
    private var pacer: PlayoutPacer
    private let ring: SPSCRingBuffer<OutboundFrame>
    private let markEchoes: SPSCRingBuffer<MarkEcho>
    private let flushRequested: ManagedAtomic<Bool>
    private let counters: PipelineCounters
    private let events: AsyncStream<PipelineEvent>.Continuation
    private let sink: Sink
    private let running = Atomic<Bool>(false)

    init(pacer: PlayoutPacer, ring: SPSCRingBuffer<OutboundFrame>, markEchoes: SPSCRingBuffer<MarkEcho>,
         flushRequested: ManagedAtomic<Bool>, counters: PipelineCounters,
         events: AsyncStream<PipelineEvent>.Continuation, sink: Sink) {
        self.pacer = pacer
        self.ring = ring
        self.markEchoes = markEchoes
        self.flushRequested = flushRequested
        self.counters = counters
        self.events = events
        self.sink = sink
    }

    func tick(now: UInt64) {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        defer { running.store(false, ordering: .releasing) }
        while let echo = markEchoes.pop() {
            pacer.markPlayed(item: echo.item, offsetMs: echo.offsetMs, now: now)
        }
        // A plain load first: the exchange is a locked instruction, and flushes are rare.
        if flushRequested.load(ordering: .relaxed), flushRequested.exchange(false, ordering: .acquiringAndReleasing),
           let truncation = pacer.flush(now: now, queue: ring) {
            events.yield(.flushed(item: truncation.item, playedMs: truncation.playedMs, atNs: now))
        }
        let sink = self.sink
        let released = pacer.tick(now: now, queue: ring) { sink.sendToCaller($0.frame, mark: $0.wantsMark) }
        if released > 0 { counters.framesToCaller.wrappingAdd(released, ordering: .relaxed) }
    }
}

/// Lets the model reader run a call's playout as soon as it has queued audio. Set once the
/// pipeline starts; disarmed when it stops.
final class PlayoutKick: Sendable {
    private final class Target: Sendable {
        let playout: any PacedOutput
        init(_ playout: any PacedOutput) { self.playout = playout }
    }

    private let target = AtomicLazyReference<Target>()
    private let disarmed = Atomic<Bool>(false)

    func arm(_ playout: any PacedOutput) { _ = target.storeIfNil(Target(playout)) }
    func disarm() { disarmed.store(true, ordering: .releasing) }

    func fire() {
        guard !disarmed.load(ordering: .acquiring), let target = target.load() else { return }
        target.playout.tick(now: MonotonicClock.nowNs())
    }
}
