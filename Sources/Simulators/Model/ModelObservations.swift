import Atomics
import NIOCore
import Synchronization

/// What the simulated model received and refused, for tests to compare with what was played.
final class ModelLog: Sendable {
    let accepted = ManagedAtomic<Int>(0)
    let open = ManagedAtomic<Int>(0)
    let truncations = Mutex<[(item: String, audioEndMs: Int)]>([])
    let events = Mutex<[(connection: Int, event: String)]>([])
    let errors = Mutex(0)
}

/// Hands each new call of a load run to the model connection that serves it. The generator opens
/// calls one at a time: it posts the call here before sending `start`, and the first connection
/// to send audio afterwards is that call's (the relay opens its model session on `start`).
/// Connections that never send audio (the relay's health probes) are never bound.
final class CallBinder: Sendable {
    private struct Pending {
        var timeline: CallTimeline
        var bound: @Sendable () -> Void
    }
    private let pending = Mutex<Pending?>(nil)

    func expect(_ timeline: CallTimeline, bound: @escaping @Sendable () -> Void) {
        pending.withLock { $0 = Pending(timeline: timeline, bound: bound) }
    }

    func bind() -> CallTimeline? {
        guard let taken = pending.withLock({ value -> Pending? in defer { value = nil }; return value }) else { return nil }
        taken.bound()
        return taken.timeline
    }
}

/// Counters and the inbound latency histogram of a load run's model; confined to its loop.
final class ModelStatistics {
    struct Snapshot: Sendable {
        var inbound: LatencyHistogram
        var cancels: Int
        var truncations: Int
        var unboundAppends: Int
        var drops: Int
        var threadCPUSeconds: Double
    }

    var inbound = LatencyHistogram()
    var cancels = 0
    var truncations = 0
    var unboundAppends = 0
    var drops = 0
    /// Open sessions, for fault injection.
    var connections: [ObjectIdentifier: any Channel] = [:]

    func snapshot() -> Snapshot {
        Snapshot(inbound: inbound, cancels: cancels, truncations: truncations, unboundAppends: unboundAppends, drops: drops,
                 threadCPUSeconds: ThreadCPU.seconds())
    }
}
