import AudioPipeline
import CallRecords
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import Wire

/// One carrier media stream, as the channel handler of its WebSocket on the connection's event
/// loop: it speaks the carrier's protocol (through its ``CarrierStream``) and bridges the call to
/// a model through a ``CallPipeline``.
///
/// It reads the socket's bytes itself (``WebSocketFrameReader``: no frame decoder or encoder in
/// the pipeline, nothing allocated per message). Caller audio is parsed from the frame's bytes
/// straight into a ``G711Frame`` and delivered to
/// the pipeline, which runs the inbound stages inline and writes the model's audio to the model
/// socket, whose channel lives on this same loop: a caller frame crosses no thread, task or
/// queue on its way to the model. Opening the model session on `start` is the one wait: reading
/// pauses until the call is up. A protocol error ends this stream only, with a close code and
/// reason; a stream that never starts or goes quiet is closed by its watchdog. What the protocol
/// decides (phases, what each message leads to, timeouts) is ``MediaStreamStateMachine``'s; this
/// handler does the I/O it asks for.
final class MediaStreamHandler<Carrier: CarrierStream>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Closure = MediaStreamClosure

    private let session: MediaStreamSession
    private let carrier: Carrier
    private var logger: Logger
    private var context: ChannelHandlerContext?
    private var machine: MediaStreamStateMachine<ActiveCall>
    private var reader: WebSocketFrameReader
    private var framesDelivered = 0
    private var registration: CallRegistry.Entry?
    /// Set for the moment a timeout could first expire, not repeated: a healthy call's watchdog
    /// fires once per idle timeout instead of every second (each NIO reschedule allocates).
    private var watchdog: Scheduled<Void>?
    private var timedOut: String?
    /// A close frame went out: what follows on the socket is not read.
    private var isClosing = false

    init(session: MediaStreamSession, carrier: Carrier) {
        self.session = session
        self.carrier = carrier
        self.logger = session.logger
        self.reader = WebSocketFrameReader(maximumPayloadBytes: session.maximumMessageBytes)
        self.machine = MediaStreamStateMachine(openedNs: MonotonicClock.nowNs(), startTimeout: session.startTimeout,
                                               idleTimeout: session.idleTimeout, encodingOf: carrier.encoding(of:))
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        // Registered for capacity and drain: a drain that runs out of time ends the call with
        // its reason, then closes the socket (1001, going away).
        let registration = CallRegistry.Entry { reason in
            loop.execute { bound.value.endThenClose(Closure(code: .goingAway, reason: reason), reason: reason, outcome: "drained") }
        }
        self.registration = registration
        session.registry.add(registration)
        armWatchdog(checkingAt: machine.firstTimeoutCheckNs)
    }

    func channelInactive(context: ChannelHandlerContext) {
        watchdog?.cancel()
        if let registration { session.registry.remove(registration) }
        let (reason, outcome) = whyItEnded
        finish(reason: reason, outcome: outcome)
        self.context = nil
        context.fireChannelInactive()
    }

    /// The reason and outcome of a stream that ended without a message saying why.
    private var whyItEnded: (reason: String, outcome: String) {
        if let timedOut { return (timedOut, "timed-out") }
        if let drained = registration?.endReason { return (drained, "drained") }
        // A carrier that never says `stop` ends every call by closing the socket.
        return ("websocket closed", carrier.sendsStop ? "caller-disconnected" : "completed")
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("media stream failed", metadata: ["error": .string("\(error)")])
        close(Closure(code: .protocolError, reason: "\(error)"))
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let receivedNs = MonotonicClock.nowNs()
        machine.heard(atNs: receivedNs)
        do {
            try reader.read(unwrapInboundIn(data)) { frame in receive(frame, at: receivedNs, context: context) }
        } catch {
            if case .tooLarge = error {
                close(Closure(code: .messageTooLarge, reason: "frame exceeds the message size limit"))
            } else {
                close(Closure(code: .protocolError, reason: error.description))
            }
        }
    }

    /// One frame; returns whether to go on reading.
    private func receive(_ frame: WebSocketFrameReader.Frame, at receivedNs: UInt64, context: ChannelHandlerContext) -> Bool {
        switch frame.opcode {
        case .text where frame.fin:
            return take(frame.payload, isAudio: false, at: receivedNs)
        case .text, .continuation, .binary where !frame.fin:
            close(Closure(code: .unacceptableData, reason: "fragmented messages are not supported"))
        case .binary where carrier.sendsAudioInBinaryFrames:
            return take(frame.payload, isAudio: true, at: receivedNs)
        case .binary:
            close(Closure(code: .unacceptableData, reason: "binary frames are not part of \(carrier.name)'s media stream"))
        case .close where isClosing:
            // The answer to our own close: the handshake is complete.
            context.close(promise: nil)
        case .close, .ping, .pong:
            var frames = WebSocketFrameWriter.server
            guard let answer = WebSocketControlAnswer(to: frame, frames: &frames, allocator: context.channel.allocator) else { return false }
            if case .closeHandshake = answer { isClosing = true }
            answer.send(on: context)
            return !isClosing
        }
        return false
    }

    /// A whole message (a text message, or a binary frame of audio): held while the call opens,
    /// else taken now; returns whether to go on reading.
    private func take(_ message: UnsafeRawBufferPointer, isAudio: Bool, at receivedNs: UInt64) -> Bool {
        switch machine.holdIfStarting(message, isAudio: isAudio) {
        case .success?:
            return true
        case .failure(let closure)?:
            close(closure)
            return false
        case nil:
            if isAudio { receiveAudio(message, at: receivedNs) } else { receive(message, at: receivedNs) }
            return context != nil && !isClosing
        }
    }

    private func receive(_ message: UnsafeRawBufferPointer, at receivedNs: UInt64) {
        // A media payload decodes to at most 640 bytes (16 kHz linear PCM); the parser refuses
        // anything over this buffer.
        withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) { payload in
            do {
                let parsed: MediaStreamMessage
                if let call = machine.liveCall {
                    parsed = try call.streamSid.withUnsafeBytes { try carrier.reader.parse(message, payload: payload, streamSid: $0) }
                } else {
                    parsed = try carrier.reader.parse(message, payload: payload, streamSid: nil)
                }
                perform(machine.received(parsed), payload: UnsafeRawBufferPointer(payload), receivedNs: receivedNs)
            } catch {
                close(Closure(code: .policyViolation, reason: "\(error)"))
            }
        }
    }

    /// A binary frame of caller audio: its bytes are the payload as they are.
    private func receiveAudio(_ audio: UnsafeRawBufferPointer, at receivedNs: UInt64) {
        perform(machine.receivedAudio(byteCount: audio.count), payload: audio, receivedNs: receivedNs)
    }

    private func perform(_ action: MediaStreamStateMachine<ActiveCall>.MessageAction, payload: UnsafeRawBufferPointer, receivedNs: UInt64) {
        switch action {
        case .none:
            break
        case .begin(let start, let encoding):
            begin(carrier.normalized(start), encoding: encoding)
        case .deliver(let call, let packet):
            // Decode, resample, VAD and the write to the model socket, inline here (the state
            // machine checked the payload is one frame of the stream's encoding).
            _ = call.deliver(UnsafeRawBufferPointer(rebasing: payload[0..<packet.payloadCount]), packet.chunk, receivedNs)
            framesDelivered += 1
            if framesDelivered % 10 == 0 {
                session.metrics?.inboundLatency.record(.nanoseconds(Int64(MonotonicClock.nowNs() &- receivedNs)))
            }
        case .markEchoed(let call, let item, let offsetMs):
            call.pipeline.markEchoed(item: item, offsetMs: offsetMs)
        case .keyPressed(let call, let digit):
            logger.info("dtmf", metadata: ["digit": .string(digit)])
            call?.keyPressed(digit)
        case .stop:
            logger.info("call stopped by the carrier")
            endThenClose(Closure(code: .normalClosure, reason: ""), reason: "\(carrier.name) stop", outcome: "completed")
        case .ignore(let event):
            logger.notice("ignoring an unknown media stream event", metadata: ["event": .string(event), "carrier": .string(carrier.name)])
        case .carrierError(let call, let detail):
            logger.warning("the carrier reports an error", metadata: ["detail": .string(detail), "carrier": .string(carrier.name)])
            call?.carrierReported(detail)
        case .close(let closure):
            close(closure)
        }
    }

    // MARK: The call

    /// Opens the model session (reading pauses meanwhile), then replays what arrived during it.
    private func begin(_ start: MediaStreamStart, encoding: CallerAudioEncoding) {
        guard let context else { return }
        logger[metadataKey: "call"] = .string(start.callSid)
        logger[metadataKey: "stream"] = .string(start.streamSid)
        let writer: Carrier.Writer
        do {
            writer = try carrier.writer(for: start)
        } catch {
            return close(error)
        }
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        let (session, logger, socket) = (self.session, self.logger, MediaStreamSocket(channel: context.channel))
        let carrierName = carrier.name
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        Task {
            let preopened = await session.pending.take(callSid: start.customParameters["callSid"] ?? start.callSid)
            let callLog = CallLog(writer: session.recorder, metrics: session.metrics, call: CallRecord(
                callSid: start.callSid, streamSid: start.streamSid, tenant: start.customParameters["tenant"] ?? "",
                caller: start.customParameters["caller"] ?? "", region: session.region, provider: session.model.name,
                endpoint: session.model.endpoint, startedAt: Date(), carrier: carrierName))
            do {
                let call = try await ActiveCall.begin(start: start, encoding: encoding, writer: writer, model: session.model, fallback: session.fallback, preopened: preopened,
                                                      socket: socket, modelHealth: session.modelHealth, callLog: callLog,
                                                      conversation: session.conversation, metrics: session.metrics, logger: logger)
                session.metrics?.activeCalls(carrier: carrierName).increment()
                logger.info("call started", metadata: ["tenant": .string(start.customParameters["tenant"] ?? ""),
                                                       "modelPreopened": .stringConvertible(preopened != nil)])
                loop.execute { bound.value.started(call) }
            } catch {
                let closure = error as? Closure ?? Closure(code: .unexpectedServerError, reason: "\(error)")
                if closure.code == .unexpectedServerError { session.metrics?.callEnded(outcome: "model-unavailable", carrier: carrierName) }
                loop.execute { bound.value.close(closure) }
            }
        }
    }

    private func started(_ call: ActiveCall) {
        switch machine.callStarted(call) {
        case .end(let call):
            // The stream went away, or was told to end, while the model session opened.
            let (reason, outcome) = whyItEnded
            end(call, reason: reason, outcome: outcome)
        case .replay(let held):
            guard let context else { return }
            for message in held {
                guard machine.liveCall != nil else { break }
                message.bytes.withUnsafeReadableBytes { bytes in
                    if message.isAudio { receiveAudio(bytes, at: MonotonicClock.nowNs()) } else { receive(bytes, at: MonotonicClock.nowNs()) }
                }
            }
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            context.read()
        }
    }

    /// Ends the call once (its records, metrics and model session), whatever ended it; `then`
    /// runs once it has ended (at once when no call is up).
    private func finish(reason: String, outcome: String, then: (@Sendable () -> Void)? = nil) {
        guard let call = machine.end() else {
            then?()
            return
        }
        end(call, reason: reason, outcome: outcome, then: then)
    }

    private func end(_ call: ActiveCall, reason: String, outcome: String, then: (@Sendable () -> Void)? = nil) {
        let (metrics, carrier) = (session.metrics, self.carrier.name)
        Task {
            await call.end(reason: reason)
            metrics?.activeCalls(carrier: carrier).decrement()
            metrics?.callEnded(outcome: outcome, carrier: carrier)
            then?()
        }
    }

    // MARK: Closing

    private func close(_ closure: Closure, outcome: String = "protocol-error") {
        guard context != nil, !isClosing else { return }
        logger.warning("closing media stream", metadata: ["reason": .string(closure.reason)])
        endThenClose(closure, reason: closure.reason, outcome: outcome)
    }

    /// Ends the call, then closes the stream with `closure`: only once the call's pipeline has
    /// stopped, so every agent frame it released (and counted as sent) is written before the close
    /// frame. Closing first let the pacing clock release a frame or two after it, which were
    /// written after the close frame (RFC 6455 allows no data after it; the caller never played
    /// them) or dropped, yet counted in the call's record.
    ///
    /// Ending is bounded: after ``endingBound`` the stream is closed anyway.
    private func endThenClose(_ closure: Closure, reason: String, outcome: String) {
        guard let context, !isClosing else { return }
        isClosing = true
        let closing = CloseOnce(socket: MediaStreamSocket(channel: context.channel), closure: closure)
        finish(reason: reason, outcome: outcome) { closing.close() }
        context.eventLoop.scheduleTask(in: Self.endingBound) { closing.close() }
    }

    private static var endingBound: TimeAmount { .seconds(2) }

    /// A stream's close frame, sent once, by whichever comes first: the call having ended, or
    /// the bound on how long ending may take.
    private final class CloseOnce: Sendable {
        private let socket: MediaStreamSocket
        private let closure: Closure
        private let sent = Atomic<Bool>(false)

        init(socket: MediaStreamSocket, closure: Closure) {
            self.socket = socket
            self.closure = closure
        }

        func close() {
            guard !sent.exchange(true, ordering: .acquiringAndReleasing) else { return }
            socket.close(closure.code, reason: closure.reason)
        }
    }

    // MARK: Timeouts

    private func armWatchdog(checkingAt deadlineNs: UInt64) {
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let delayNs = Int64(bitPattern: deadlineNs &- MonotonicClock.nowNs())
        watchdog = context.eventLoop.scheduleTask(in: .nanoseconds(max(0, delayNs))) { bound.value.checkTimeouts() }
    }

    /// Closes a stream that never started or went quiet; otherwise checks again when the
    /// timeout could next expire.
    private func checkTimeouts() {
        guard timedOut == nil, context != nil else { return }
        switch machine.checkTimeouts(nowNs: MonotonicClock.nowNs()) {
        case .checkAgain(let deadlineNs):
            armWatchdog(checkingAt: deadlineNs)
        case .timedOut(let reason, let label):
            timedOut = reason
            session.metrics?.refused(reason: label)
            close(Closure(code: .policyViolation, reason: reason), outcome: "timed-out")
        case .done:
            break
        }
    }
}
