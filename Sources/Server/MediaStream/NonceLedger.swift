import AudioPipeline
import Synchronization

/// The nonces of signed requests already taken, so that a captured request replayed later is
/// refused even though its signature is valid. Plivo's V3 signature carries no timestamp, so a
/// nonce is remembered for ``retention`` (an hour: a replay within it is refused; one after it
/// would pass, and could pre-open one model session for the pre-open timeout) and at most
/// ``capacity`` are kept, the oldest forgotten first. Each instance keeps its own.
final class NonceLedger: Sendable {
    private struct State {
        var seen: [String: UInt64] = [:]
        /// Nonces in the order they were taken, to forget the oldest first.
        var order: [(nonce: String, atNs: UInt64)] = []
        var head = 0
    }

    let retention: Duration
    let capacity: Int
    private let state = Mutex(State())

    init(retention: Duration = .seconds(3600), capacity: Int = 200_000) {
        self.retention = retention
        self.capacity = capacity
    }

    /// Records `nonce`; false if it was taken before (a replay).
    func take(_ nonce: String, nowNs: UInt64 = MonotonicClock.nowNs()) -> Bool {
        let retentionNs = UInt64(retention.wholeNanoseconds)
        return state.withLock { state in
            while state.head < state.order.count,
                  state.order.count - state.head > capacity || nowNs &- state.order[state.head].atNs > retentionNs {
                state.seen[state.order[state.head].nonce] = nil
                state.head += 1
            }
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            guard state.seen[nonce] == nil else { return false }
            state.seen[nonce] = nowNs
            state.order.append((nonce, nowNs))
            return true
        }
    }
}
