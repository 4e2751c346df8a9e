import Synchronization

/// A call pipeline's running totals, readable at any time from any thread.
///
/// The atomics are stored in this one object, not one object each: the per-frame path touches
/// it once, and with a thousand calls' state out of cache every object touched is a miss.
public final class PipelineCounters: Sendable {
    public let framesIn = Atomic<Int>(0)
    public let framesToModel = Atomic<Int>(0)
    public let concealed = Atomic<Int>(0)
    public let inboundDropped = Atomic<Int>(0)
    public let framesToCaller = Atomic<Int>(0)
    /// Model audio frames the full outbound ring refused (its producer ignored back-pressure).
    public let outboundDropped = Atomic<Int>(0)
    /// The jitter buffer's current delay (a gauge, not a total).
    public let jitterDelayMs = Atomic<Int>(0)

    init() {}
}
