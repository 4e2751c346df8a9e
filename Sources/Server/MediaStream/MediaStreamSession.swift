import AudioPipeline
import CallRecords
import Logging
import NIOCore
import Wire

/// What every media stream of this server shares: the model, the registry, the records, the
/// limits. It makes one ``MediaStreamHandler`` per accepted WebSocket, for the carrier whose path it came on.
final class MediaStreamSession: Sendable {
    let model: any RealtimeModel
    let fallback: (any RealtimeModel)?
    let pending: PendingModelSessions
    let registry: CallRegistry
    let modelHealth: ModelHealthMonitor?
    let recorder: RecordWriter?
    let metrics: RelayMetrics?
    let region: String
    let logger: Logger
    let maximumMessageBytes: Int
    let startTimeout: Duration
    let idleTimeout: Duration
    /// What a call does with the conversation beyond audio.
    let conversation: ConversationOptions

    init(model: any RealtimeModel, fallback: (any RealtimeModel)?, pending: PendingModelSessions, registry: CallRegistry,
         modelHealth: ModelHealthMonitor?, recorder: RecordWriter?, metrics: RelayMetrics?, region: String, logger: Logger,
         maximumMessageBytes: Int, startTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(10),
         conversation: ConversationOptions = .init()) {
        self.model = model
        self.fallback = fallback
        self.pending = pending
        self.registry = registry
        self.modelHealth = modelHealth
        self.recorder = recorder
        self.metrics = metrics
        self.region = region
        self.logger = logger
        self.maximumMessageBytes = maximumMessageBytes
        self.startTimeout = startTimeout
        self.idleTimeout = idleTimeout
        self.conversation = conversation
    }

    func makeHandler<Carrier: CarrierStream>(_ carrier: Carrier) -> MediaStreamHandler<Carrier> {
        MediaStreamHandler(session: self, carrier: carrier)
    }
}

/// How a call treats the conversation beyond audio: key presses, and what a model session
/// opened after a drop is told.
struct ConversationOptions: Sendable {
    var dtmfToModel = true
    var reconnectHistoryTurns = 20
}
