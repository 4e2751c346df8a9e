import AudioPipeline
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// A call in progress on one media stream: its pipeline, its model session, the task that writes
/// paced audio to Twilio, and the task that turns pipeline and model events into decisions
/// (barge-in: `clear`, flush, truncate, cancel).
final class ActiveCall: Sendable {
    let streamSid: [UInt8]
    let pipeline: CallPipeline<MuLawDecoder>
    private let modelLink: ModelLink
    private let modelBridge: ModelBridge
    private let callerBridge: CallerBridge
    private let writerTask: Task<Void, Never>
    private let controlTask: Task<Void, Never>
    private let modelWatchTask: Task<Void, Never>
    private let callLog: CallLog
    private let logger: Logger

    private init(streamSid: [UInt8], pipeline: CallPipeline<MuLawDecoder>, modelLink: ModelLink,
                 modelBridge: ModelBridge, callerBridge: CallerBridge, writerTask: Task<Void, Never>,
                 controlTask: Task<Void, Never>, modelWatchTask: Task<Void, Never>, callLog: CallLog, logger: Logger) {
        self.streamSid = streamSid
        self.pipeline = pipeline
        self.modelLink = modelLink
        self.modelWatchTask = modelWatchTask
        self.modelBridge = modelBridge
        self.callerBridge = callerBridge
        self.writerTask = writerTask
        self.controlTask = controlTask
        self.callLog = callLog
        self.logger = logger
    }

