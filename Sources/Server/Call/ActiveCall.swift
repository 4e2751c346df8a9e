import AudioPipeline
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Wire

/// A call in progress on one media stream: its pipeline, its model session, and the decisions its
/// pipeline's events lead to (barge-in: `clear`, flush, truncate, cancel), taken on the stream's
/// event loop. The model's rare events are handled where they arrive (see ``ModelSide/Replies``). No
/// task waits through the call for either: each would be ~2.5 KB of the call's memory. Paced
/// agent audio goes straight to the carrier's socket through a ``CarrierAudioSink``.
final class ActiveCall: Sendable {
    /// Takes one received frame's audio into the pipeline; false when it is not one frame of the
    /// stream's encoding.
    typealias FrameIntake = @Sendable (_ audio: UnsafeRawBufferPointer, _ sequence: UInt32, _ arrivalNs: UInt64) -> Bool

    let streamSid: [UInt8]
    let pipeline: any CallPipelineControl
    let deliver: FrameIntake
    private let model: ModelSide
    /// Where the pipeline's events are acted on (the stream socket's loop).
    private let eventLoop: any EventLoop
    private let callLog: CallLog
    private let dtmfToModel: Bool
    private let logger: Logger

    private init(streamSid: [UInt8], pipeline: any CallPipelineControl, deliver: @escaping FrameIntake, model: ModelSide,
                 eventLoop: any EventLoop, callLog: CallLog, dtmfToModel: Bool, logger: Logger) {
        self.dtmfToModel = dtmfToModel
        self.streamSid = streamSid
        self.pipeline = pipeline
        self.deliver = deliver
        self.model = model
        self.eventLoop = eventLoop
        self.callLog = callLog
        self.logger = logger
    }

    static func begin(start: MediaStreamStart, encoding: CallerAudioEncoding, writer: some MediaStreamComposer, model: any RealtimeModel,
                      fallback: (any RealtimeModel)?,
                      preopened: PendingModelSessions.Opened?,
                      socket: MediaStreamSocket, modelHealth: ModelHealthMonitor?, callLog: CallLog, conversation: ConversationOptions,
                      metrics: RelayMetrics?, logger: Logger) async throws -> ActiveCall {
        // Inline inbound stages: the inbound ring only holds frames delivered before `start`, and
        // the stream's handler holds those until the call is up; a small ring saves 10 KB a call.
        // The outbound ring holds 640 ms: the model's socket stops being read at
        // ``ModelSide/Replies/backlogLimitMs``, leaving room for one more delta of up to 440 ms (a
        // Realtime delta carries tens of ms); what the model sends beyond waits in TCP.
        let (pipeline, deliver) = Self.pipeline(for: encoding, modelFormat: model.audioFormat)
        let historyTurns = conversation.reconnectHistoryTurns
        let modelSide = ModelSide(model: model, fallback: fallback, pipeline: pipeline, health: modelHealth, metrics: metrics,
                                  eventLoop: socket.channel.eventLoop, history: { callLog.conversation(limit: historyTurns) },
                                  logger: logger)
        let rareEvent = { @Sendable (event: ModelEvent) in
            switch event {
            case .closed(let reason):
                guard !modelSide.isEnding else { break }
                callLog.event("model-dropped", reason)
                modelSide.reconnect(after: reason) { reconnected in
                    if !modelSide.isEnding { callLog.event(reconnected ? "model-reconnected" : "model-unreachable", "") }
                }
            case .error(let message):
                logger.warning("model error", metadata: ["message": .string(message)])
                callLog.event("model-error", message)
            case .transcript(let speaker, let text):
                logger.debug("transcript", metadata: ["speaker": .string(speaker.rawValue), "text": .string(text)])
                callLog.transcript(speaker == .caller ? .caller : .agent, text)
            case .speechStarted, .responseStarted, .audioDone, .responseEnded:
                break
            }
        }
        do {
            try await modelSide.open(preopened: preopened, rareEvent: rareEvent)
        } catch {
            throw MediaStreamClosure(code: .unexpectedServerError, reason: "model unavailable: \(error)")
        }
        let sink = CarrierAudioSink(socket: socket, writer: writer, frameBytes: encoding.bytesPerFrame, callLog: callLog, metrics: metrics)
        let loop = socket.channel.eventLoop
        let speechStartedNs = NIOLoopBoundBox.makeEmptyBox(valueType: UInt64.self, eventLoop: loop)
        await pipeline.start(modelSink: modelSide.connection, callerSink: sink) { event in
            // Acted on in the loop, not where it happened: a flush is reported from inside the
            // model's replies' lock, which the barge-in below takes again.
            loop.execute {
                switch event {
                case .speechStarted(let atNs):
                    speechStartedNs.value = atNs
                    // The caller talks: the flush finds whether agent audio was ahead (barge-in) or not.
                    pipeline.requestFlush()
                    callLog.callerStartedSpeaking()
                case .flushed(let flush):
                    let onsetNs = speechStartedNs.value
                    speechStartedNs.value = nil
                    Self.callerSpoke(flush: flush, onsetNs: onsetNs, socket: socket, writer: writer, model: modelSide,
                                     callLog: callLog, metrics: metrics, logger: logger)
                case .speechEnded(_, let decidedAfterMs):
                    callLog.callerStoppedSpeaking(decisionDelay: .milliseconds(decidedAfterMs))
                }
            }
        }
        return ActiveCall(streamSid: Array(start.streamSid.utf8), pipeline: pipeline, deliver: deliver, model: modelSide, eventLoop: loop,
                          callLog: callLog, dtmfToModel: conversation.dtmfToModel, logger: logger)
    }

