import Foundation
import Synchronization

/// One timer that drives the playout of every call it is given, every 20 ms.
///
/// Measured with 1,000 idle pipelines (`Benchmarks/Sources/PipelineLoad`): a sleeping task per
/// call woken every 20 ms cost about 1.26 ms of CPU per call-second, more than all of a call's
/// DSP; one clock ticking all calls inline costs a few microseconds per call-second. So calls
/// register a ``PacedOutput`` here instead of running a timer each.
///
/// A tick visits only the members that asked for it since the last one (``wake(_:)``): a member
/// whose audio went out on arrival, as a relayed call's mostly does, costs the clock nothing.
/// Visiting every member to read its flag cost a cache miss per call per tick, on a line the
/// model reader's thread writes next (measured in docs/performance-log.md).
///
/// The clock's single thread calls ``PacedOutput/tick(now:)``, so a member's tick never runs
/// concurrently with itself. Registration is rare and takes a lock the ticking also holds;
/// wake requests take a second lock, so a member may ask again from inside its own tick.
///
/// A thread sleeping to an absolute deadline (``MonotonicClock/sleep(untilNs:)``), not a task: `Task.sleep`
/// wakes the dispatch timer thread, which then wakes a pool thread to run the task, about four
/// context switches more per tick. Measured with one call (`PipelineLoad 1 5 mulaw`, 5 s):
/// 1,580 context switches and 57 ms of CPU with the task, 540 and 26 ms with the thread. The
/// thread outlives its last member by ``idleTicksBeforeExit`` ticks, so calls coming and going
/// do not start a thread each.
public final class PacingClock: Sendable {
    /// The clock calls shared by default (tests and special deployments can make their own).
    public static let shared = PacingClock()

    public let period: Duration
    private let state = Mutex<State>(State())
    /// Members that asked for the next tick, each at most once (see ``PacedOutput``).
    private let due = Mutex<[any PacedOutput]>([])

    private struct State: ~Copyable {
        var members: [ObjectIdentifier: any PacedOutput] = [:]
        var running = false
    }

    /// Ticks with no member before the thread exits (one second at 20 ms).
    static let idleTicksBeforeExit = 50

    public init(period: Duration = .milliseconds(20)) {
        self.period = period
    }

    /// Starts ticking `member` (and the clock itself if it was idle); its first tick is the next one.
    public func register(_ member: some PacedOutput) {
        state.withLock { state in
            state.members[ObjectIdentifier(member)] = member
            wake(member)
            if !state.running {
                state.running = true
                let thread = Thread { self.run() }
                thread.name = "pacing-clock"
                thread.start()
            }
        }
    }

    /// Stops ticking `member`; once this returns, its `tick` is not running and will not run again.
    public func unregister(_ member: some PacedOutput) {
        state.withLock { state in
            _ = state.members.removeValue(forKey: ObjectIdentifier(member))
        }
    }

    /// Ticks `member` at the next tick. A member asks once per tick it needs (``PacedOutput``).
    public func wake(_ member: some PacedOutput) {
        due.withLock { $0.append(member) }
    }

    /// Members currently registered.
    public var memberCount: Int { state.withLock { $0.members.count } }

    private func run() {
        let periodNs = period.wholeNanoseconds
        var deadline = MonotonicClock.nowNs()
        var idleTicks = 0
        var visiting: [any PacedOutput] = []
        while true {
            // Taken before the state lock: a member woken after this waits for the next tick.
            due.withLock { swap(&$0, &visiting) }
            let keepGoing = state.withLock { state -> Bool in
                guard !state.members.isEmpty else {
                    idleTicks += 1
                    if idleTicks > Self.idleTicksBeforeExit { state.running = false }
                    return state.running
                }
                idleTicks = 0
                let now = MonotonicClock.nowNs()
                // A member unregistered since it asked is skipped.
                for member in visiting where state.members[ObjectIdentifier(member)] != nil { member.tick(now: now) }
                return true
            }
            visiting.removeAll(keepingCapacity: true)
            guard keepGoing else { return }
            deadline += periodNs
            let now = MonotonicClock.nowNs()
            if deadline < now { deadline = now }
            MonotonicClock.sleep(untilNs: deadline)
        }
    }
}

/// Something a ``PacingClock`` ticks: a call's outbound playout.
///
/// The clock ticks a member only at the tick after it asked (``PacingClock/wake(_:)``; the clock
/// asks once on its behalf when it registers). A member asks once per tick it needs, keeping its
/// own flag of whether it already has, so it is never queued twice.
public protocol PacedOutput: AnyObject, Sendable {
    /// Called by the clock's single thread, never concurrently with itself.
    func tick(now: UInt64)
}
