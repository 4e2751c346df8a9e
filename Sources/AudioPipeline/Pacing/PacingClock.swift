import Synchronization

/// One timer that drives the playout of every call it is given, every 20 ms.
///
/// Measured with 1,000 idle pipelines (`Benchmarks/Sources/PipelineLoad`): a sleeping task per
/// call woken every 20 ms cost about 1.26 ms of CPU per call-second, more than all of a call's
/// DSP; one clock ticking all calls inline costs a few microseconds per call-second. So calls
/// register a ``PacedOutput`` here instead of running a timer each.
///
/// The clock's single task calls ``PacedOutput/tick(now:)`` for every member in turn, so a
/// member's tick never runs concurrently with itself. Registration is rare and takes a lock
/// the ticking also holds.
public final class PacingClock: Sendable {
    /// The clock calls shared by default (tests and special deployments can make their own).
    public static let shared = PacingClock()

    public let period: Duration
    private let state = Mutex<State>(State())

    private struct State: ~Copyable {
        var members: [ObjectIdentifier: any PacedOutput] = [:]
        var task: Task<Void, Never>?
    }

    public init(period: Duration = .milliseconds(20)) {
        self.period = period
    }

    /// Starts ticking `member` (and the clock itself if it was idle).
    public func register(_ member: some PacedOutput) {
        state.withLock { state in
            state.members[ObjectIdentifier(member)] = member
            if state.task == nil {
                let period = self.period
                state.task = Task.detached { [weak self] in await self?.run(period: period) }
            }
        }
    }

    /// Stops ticking `member`; once this returns, its `tick` is not running and will not run again.
    public func unregister(_ member: some PacedOutput) {
        state.withLock { state in
            _ = state.members.removeValue(forKey: ObjectIdentifier(member))
        }
    }

    /// Members currently ticked.
    public var memberCount: Int { state.withLock { $0.members.count } }

    private func run(period: Duration) async {
        let clock = ContinuousClock()
        var deadline = clock.now
        while true {
            let keepGoing = state.withLock { state -> Bool in
                guard !state.members.isEmpty else {
                    state.task = nil
                    return false
                }
                let now = MonotonicClock.nowNs()
                for member in state.members.values { member.tick(now: now) }
                return true
            }
            guard keepGoing else { return }
            deadline = deadline.advanced(by: period)
            if deadline < clock.now { deadline = clock.now }
            try? await Task.sleep(until: deadline, clock: clock)
        }
    }
}

/// Something a ``PacingClock`` ticks: a call's outbound playout.
public protocol PacedOutput: AnyObject, Sendable {
    /// Called every period by the clock's single task, never concurrently with itself.
    func tick(now: UInt64)
}
