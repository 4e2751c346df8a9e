import Atomics
import AudioPipeline
import Logging
import Synchronization

/// Closes a media stream that never sends `start`, or that goes quiet mid-call (Twilio sends a
/// message every 20 ms while a call is up, so silence on the socket means the peer is gone or
/// hostile). One sleeping task per stream, waking a few times per timeout: no per-message cost
/// beyond an atomic store.
final class StreamWatchdog: Sendable {
    private final class State: Sendable {
        let lastHeardNs = ManagedAtomic<UInt64>(MonotonicClock.nowNs())
        let hasStarted = ManagedAtomic<Bool>(false)
        let closedFor = Mutex<String?>(nil)
    }

    private let state = State()
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(startTimeout: Duration, idleTimeout: Duration, metrics: RelayMetrics?, logger: Logger,
         close: @escaping @Sendable (String) async -> Void) {
        let openedNs = MonotonicClock.nowNs()
        let period = max(.milliseconds(50), min(.seconds(1), min(startTimeout, idleTimeout) / 4))
        let startNs = Self.nanoseconds(startTimeout)
        let idleNs = Self.nanoseconds(idleTimeout)
        let watch = Task { [state] in
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                let now = MonotonicClock.nowNs()
                let reason: String
                let label: String
                if !state.hasStarted.load(ordering: .relaxed) {
                    guard now &- openedNs >= startNs else { continue }
                    reason = "no start within \(startTimeout)"
                    label = "no-start-timeout"
                } else {
                    guard now &- state.lastHeardNs.load(ordering: .relaxed) >= idleNs else { continue }
                    reason = "no message for \(idleTimeout)"
                    label = "idle-timeout"
                }
                guard !Task.isCancelled else { return }
                state.closedFor.withLock { $0 = reason }
                logger.warning("closing media stream", metadata: ["reason": .string(reason)])
                metrics?.refused(reason: label)
                await close(reason)
                return
            }
        }
        task.withLock { $0 = watch }
    }

    func heard(atNs now: UInt64) { state.lastHeardNs.store(now, ordering: .relaxed) }
    func started() { state.hasStarted.store(true, ordering: .relaxed) }
    /// Why the watchdog closed the stream, if it did.
    var reason: String? { state.closedFor.withLock { $0 } }
    func stop() { task.withLock { $0?.cancel() } }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
    }
}