    static func begin(start: MediaStreamStart, model: any RealtimeModel, fallback: (any RealtimeModel)?,
                      preopened: PendingModelSessions.Opened?,
                      outbound: WebSocketOutboundWriter, modelHealth: ModelHealthMonitor?, callLog: CallLog,
                      metrics: RelayMetrics?, logger: Logger) async throws -> ActiveCall {
        guard let writer = try? MediaStreamWriter(streamSid: start.streamSid) else {
            throw MediaStreamSession.Closure(code: .policyViolation, reason: "streamSid is not alphanumeric")
        }
        let pipeline = CallPipeline<MuLawDecoder>(configuration: .init(modelFormat: model.audioFormat)) { MuLawDecoder() }
        let modelBridge = ModelBridge(producer: pipeline.makeModelAudioProducer(), pipeline: pipeline)
        let modelLink = ModelLink(model: model, fallback: fallback, bridge: modelBridge, health: modelHealth, metrics: metrics, logger: logger)
        if let preopened {
            modelLink.adopt(preopened)
        } else {
            do {
                try await modelLink.connect()
            } catch {
                throw MediaStreamSession.Closure(code: .unexpectedServerError, reason: "model unavailable: \(error)")
            }
        }
        let callerBridge = CallerBridge()
        await pipeline.start(modelSink: modelLink, callerSink: callerBridge)

        let writerTask = Task {
            var writer = writer
            var lastItem: UInt32?
            await callerBridge.drain { media in
                callLog.agentAudioSent(item: media.frame.item)
                // Only a response's first frame asks the bridge (and takes its lock) for the arrival time.
                if media.frame.item != lastItem {
                    lastItem = media.frame.item
                    if let arrival = modelBridge.takeFirstAudioArrival(item: media.frame.item) {
                        metrics?.outboundLatency.record(.nanoseconds(Int64(MonotonicClock.nowNs() &- arrival)))
                    }
                }
                do {
                    let message = withUnsafeBytes(of: media.frame.payload) { payload in writer.media(payload) { ByteBuffer(bytes: $0) } }
                    try await Self.write(message, to: outbound)
                    if media.mark {
                        let mark = writer.mark(item: media.frame.item, offsetMs: media.frame.endOffsetMs) { ByteBuffer(bytes: $0) }
                        try await Self.write(mark, to: outbound)
                    }
                    return true
                } catch {
                    return false
                }
            }
        }
        let controlWriter = writer
        let controlTask = Task {
            var writer = controlWriter
            var speechStartedNs: UInt64?
            for await event in pipeline.events {
                switch event {
                case .speechStarted(let atNs):
                    speechStartedNs = atNs
                    // The caller talks: stop playback if any is going (the flush reports what was heard).
                    pipeline.requestFlush()
                    callLog.callerStartedSpeaking()
                case .flushed(let item, let playedMs, _):
                    try? await Self.write(writer.clear { ByteBuffer(bytes: $0) }, to: outbound)
                    if let onset = speechStartedNs {
                        metrics?.bargeInReaction.record(.nanoseconds(Int64(MonotonicClock.nowNs() &- onset)))
                    }
                    modelBridge.discardResponse()
                    modelLink.cancelResponse()
                    if let name = modelBridge.itemName(for: item) {
                        modelLink.truncate(item: name, audioEndMs: Int(playedMs))
                    }
                    logger.info("barge-in", metadata: ["item": .stringConvertible(item), "playedMs": .stringConvertible(playedMs)])
                    callLog.bargeIn(item: item, playedMs: Int(playedMs))
                case .speechEnded:
                    // The pipeline's VAD runs with the default hangover, on 20 ms frames.
                    callLog.callerStoppedSpeaking(decisionDelay: VoiceActivityDetector.Configuration().hangover + .milliseconds(20))
                }
            }
        }
        let modelWatchTask = Task {
            for await event in modelBridge.events {
                switch event {
                case .closed(let reason):
                    guard !modelLink.isEnding else { break }
                    callLog.event("model-dropped", reason)
                    let reconnected = await modelLink.modelClosed(reason: reason)
                    if !modelLink.isEnding { callLog.event(reconnected ? "model-reconnected" : "model-unreachable", "") }
                case .error(let message):
                    logger.warning("model error", metadata: ["message": .string(message)])
                    callLog.event("model-error", message)
                case .transcript(let speaker, let text):
                    logger.debug("transcript", metadata: ["speaker": .string(speaker.rawValue), "text": .string(text)])
                    callLog.transcript(speaker == .caller ? .caller : .agent, text)
                case .speechStarted, .responseDone:
                    break
                }
            }
        }
        return ActiveCall(streamSid: Array(start.streamSid.utf8), pipeline: pipeline, modelLink: modelLink,
                          modelBridge: modelBridge, callerBridge: callerBridge, writerTask: writerTask,
                          controlTask: controlTask, modelWatchTask: modelWatchTask, callLog: callLog, logger: logger)
    }

    func end(reason: String) async {
        await pipeline.stop()
        modelLink.close()
        modelBridge.finish()
        callerBridge.close()
        await writerTask.value
        await controlTask.value
        await modelWatchTask.value
        callLog.end(reason: reason, counters: pipeline.counters, reconnects: modelLink.reconnects.load(ordering: .relaxed))
        logger.info("call ended", metadata: ["reason": .string(reason)])
    }

    private static func write(_ buffer: ByteBuffer, to outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.custom(.init(fin: true, opcode: .text, data: buffer)))
    }
}

/// Paced frames from the pipeline's clock to the stream's writer task: a lock-free ring and a doorbell.
final class CallerBridge: CallerAudioSink {
    struct Media: BitwiseCopyable {
        var frame: OutboundFrame
        var mark: Bool
    }

    private let ring = SPSCRingBuffer<Media>(minimumCapacity: 64)
    private let bell = Doorbell()

    func sendToCaller(_ frame: OutboundFrame, mark: Bool) {
        _ = ring.push(Media(frame: frame, mark: mark))
        bell.ring()
    }

    /// Runs until closed or until `write` returns false (the socket is gone).
    func drain(_ write: (Media) async -> Bool) async {
        while await bell.wait() {
            while let media = ring.pop() {
                guard await write(media) else { return }
            }
        }
    }

    func close() { bell.close() }
}