    /// The pipeline for the caller's encoding, and its frame intake: each made where the decoder's
    /// type is known, so a frame's way through the pipeline is compiled for it.
    private static func pipeline(for encoding: CallerAudioEncoding, modelFormat: ModelAudioFormat) -> (any CallPipelineControl, FrameIntake) {
        func configured<D: InboundDecoder & ~Copyable>(_: D.Type) -> CallPipeline<D>.Configuration {
            .init(modelFormat: modelFormat, callerEncoding: encoding, inboundCapacity: 4, outboundCapacity: 32)
        }
        switch encoding {
        case .muLaw:
            let pipeline = CallPipeline(configuration: configured(MuLawDecoder.self)) { MuLawDecoder() }
            return (pipeline, { audio, sequence, arrivalNs in
                guard let frame = G711Frame(sequence: sequence, bytes: audio) else { return false }
                pipeline.deliver(frame, sequence: sequence, arrivalNs: arrivalNs)
                return true
            })
        case .aLaw:
            let pipeline = CallPipeline(configuration: configured(ALawDecoder.self)) { ALawDecoder() }
            return (pipeline, { audio, sequence, arrivalNs in
                guard let frame = G711Frame(sequence: sequence, bytes: audio) else { return false }
                pipeline.deliver(frame, sequence: sequence, arrivalNs: arrivalNs)
                return true
            })
        case .opus(let sampleRate):
            // Carriers forward RTP without promising its order: packets are put back in order
            // (a missing one waited for while 3 more arrive, 60 ms), and a lost one is rebuilt
            // from the next one's FEC, or concealed.
            var configuration = configured(OpusInboundDecoder.self)
            configuration.jitterMode = .reorder(depth: 3)
            let pipeline = CallPipeline(configuration: configuration) {
                // Only fails for a rate Opus does not take, which the carrier's `encoding(of:)` refused.
                do { return try OpusInboundDecoder(sampleRate: sampleRate) } catch { preconditionFailure("\(error)") }
            }
            return (pipeline, { audio, sequence, arrivalNs in
                guard let frame = OpusPacketFrame(sequence: sequence, bytes: audio) else { return false }
                pipeline.deliver(frame, sequence: sequence, arrivalNs: arrivalNs)
                return true
            })
        case .linear16(let sampleRate), .linear16BigEndian(let sampleRate):
            let bigEndian = encoding == .linear16BigEndian(sampleRate: sampleRate)
            let pipeline = CallPipeline(configuration: configured(Linear16Decoder.self)) {
                Linear16Decoder(sampleRate: sampleRate, bigEndian: bigEndian)
            }
            return (pipeline, { audio, sequence, arrivalNs in
                guard let frame = Linear16Frame(sequence: sequence, bytes: audio) else { return false }
                pipeline.deliver(frame, sequence: sequence, arrivalNs: arrivalNs)
                return true
            })
        }
    }

    /// The caller pressed a key: a call event, and (unless turned off) a user message to the model.
    func keyPressed(_ digit: String) {
        guard digit.count == 1, "0123456789*#ABCD".contains(digit) else {
            logger.notice("ignoring a dtmf event that is not a keypad key", metadata: ["digit": .string(String(digit.prefix(16)))])
            return
        }
        callLog.event("dtmf", digit)
        if dtmfToModel { model.sendDigit(digit) }
    }

    /// The carrier reported an error (what it was sent, as it saw it): a call event.
    func carrierReported(_ detail: String) {
        callLog.event("carrier-error", String(detail.prefix(200)))
    }

    /// The caller started speaking and the playout has been flushed. It is a barge-in only if
    /// agent audio was still ahead of the caller (queued, playing, or its mark not yet echoed)
    /// or a response was streaming audio: then the carrier drops what it holds, the model cancels the
    /// response and forgets what was not heard. Otherwise the caller is taking a new turn, and
    /// the agent's last turn stays complete; a response that had begun without audio yet is
    /// cancelled (the caller is still talking), which is no interruption of anything heard.
    private static func callerSpoke(flush: PlaybackFlush, onsetNs: UInt64?, socket: MediaStreamSocket, writer: any MediaStreamComposer,
                                    model: ModelSide, callLog: CallLog, metrics: RelayMetrics?, logger: Logger) {
        let response = model.response
        let streaming = response.inProgress && response.hasAudio
        guard flush.audioWasAhead || response.inProgress else { return }
        if flush.audioWasAhead {
            socket.send(writer.frame(.clear, allocator: socket.allocator))
            if let onsetNs { metrics?.bargeInReaction.record(.nanoseconds(Int64(MonotonicClock.nowNs() &- onsetNs))) }
        }
        var heard: (item: UInt32, playedMs: Int)?
        if flush.audioWasAhead, let item = flush.item { heard = (item, Int(flush.playedMs)) }
        model.callerInterrupted(heard: heard)
        guard flush.audioWasAhead || streaming else {
            callLog.event("response-cancelled", "the caller spoke before the answer began")
            return
        }
        logger.info("barge-in", metadata: ["item": .stringConvertible(heard?.item ?? 0), "playedMs": .stringConvertible(heard?.playedMs ?? 0)])
        callLog.bargeIn(item: heard?.item, playedMs: heard?.playedMs ?? 0)
    }

    func end(reason: String) async {
        await pipeline.stop()
        model.close()
        // Decisions already handed to the loop are taken before the call's record closes.
        try? await eventLoop.submit {}.get()
        await model.reconnectionsFinished()
        callLog.end(reason: reason, counters: pipeline.counters, reconnects: model.reconnects)
        logger.info("call ended", metadata: ["reason": .string(reason)])
    }
}
