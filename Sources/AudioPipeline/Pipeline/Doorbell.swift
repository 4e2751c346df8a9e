import Atomics

/// Wakes one waiting task when work arrives, without a lock and without allocating.
///
/// The producer ``ring()``s after each write; the consumer ``wait()``s when it found nothing to do.
/// If the bell rang since the consumer last woke, `wait` returns at once, so a ring is never lost
/// and bursts collapse into one wake-up (the consumer then drains everything in one batch).
///
/// `@unchecked Sendable`: the continuation slot is written by the consumer only while the state
/// is `idle`, published by a release compare-exchange to `waiting`, and taken by whichever side
/// moves the state out of `waiting` (acquire), so exactly one side resumes it.
public final class Doorbell: @unchecked Sendable {
    private enum State: Int {
        case idle = 0, rung = 1, waiting = 2, closed = 3
    }

    private let state = ManagedAtomic<Int>(State.idle.rawValue)
    private var continuation: UnsafeContinuation<Bool, Never>?

    public init() {}

    /// Signals the consumer (any thread).
    public func ring() {
        var current = state.load(ordering: .relaxed)
        while true {
            switch State(rawValue: current)! {
            case .rung, .closed:
                return
            case .idle:
                let (exchanged, original) = state.weakCompareExchange(
                    expected: current, desired: State.rung.rawValue, successOrdering: .releasing, failureOrdering: .relaxed)
                if exchanged { return }
                current = original
            case .waiting:
                let (exchanged, original) = state.compareExchange(
                    expected: current, desired: State.idle.rawValue, successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
                if exchanged {
                    let waiter = continuation
                    continuation = nil
                    waiter?.resume(returning: true)
                    return
                }
                current = original
            }
        }
    }

    /// Ends waiting for good: a pending and every later ``wait()`` return false.
    public func close() {
        let previous = state.exchange(State.closed.rawValue, ordering: .acquiringAndReleasing)
        if previous == State.waiting.rawValue {
            let waiter = continuation
            continuation = nil
            waiter?.resume(returning: false)
        }
    }

    /// Suspends until rung (true) or closed (false); the single consumer only.
    public func wait() async -> Bool {
        // Fast path: rung while we were busy.
        let (consumed, current) = state.compareExchange(
            expected: State.rung.rawValue, desired: State.idle.rawValue, ordering: .acquiring)
        if consumed { return true }
        if current == State.closed.rawValue { return false }
        return await withUnsafeContinuation { continuation in
            self.continuation = continuation
            let (parked, now) = state.compareExchange(
                expected: State.idle.rawValue, desired: State.waiting.rawValue, ordering: .acquiringAndReleasing)
            if parked { return }
            // Rung or closed between the check and parking: resume ourselves.
            self.continuation = nil
            if now == State.rung.rawValue {
                state.store(State.idle.rawValue, ordering: .releasing)
                continuation.resume(returning: true)
            } else {
                continuation.resume(returning: false)
            }
        }
    }
}
