import AudioPipeline
import CallRecords
import Atomics
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// One Twilio media stream: speaks the Media Streams protocol on its WebSocket and bridges the
/// call to a model through a ``CallPipeline``.
///
/// Caller audio is parsed from the frame's bytes straight into a ``MuLawFrame`` and delivered to
/// the pipeline, which runs the inbound stages inline and hands the model its audio. Model audio
/// goes through the pipeline's outbound path and pacer; paced frames reach this session through a
/// ring and are written as `media` (plus a `mark` every few frames) by a writer task. A protocol
/// error ends this stream only, with a close code and reason.
final class MediaStreamSession: Sendable {
    struct Closure: Error {
        let code: WebSocketErrorCode
        let reason: String
    }

    private let model: any RealtimeModel
    private let fallback: (any RealtimeModel)?
    private let pending: PendingModelSessions
    private let registry: CallRegistry
    private let modelHealth: ModelHealthMonitor?
    private let recorder: RecordWriter?
    private let metrics: RelayMetrics?
    private let region: String
    private let logger: Logger
    private let parser: MediaStreamParser
    private let startTimeout: Duration
    private let idleTimeout: Duration

    init(model: any RealtimeModel, fallback: (any RealtimeModel)?, pending: PendingModelSessions, registry: CallRegistry,
         modelHealth: ModelHealthMonitor?, recorder: RecordWriter?, metrics: RelayMetrics?, region: String, logger: Logger,
         maximumMessageBytes: Int, startTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(10)) {
        self.startTimeout = startTimeout
        self.idleTimeout = idleTimeout
        self.metrics = metrics
        self.model = model
        self.fallback = fallback
        self.pending = pending
        self.registry = registry
        self.modelHealth = modelHealth
        self.recorder = recorder
        self.region = region
        self.logger = logger
        self.parser = MediaStreamParser(maximumMessageBytes: maximumMessageBytes)
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        var logger = self.logger
        var call: ActiveCall?
        // Registered for capacity and drain: a drain that runs out of time closes the socket
        // (1001, going away) and the call ends with the drain's reason.
        let registration = CallRegistry.Entry { reason in try? await outbound.close(.goingAway, reason: reason) }
        registry.add(registration)
        defer { registry.remove(registration) }
        let metrics = self.metrics
        let watchdog = StreamWatchdog(startTimeout: startTimeout, idleTimeout: idleTimeout, metrics: metrics, logger: logger) { reason in
            try? await outbound.close(.policyViolation, reason: reason)
        }
        defer { watchdog.stop() }
        var framesDelivered = 0
        func finish(reason: String, outcome: String) async {
            guard let call else { return }
            await call.end(reason: reason)
            metrics?.activeCalls.decrement()
            metrics?.callEnded(outcome: outcome)
        }
        do {
            var payload = [UInt8](repeating: 0, count: 512)
            for try await frame in inbound {
                let receivedNs = MonotonicClock.nowNs()
                watchdog.heard(atNs: receivedNs)
                guard frame.fin else { throw Closure(code: .unacceptableData, reason: "fragmented messages are not supported") }
                guard frame.opcode == .text else { throw Closure(code: .unacceptableData, reason: "binary frames are not part of Media Streams") }
                let message: MediaStreamMessage
                do {
                    message = try frame.data.readableBytesView.withUnsafeBytes { bytes in
                        try payload.withUnsafeMutableBytes { payloadBuffer in
                            if let sid = call?.streamSid {
                                return try sid.withUnsafeBytes { try parser.parse(bytes, payload: payloadBuffer, streamSid: $0) }
                            }
                            return try parser.parse(bytes, payload: payloadBuffer)
                        }
                    }
                } catch let error as MediaStreamProtocolError {
                    throw Closure(code: .policyViolation, reason: error.description)
                }
                switch message {
                case .connected:
                    break
                case .start(let start):
                    guard call == nil else { throw Closure(code: .policyViolation, reason: "second start on one stream") }
                    guard start.mediaFormat.encoding == "audio/x-mulaw", start.mediaFormat.sampleRate == 8000 else {
                        throw Closure(code: .policyViolation, reason: "unsupported media format \(start.mediaFormat.encoding)")
                    }
                    logger[metadataKey: "call"] = .string(start.callSid)
                    logger[metadataKey: "stream"] = .string(start.streamSid)
                    let preopened = await pending.take(callSid: start.customParameters["callSid"] ?? start.callSid)
                    let callLog = CallLog(writer: recorder, metrics: metrics, call: CallRecord(
                        callSid: start.callSid, streamSid: start.streamSid, tenant: start.customParameters["tenant"] ?? "",
                        caller: start.customParameters["caller"] ?? "", region: region, provider: model.name,
                        endpoint: model.endpoint, startedAt: Date()))
                    call = try await ActiveCall.begin(start: start, model: model, fallback: fallback, preopened: preopened, outbound: outbound,
                                                  modelHealth: modelHealth, callLog: callLog, metrics: metrics, logger: logger)
                    metrics?.activeCalls.increment()
                    watchdog.started()
                    logger.info("call started", metadata: ["tenant": .string(start.customParameters["tenant"] ?? ""),
                                                           "modelPreopened": .stringConvertible(preopened != nil)])
                case .media(let packet):
                    guard let call else { throw Closure(code: .policyViolation, reason: "media before start") }
                    guard packet.isInbound else { continue }
                    guard packet.payloadCount == MuLawFrame.payloadBytes else {
                        throw Closure(code: .policyViolation, reason: "media payload is \(packet.payloadCount) bytes, expected 160")
                    }
                    var audio = InlineArray<160, UInt8>(repeating: 0xFF)
                    for index in 0..<160 { audio[index] = payload[index] }
                    call.pipeline.deliver(MuLawFrame(sequence: packet.chunk, payload: audio), sequence: packet.chunk,
                                          arrivalNs: receivedNs)
                    // Parse, decode, resample, VAD and the hand-off to the model socket, inline here.
                    framesDelivered += 1
                    if framesDelivered % 10 == 0 {
                        metrics?.inboundLatency.record(.nanoseconds(Int64(MonotonicClock.nowNs() &- receivedNs)))
                    }
                case .mark(let name):
                    if let mark = MarkName.parse(name) { call?.pipeline.markEchoed(item: mark.item, offsetMs: mark.offsetMs) }
                case .dtmf(let digit):
                    logger.info("dtmf", metadata: ["digit": .string(digit)])
                case .stop:
                    logger.info("call stopped by Twilio")
                    await finish(reason: "twilio stop", outcome: "completed")
                    return
                case .unknown(let event):
                    logger.notice("ignoring unknown Media Streams event", metadata: ["event": .string(event)])
                }
            }
            if let timedOut = watchdog.reason {
                await finish(reason: timedOut, outcome: "timed-out")
            } else {
                await finish(reason: registration.endReason ?? "websocket closed",
                             outcome: registration.endReason == nil ? "caller-disconnected" : "drained")
            }
        } catch let closure as Closure {
            logger.warning("closing media stream", metadata: ["reason": .string(closure.reason)])
            if call == nil, closure.code == .unexpectedServerError { metrics?.callEnded(outcome: "model-unavailable") }
            await finish(reason: closure.reason, outcome: "protocol-error")
            try? await outbound.close(closure.code, reason: closure.reason)
        } catch {
            logger.warning("media stream failed", metadata: ["error": .string("\(error)")])
            await finish(reason: registration.endReason ?? "\(error)", outcome: registration.endReason == nil ? "failed" : "drained")
        }
    }
}
