import AudioPipeline
import Logging
import NIOCore

/// The model side of a call, one object to the call: what goes to the model (a session kept up
/// through drops, ``Connection``, which is also the pipeline's model sink) and what comes back
/// (audio into the outbound path, events into decisions, ``Replies``).
final class ModelSide: Sendable {
    /// Where the pipeline sends the caller's audio.
    let connection: Connection
    private let replies: Replies

    init(model: any RealtimeModel, fallback: (any RealtimeModel)?, pipeline: any CallPipelineControl, health: ModelHealthMonitor?,
         metrics: RelayMetrics?, eventLoop: any EventLoop, history: @escaping @Sendable () -> [ConversationTurn], logger: Logger) {
        replies = Replies(producer: pipeline.makeModelAudioProducer(), pipeline: pipeline)
        connection = Connection(model: model, fallback: fallback, replies: replies, health: health, metrics: metrics,
                                eventLoop: eventLoop, history: history, logger: logger)
    }

    /// Opens the session (or adopts the one opened at the webhook); `rareEvent` gets the model's
    /// closing, errors and transcripts from then on (see ``Replies/handleRareEvents(_:)``).
    func open(preopened: PendingModelSessions.Opened?, rareEvent: @escaping @Sendable (ModelEvent) -> Void) async throws {
        replies.handleRareEvents(rareEvent)
        guard let preopened else {
            do {
                try await connection.connect()
            } catch {
                replies.finish()
                throw error
            }
            return
        }
        connection.adopt(preopened)
    }

    /// The call is ending: the model closing now is expected.
    var isEnding: Bool { connection.isEnding }

    /// Where the model's response stands (for deciding whether the caller interrupted it).
    var response: Replies.ResponseState { replies.response }

    /// The model dropped: reconnects (see ``Connection/reconnect(after:then:)``).
    func reconnect(after reason: String, then report: @escaping @Sendable (Bool) -> Void) {
        connection.reconnect(after: reason, then: report)
    }

    func sendDigit(_ digit: String) { connection.sendDigit(digit) }

    /// The caller spoke over the agent: what is still coming of the response is dropped, the
    /// response cancelled (once), and, when the caller had heard part of item `heard`, the model
    /// told where the caller stopped hearing it.
    func callerInterrupted(heard: (item: UInt32, playedMs: Int)?) {
        if replies.interruptResponse() { connection.cancelResponse() }
        if let heard, let name = replies.itemName(for: heard.item) { connection.truncate(item: name, audioEndMs: heard.playedMs) }
    }

    /// Ends the session; no rare event is handled once this returns.
    func close() {
        connection.close()
        replies.finish()
    }

    /// Waits until no reconnection is under way.
    func reconnectionsFinished() async { await connection.reconnectionsFinished() }

    /// Sessions reopened after a drop.
    var reconnects: Int { connection.reconnects.load(ordering: .relaxed) }
}
