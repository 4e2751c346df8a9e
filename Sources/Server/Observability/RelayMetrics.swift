import Prometheus

/// The relay's Prometheus metrics (`GET /metrics`), labelled by region and provider (and calls
/// in progress and ended, by carrier): never a call id, so the number of series stays small
/// however many calls pass through.
///
/// Per-frame figures (frames in and out, lost, concealed) are added when a call ends, so the hot
/// path touches no metric; latencies are observed once per event (a turn, a barge-in, a
/// response's first audio), and relay-added inbound latency on one frame in ten.
public final class RelayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let labels: [(String, String)]

    let callDuration: DurationHistogram
    let framesIn: Counter
    let framesOut: Counter
    let framesLost: Counter
    let agentFramesDropped: Counter
    let agentFramesOverflowed: Counter
    let framesConcealed: Counter
    let jitterDelay: DurationHistogram
    let inboundLatency: DurationHistogram
    let outboundLatency: DurationHistogram
    let modelConnect: DurationHistogram
    let voiceToVoice: DurationHistogram
    let bargeInReaction: DurationHistogram
    let modelReconnects: Counter
    let storeQueueDepth: Gauge
    let storeOutbox: Gauge

    /// Sub-millisecond buckets for what the relay itself adds to a frame.
    static let relayLatencyBuckets: [Duration] = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000].map { .microseconds($0) }
    /// Conversation-scale buckets: end of speech to answer, onset to `clear`, model connect.
    static let conversationBuckets: [Duration] = [25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000].map { .milliseconds($0) }

    public init(region: String, provider: String, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let labels = [("region", region), ("provider", provider)]
        self.labels = labels
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "voice_relay", metricName: metric, unitName: unit, helpText: help)
        }
        callDuration = registry.makeDurationHistogram(
            descriptor: name("call_duration", "seconds", "How long calls lasted."), labels: labels,
            buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600].map { .seconds($0) })
        framesIn = registry.makeCounter(descriptor: name("caller_frames_received", "total", "20 ms caller frames received from Twilio."), labels: labels)
        framesOut = registry.makeCounter(descriptor: name("caller_frames_sent", "total", "20 ms agent frames sent to Twilio."), labels: labels)
        framesLost = registry.makeCounter(descriptor: name("caller_frames_lost", "total", "Caller frames dropped (a stalled stage or no model session)."), labels: labels)
        agentFramesDropped = registry.makeCounter(descriptor: name("agent_frames_dropped", "total", "Agent frames dropped because the caller's socket was not draining (over its write buffer)."), labels: labels)
        agentFramesOverflowed = registry.makeCounter(descriptor: name("agent_frames_overflowed", "total", "Agent frames the call's playout buffer refused: the model sent faster than back-pressure allowed."), labels: labels)
        framesConcealed = registry.makeCounter(descriptor: name("caller_frames_concealed", "total", "Missing caller frames filled by concealment."), labels: labels)
        jitterDelay = registry.makeDurationHistogram(
            descriptor: name("jitter_buffer_delay", "seconds", "The caller jitter buffer's delay at the end of each call (0 in Twilio's forward-immediately mode)."),
            labels: labels, buckets: [0, 20, 40, 60, 80, 120, 200, 400].map { .milliseconds($0) })
        inboundLatency = registry.makeDurationHistogram(
            descriptor: name("relay_inbound_latency", "seconds", "Caller frame received to its audio handed to the model socket (1 frame in 10)."),
            labels: labels, buckets: Self.relayLatencyBuckets)
        outboundLatency = registry.makeDurationHistogram(
            descriptor: name("relay_outbound_latency", "seconds", "A response's first model audio received to its first frame written to Twilio."),
            labels: labels, buckets: Self.conversationBuckets.prefix(4) + Self.relayLatencyBuckets)
        modelConnect = registry.makeDurationHistogram(
            descriptor: name("model_connect", "seconds", "Opening a model session: connect, TLS, session set-up, confirmation."),
            labels: labels, buckets: Self.conversationBuckets)
        voiceToVoice = registry.makeDurationHistogram(
            descriptor: name("voice_to_voice", "seconds", "End of caller speech to the first agent audio sent to the caller."),
            labels: labels, buckets: Self.conversationBuckets)
        bargeInReaction = registry.makeDurationHistogram(
            descriptor: name("barge_in_reaction", "seconds", "Caller speech onset over agent audio to the clear sent to Twilio."),
            labels: labels, buckets: Self.conversationBuckets)
        modelReconnects = registry.makeCounter(descriptor: name("model_reconnects", "total", "Model sessions re-established after a drop."), labels: labels)
        storeQueueDepth = registry.makeGauge(descriptor: name("store_queue_depth", "records", "Call records waiting for the store."), labels: labels)
        storeOutbox = registry.makeGauge(descriptor: name("store_outbox", "records", "Call records in the durable outbox, waiting for the database."), labels: labels)
        // The family exists before the first call (Twilio's series: the carrier most relays take).
        _ = activeCalls(carrier: "twilio")
    }

    /// Calls in progress on this instance through `carrier`.
    func activeCalls(carrier: String) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "voice_relay", metricName: "active_calls",
                                                            helpText: "Calls in progress on this instance, by carrier."),
                           labels: labels + [("carrier", carrier)])
    }

    /// A call through `carrier` ended with `outcome` (`completed`, `model-unavailable`, `drained`, `protocol-error`, ...).
    public func callEnded(outcome: String, carrier: String) {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "voice_relay", metricName: "calls", unitName: "total",
                                                              helpText: "Calls by carrier and how they ended."),
                             labels: labels + [("carrier", carrier), ("outcome", outcome)]).increment()
    }

    /// What became of a model session opened at the webhook (`outcome`: adopted, expired,
    /// refused-capacity, failed).
    public func preopenedSession(outcome: String) {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "voice_relay", metricName: "preopened_model_sessions", unitName: "total",
                                                              helpText: "Model sessions opened at the webhook, by what became of them."),
                             labels: labels + [("outcome", outcome)]).increment()
    }

    /// A request handed to another region (`reason`: model-down, draining, capacity, tenant-pinned, home-region).
    public func replayed(reason: String) {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "voice_relay", metricName: "fly_replays", unitName: "total",
                                                              helpText: "Requests handed to another region with fly-replay, by reason."),
                             labels: labels + [("reason", reason)]).increment()
    }

    /// A connection or stream ended by a limit (`reason`: connection-limit, handshake-timeout,
    /// no-start-timeout, idle-timeout).
    public func refused(reason: String) {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "voice_relay", metricName: "connections_refused", unitName: "total",
                                                              helpText: "Connections and streams closed by a limit, by reason."),
                             labels: labels + [("reason", reason)]).increment()
    }

    /// The exposition text, with the store gauges read now.
    public func render(store: (queueDepth: Int, outbox: Int)?) -> [UInt8] {
        if let store {
            storeQueueDepth.set(Double(store.queueDepth))
            storeOutbox.set(Double(store.outbox))
        }
        return registry.emitToBuffer()
    }
}
