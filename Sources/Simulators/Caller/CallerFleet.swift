import NIOCore

/// Every caller of a load run and the one timer that paces them, confined to the generator's
/// event loop. Callers are kept in twenty 1 ms phase slots (a call's phase is when it started),
/// and a tick every millisecond sends the frames of the slots that came due, so the run's
/// frames are spread over each 20 ms instead of leaving in one burst, and there is one timer
/// for all calls instead of one per call.
final class CallerFleet {
    private static let slotNs: UInt64 = 1_000_000
    private static let slotCount = 20

    let statistics = CallerStatistics()
    private let loop: any EventLoop
    private var slots = [[SimulatedCaller]](repeating: [], count: slotCount)
    private var lastSlot: UInt64 = 0
    private var ticking = false
    /// Ticks that ran more than 2 ms late (the generator itself was short of CPU).
    private(set) var lateTicks = 0

    init(loop: any EventLoop) {
        self.loop = loop
    }

    var callers: [SimulatedCaller] { slots.flatMap { $0 } }

    func add(_ caller: SimulatedCaller) {
        let now = NIODeadline.now().uptimeNanoseconds
        caller.begin(now: now)
        slots[Int((now / Self.slotNs) % UInt64(Self.slotCount))].append(caller)
        if !ticking {
            ticking = true
            lastSlot = now / Self.slotNs
            schedule(after: now)
        }
    }

    private func schedule(after now: UInt64) {
        let next = (now / Self.slotNs + 1) * Self.slotNs
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.scheduleTask(deadline: NIODeadline.uptimeNanoseconds(next)) { bound.value.tick() }
    }

    private func tick() {
        let now = NIODeadline.now().uptimeNanoseconds
        let current = now / Self.slotNs
        if current > lastSlot + 2 { lateTicks += 1 }
        let first = max(lastSlot + 1, current >= UInt64(Self.slotCount) ? current - UInt64(Self.slotCount) + 1 : 0)
        if current >= first {
            for slot in first...current {
                for caller in slots[Int(slot % UInt64(Self.slotCount))] { caller.sendDueFrames(now: now) }
            }
        }
        lastSlot = current
        guard ticking else { return }
        schedule(after: now)
    }

    func pauseAll() { for caller in callers { caller.pause() } }

    func hangUpAll() {
        for caller in callers { caller.hangUp() }
        ticking = false
    }

    func snapshot() -> CallerStatistics.Snapshot {
        CallerStatistics.Snapshot(outbound: statistics.outbound, marks: statistics.marks, clears: statistics.clears,
                                  closedByRelay: statistics.closedByRelay, errors: statistics.errors,
                                  malformedMedia: statistics.malformedMedia, open: callers.filter(\.isOpen).count,
                                  threadCPUSeconds: ThreadCPU.seconds(), lateTicks: lateTicks)
    }
}
