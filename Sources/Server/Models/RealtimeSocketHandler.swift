import NIOCore
import NIOWebSocket
import Wire

/// The model socket's channel handler, on its event loop. Sends `session.update` once the
/// upgrade is done; parses each server event from the frame's bytes (GA and beta names) and
/// calls the delegate inline; writes caller audio as `input_audio_buffer.append` frames composed
/// in place and masked by ``WebSocketFrameWriter``. Frames are read by a ``WebSocketFrameReader``
/// straight from the socket's bytes (a model's frames are unmasked: no copy). When the call's
/// playout buffer is full it stops reading, so a model sending much faster than real time is
/// held back by TCP instead of losing audio.
final class RealtimeSocketHandler<Delegate: RealtimeModelDelegate>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let delegate: Delegate
    private let sessionUpdate: String
    private let ready: SessionConfirmation
    private var context: ChannelHandlerContext?
    private var frames = WebSocketFrameWriter.client()
    private var reader: WebSocketFrameReader
    /// Whether the model confirmed the session.
    private var confirmed = false
    private var closeReason: String?
    /// A message split over continuation frames.
    private var fragments: ByteBuffer?
    /// The most a model message may take, whole or in fragments.
    static var maximumMessageBytes: Int { 16 << 20 }
    private var itemBytes: [UInt8] = []
    private var itemName = ""
    private var paused = false

    init(delegate: Delegate, sessionUpdate: String, ready: SessionConfirmation) {
        self.delegate = delegate
        self.sessionUpdate = sessionUpdate
        self.ready = ready
        self.reader = WebSocketFrameReader(maximumPayloadBytes: Self.maximumMessageBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        sendText(sessionUpdate)
    }

    /// Fails the open (if it has not completed).
    func fail(_ error: any Error) { ready.fail(error) }

    // MARK: Writing

    /// Caller audio dropped because the model was not draining its socket (over the 16 KiB high
    /// water mark, ``UpgradeGate/writeBufferWaterMark``): bounded memory rather than an ever
    /// longer queue in front of the model.
    private var droppedAudio = 0

    func sendAudio(_ audio: UnsafeRawBufferPointer) {
        guard let context, closeReason == nil else { return }
        guard context.channel.isWritable else {
            droppedAudio += 1
            return
        }
        let count = RealtimeMessageWriter.appendLength(audioCount: audio.count)
        let frame = ThreadWriteBuffer.compose(capacity: frames.frameBytes(payloadCount: count), allocator: context.channel.allocator) {
            frames.write(.text, payloadCount: count, into: &$0) { RealtimeMessageWriter.writeAppend(audio, into: $0) }
        }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func sendText(_ text: String) {
        guard let context, closeReason == nil else { return }
        var text = text
        text.withUTF8 { write(.text, UnsafeRawBufferPointer($0), context: context) }
    }

    func closeSocket() {
        guard let context, closeReason == nil else { return }
        closeReason = "closed by the relay"
        let code: [UInt8] = [0x03, 0xE8]  // 1000, normal closure
        code.withUnsafeBytes { write(.close, $0, context: context) }
        context.close(promise: nil)
    }

    private func write(_ opcode: FrameOpcode, _ payload: UnsafeRawBufferPointer, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(frames.frame(opcode, payload: payload, allocator: context.channel.allocator)), promise: nil)
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.read(unwrapInboundIn(data)) { frame in
                receive(frame, context: context)
                return closeReason == nil
            }
        } catch {
            if closeReason == nil { closeReason = "model sent a bad frame: \(error)" }
            context.close(promise: nil)
            return
        }
        if !delegate.hasPlaybackRoom { pauseReading(context: context) }
    }

    private func receive(_ frame: WebSocketFrameReader.Frame, context: ChannelHandlerContext) {
        switch frame.opcode {
        case .text, .continuation:
            guard frame.fin, fragments == nil else {
                // Part of a fragmented message: gather it (rare; models send whole frames).
                if fragments == nil { fragments = context.channel.allocator.buffer(capacity: frame.payload.count) }
                fragments!.writeBytes(frame.payload)
                guard fragments!.readableBytes <= Self.maximumMessageBytes else {
                    closeReason = "model message over \(Self.maximumMessageBytes) bytes"
                    context.close(promise: nil)
                    return
                }
                guard frame.fin, let whole = fragments else { return }
                fragments = nil
                whole.withUnsafeReadableBytes { handle($0) }
                return
            }
            handle(frame.payload)
        case .binary:
            break
        case .close, .ping, .pong:
            guard let answer = WebSocketControlAnswer(to: frame, frames: &frames, allocator: context.channel.allocator) else { return }
            if case .closeHandshake(_, let code, let reason) = answer {
                closeReason = "closed by the model (\(code.map { "\($0)" } ?? "no code")): \(reason)"
            }
            answer.send(on: context)
        }
    }

    /// Stops reading until the call's playout has room again (checked every 20 ms).
    private func pauseReading(context: ChannelHandlerContext) {
        guard !paused else { return }
        paused = true
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(20)) { bound.value.resumeWhenRoom() }
    }

    private func resumeWhenRoom() {
        guard let context, paused else { return }
        guard delegate.hasPlaybackRoom else {
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(20)) { bound.value.resumeWhenRoom() }
            return
        }
        paused = false
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        context.read()
    }

    private func handle(_ raw: UnsafeRawBufferPointer) {
        guard let (fields, scanner) = try? RealtimeEventFields.scan(raw), let type = fields.type else {
            delegate.modelEvent(.error("unparseable model event"))
            return
        }
        if RealtimeEventFields.is(type, in: scanner, "response.output_audio.delta", "response.audio.delta") {
            guard let data = fields.data, let item = fields.itemID else { return }
            if !scanner.slice(item).elementsEqual(itemBytes) {
                itemBytes = Array(scanner.slice(item))
                itemName = String(decoding: itemBytes, as: UTF8.self)
            }
            do {
                try Base64.decodeInChunks(scanner.slice(data)) { delegate.modelAudio(item: itemName, $0) }
            } catch {
                delegate.modelEvent(.error("model audio delta is not valid base64: \(error)"))
            }
        } else if RealtimeEventFields.is(type, in: scanner, "session.created", "session.updated") {
            if !confirmed { confirmed = ready.succeed() }
        } else if RealtimeEventFields.is(type, in: scanner, "input_audio_buffer.speech_started") {
            delegate.modelEvent(.speechStarted)
        } else if RealtimeEventFields.is(type, in: scanner, "response.output_audio.done", "response.audio.done") {
            delegate.modelEvent(.audioDone(item: fields.itemID.map { scanner.text($0) } ?? itemName))
        } else if RealtimeEventFields.is(type, in: scanner, "response.created") {
            delegate.modelEvent(.responseStarted)
        } else if RealtimeEventFields.is(type, in: scanner, "response.done") {
            delegate.modelEvent(.responseEnded)
        } else if RealtimeEventFields.is(type, in: scanner, "response.output_audio_transcript.done", "response.audio_transcript.done"),
                  let transcript = fields.transcript {
            delegate.modelEvent(.transcript(speaker: .agent, text: scanner.text(transcript)))
        } else if RealtimeEventFields.is(type, in: scanner, "conversation.item.input_audio_transcription.completed"),
                  let transcript = fields.transcript {
            delegate.modelEvent(.transcript(speaker: .caller, text: scanner.text(transcript)))
        } else if RealtimeEventFields.is(type, in: scanner, "error") {
            let message = fields.errorMessage.map { scanner.text($0) } ?? "unknown error"
            delegate.modelEvent(.error(message))
        }
    }

    // MARK: Lifecycle

    func channelInactive(context: ChannelHandlerContext) {
        let reason = closeReason ?? "the model's connection closed"
        self.context = nil
        if droppedAudio > 0 {
            delegate.modelEvent(.error("\(droppedAudio) caller frames dropped: the model's socket was not draining"))
        }
        if confirmed {
            // Only a session that was up reports `.closed` (a failed open reports through `open` throwing).
            if reason != "closed by the relay" { delegate.modelEvent(.closed(reason: reason)) }
        } else {
            fail(ModelConnectionError(description: reason))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if closeReason == nil { closeReason = "model connection failed: \(error)" }
        context.close(promise: nil)
    }
}
