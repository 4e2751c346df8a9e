import Synchronization

/// A call's outbound playout as a ``PacingClock`` member: applies Twilio's mark echoes and
/// flush requests, then lets the ``PlayoutPacer`` release what is due to the caller.
///
/// Two threads drive it: the model reader right after it queued new audio (``release(now:)``,
/// through the ``PlayoutKick``), so a frame the lead allows goes out on arrival instead of
/// waiting up to 20 ms; and the clock every 20 ms (``tick(now:)``), for what the lead held back.
/// Whoever finds the other running skips the turn: the one running releases everything due.
///
/// The clock ticks the playout only when it asked (``needsClock``): frames left in the ring, a
/// mark echo or a flush request, or a turn the model reader skipped. Most 20 ms of an echoing or
/// idle call need nothing, and then the clock does not touch the playout at all.
///
/// `@unchecked Sendable`: `pacer` and the sink's producer side are touched only while holding
/// `running` (acquire/release), so never concurrently; everything else is a lock-free ring, an
/// atomic, or immutable.
final class OutboundPlayout<Sink: CallerAudioSink>: PacedOutput, KickedPlayout, @unchecked Sendable {
    /// Whether the clock has been asked to tick this playout (true from the start: the clock's
    /// first tick after registering, which ``PacingClock/register(_:)`` asks for).
    private let needsClock = Atomic<Bool>(true)
    private let running = Atomic<Bool>(false)
    private let flushRequested = Atomic<Bool>(false)
    private var pacer: PlayoutPacer
    private let ring: OutboundFrameRing
    private let markEchoes: SPSCRingBuffer<MarkEcho>
    private let counters: PipelineCounters
    private let events: PipelineEventRelay
    private let sink: Sink
    private let clock: PacingClock

    init(pacer: PlayoutPacer, ring: OutboundFrameRing, markEchoes: SPSCRingBuffer<MarkEcho>,
         counters: PipelineCounters, events: PipelineEventRelay, sink: Sink, clock: PacingClock) {
        self.clock = clock
        self.pacer = pacer
        self.ring = ring
        self.markEchoes = markEchoes
        self.counters = counters
        self.events = events
        self.sink = sink
    }

    /// The clock's turn, which this playout asked for.
    func tick(now: UInt64) {
        // Cleared before releasing: what asks during the release gets the next tick.
        guard needsClock.exchange(false, ordering: .acquiring) else { return }
        release(now: now)
    }

    /// Something for the clock: a mark echo or a flush request was queued, or frames wait.
    /// Asks the clock once until its tick comes. Always the exchange, never a plain load first:
    /// a load could see the flag a tick is about to clear while that tick misses what was just
    /// queued; the exchange orders the two, so that tick or the next one sees it.
    func attend() {
        guard !needsClock.exchange(true, ordering: .acquiringAndReleasing) else { return }
        clock.wake(self)
    }

    func requestFlush() {
        flushRequested.store(true, ordering: .releasing)
        attend()
    }

    /// Applies mark echoes and a flush request, then releases what the pacer allows now.
    func release(now: UInt64) {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            // The other side is running and may have looked at the rings already: the clock
            // takes what this turn would have.
            attend()
            return
        }
        defer { running.store(false, ordering: .releasing) }
        while let echo = markEchoes.pop() {
            pacer.markPlayed(item: echo.item, offsetMs: echo.offsetMs, now: now)
        }
        // A plain load first: the exchange is a locked instruction, and flushes are rare.
        if flushRequested.load(ordering: .relaxed), flushRequested.exchange(false, ordering: .acquiringAndReleasing) {
            let wasAhead = ring.count > 0 || pacer.hasAudioAhead(now: now)
            let truncation = pacer.flush(now: now, queue: ring)
            events.post(.flushed(PlaybackFlush(item: truncation?.item, playedMs: truncation?.playedMs ?? 0, audioWasAhead: wasAhead,
                                               atNs: now)))
        }
        let sink = self.sink
        let released = pacer.tick(now: now, queue: ring) { sink.sendToCaller($0.frame, audio: $0.audio, mark: $0.wantsMark) }
        // Only the holder of `running` writes it.
        if released > 0 { counters.framesToCaller.addFromSoleWriter(released) }
        // Frames the lead held back go out on later clock ticks.
        if ring.count > 0 { attend() }
    }
}

/// What the ``PlayoutKick`` reaches of a call's playout.
protocol KickedPlayout: AnyObject, Sendable {
    func release(now: UInt64)
    func attend()
    func requestFlush()
}

/// Lets the model reader run a call's playout as soon as it has queued audio, and the Twilio
/// side hand it mark echoes and flush requests. Set once the pipeline starts (nothing plays
/// before, so a flush requested earlier has nothing to flush); disarmed when it stops.
///
/// The playout is held as an unmanaged reference in a plain atomic: `AtomicLazyReference.load`
/// is not inlinable, and per frame it cost a generic metadata lookup and a retain and release.
/// The kick keeps its own +1 on the target from `arm` to
/// `deinit` and never replaces it, so a loaded reference stays valid while the kick lives.
final class PlayoutKick: Sendable {
    private final class Target: Sendable {
        let playout: any KickedPlayout
        init(_ playout: any KickedPlayout) { self.playout = playout }
    }

    private let target = Atomic<Unmanaged<Target>?>(nil)
    private let disarmed = Atomic<Bool>(false)

    deinit { target.load(ordering: .acquiring)?.release() }

    /// Sets the playout to drive; the first call wins.
    func arm(_ playout: any KickedPlayout) {
        let retained = Unmanaged.passRetained(Target(playout))
        if !target.compareExchange(expected: nil, desired: retained, ordering: .acquiringAndReleasing).exchanged {
            retained.release()
        }
    }

    func disarm() { disarmed.store(true, ordering: .releasing) }

    /// New audio is queued: release what is due now.
    func fire() { withPlayout { $0.release(now: MonotonicClock.nowNs()) } }

    /// A mark echo is queued: the clock applies it.
    func markEchoQueued() { withPlayout { $0.attend() } }

    func requestFlush() { withPlayout { $0.requestFlush() } }

    @inline(__always)
    private func withPlayout(_ body: (any KickedPlayout) -> Void) {
        guard !disarmed.load(ordering: .acquiring), let target = target.load(ordering: .acquiring) else { return }
        target._withUnsafeGuaranteedRef { body($0.playout) }
    }
}
