import AudioPipeline
import Atomics
import Foundation
import NIOCore
import Server
import Wire

/// One session of the ``SimulatedModel``, on its event loop: reads the client's events from the
/// raw channel and answers them in the model's voice.
final class SimulatedModelConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let echoPrefix: StaticString = #"{"type":"response.output_audio.delta","response_id":"resp_echo","item_id":"item_echo","output_index":0,"content_index":0,"delta":""#
    private static let echoSuffix: StaticString = #""}"#

    private let number: Int
    private let configuration: SimulatedModel.Configuration
    private let log: ModelLog
    private let binder: CallBinder
    private let statistics: ModelStatistics
    private let recording: ManagedAtomic<Bool>
    private var context: ChannelHandlerContext?
    private var reader = WebSocketFrameReader(maximumPayloadBytes: 1 << 22)
    private var frames = WebSocketFrameWriter.server
    private var appends = 0
    /// The local agent's session and where its output goes.
    private var agent: LocalAgentSession<AgentVoiceOutput>?
    private var output: AgentVoiceOutput?
    private var decoded = [UInt8](repeating: 0, count: 64 * 1024)
    /// A load run's call this echo session serves.
    private var timeline: CallTimeline?
    /// Opened after a fault: not one of the calls a load run is binding.
    private let reconnected: Bool

    init(number: Int, configuration: SimulatedModel.Configuration, log: ModelLog, binder: CallBinder, statistics: ModelStatistics,
         recording: ManagedAtomic<Bool>) {
        self.number = number
        self.configuration = configuration
        self.log = log
        self.binder = binder
        self.statistics = statistics
        self.recording = recording
        self.reconnected = statistics.drops > 0
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        log.open.wrappingIncrement(ordering: .relaxed)
        statistics.connections[ObjectIdentifier(context.channel)] = context.channel
        if configuration.voice == .localAgent {
            output = AgentVoiceOutput(connection: NIOLoopBound(self, eventLoop: context.eventLoop), channel: context.channel,
                                      naming: configuration.eventNaming, transcripts: configuration.transcripts)
        }
        send(#"{"type":"session.created","event_id":"event_1","session":{"type":"realtime","object":"realtime.session"}}"#)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.read(unwrapInboundIn(data)) { frame in
                switch frame.opcode {
                case .text:
                    return handle(frame.payload)
                case .close:
                    write(.close, Array(frame.payload.prefix(2)))
                    context.close(promise: nil)
                    return false
                case .ping:
                    write(.pong, Array(frame.payload))
                case .binary:
                    if configuration.voice == .localAgent { sendError("binary frames are not supported") }
                case .continuation, .pong:
                    break
                }
                return true
            }
        } catch {
            context.close(promise: nil)
        }
    }

    /// Handles one client event; false once the session has been hung up.
    private func handle(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let (fields, scanner) = try? RealtimeEventFields.scan(bytes), let type = fields.type else {
            if configuration.voice == .localAgent { sendError("The message is not valid JSON or has no type.") }
            return true
        }
        if scanner.matches(type, "input_audio_buffer.append") {
            appends += 1
            switch configuration.voice {
            case .echo: echo(fields.data?.range, of: bytes)
            case .localAgent: listen(to: fields.data.map { scanner.slice($0) })
            }
            if number == 1, let dropAfter = configuration.dropFirstConnectionAfterAppends, appends >= dropAfter {
                write(.close, [0x03, 0xE9] + Array("simulated model failure".utf8))  // 1001, going away
                context?.close(promise: nil)
                return false
            }
            return true
        }
        log.events.withLock { $0.append((number, String(decoding: bytes, as: UTF8.self))) }
        if scanner.matches(type, "session.update") {
            guard configuration.voice == .localAgent else {
                send(#"{"type":"session.updated","session":{"type":"realtime"}}"#)
                return true
            }
            let format = Self.format(of: Data(bytes))
            agent?.close()
            agent = LocalAgentSession(agent: LocalAgent(audioFormat: format), delegate: output!)
            let formatJSON = format == .muLaw ? #"{"type":"audio/pcmu"}"# : #"{"type":"audio/pcm","rate":24000}"#
            send(#"{"type":"session.updated","session":{"type":"realtime","audio":{"input":{"format":\#(formatJSON)},"output":{"format":\#(formatJSON)}}}}"#)
        } else if scanner.matches(type, "conversation.item.truncate") {
            let item = fields.itemID.map { String(decoding: scanner.slice($0), as: UTF8.self) } ?? ""
            statistics.truncations += 1
            log.truncations.withLock { $0.append((item, Int(fields.audioEndMs ?? 0))) }
            if configuration.voice == .localAgent {
                send(#"{"type":"conversation.item.truncated","item_id":"\#(item)","content_index":0,"audio_end_ms":\#(fields.audioEndMs ?? 0)}"#)
            }
        } else if scanner.matches(type, "response.cancel") {
            statistics.cancels += 1
            guard let output else {
                send(#"{"type":"response.done","response":{"status":"cancelled"}}"#)
                return true
            }
            // As the service does: cancelling when no response is in progress is an error.
            guard output.responseInProgress else {
                sendError("Cancellation failed: no active response found")
                return true
            }
            agent?.cancelResponse()
        } else if configuration.voice == .echo {
            return true
        } else if scanner.matches(type, "conversation.item.create") {
            send(#"{"type":"conversation.item.added","item":{"type":"message"}}"#)
        } else if scanner.matches(type, "response.create") {
            guard output?.responseInProgress == false else {
                sendError("Conversation already has an active response in progress")
                return true
            }
            startAgentIfNeeded()
            agent?.respond()
        } else {
            let name = String(decoding: scanner.slice(type), as: UTF8.self)
            sendError("Invalid value: '\(name)'. Supported values are: 'session.update', 'input_audio_buffer.append', 'conversation.item.create', 'conversation.item.truncate', 'response.create', 'response.cancel'.")
        }
        return true
    }

    /// The local agent hears the append's audio.
    private func listen(to audio: UnsafeRawBufferPointer?) {
        guard let audio else {
            sendError("Missing required parameter: 'audio'.")
            return
        }
        if decoded.count < audio.count { decoded = [UInt8](repeating: 0, count: audio.count) }
        guard let count = decoded.withUnsafeMutableBytes({ try? Base64.decode(audio, into: $0) }) else {
            sendError("Invalid 'audio'. Expected base64-encoded audio bytes.")
            return
        }
        startAgentIfNeeded()
        decoded.withUnsafeBytes { agent?.appendAudio(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    private func startAgentIfNeeded() {
        if agent == nil, let output { agent = LocalAgentSession(agent: LocalAgent(), delegate: output) }
    }

    /// The echo: the append's base64 sent straight back as a delta, composed in the frame.
    private func echo(_ audio: Range<Int>?, of bytes: UnsafeRawBufferPointer) {
        guard let context else { return }
        let received = NIODeadline.now().uptimeNanoseconds
        if timeline == nil, !reconnected { timeline = binder.bind() }
        guard let audio else { return }
        if let timeline, let latency = timeline.modelReceived(at: received), recording.load(ordering: .relaxed) {
            statistics.inbound.record(ns: latency)
        }
        // A session the relay reopened after a drop is not matched to its call: echoed, not timed.
        if timeline == nil { statistics.unboundAppends += 1 }
        // A relay that stopped reading this socket is not sent more than NIO's write buffer holds.
        guard context.channel.isWritable else {
            timeline?.modelFramesHeldBack.wrappingIncrement(ordering: .relaxed)
            return
        }
        let prefixCount = Self.echoPrefix.utf8CodeUnitCount
        let count = prefixCount + audio.count + Self.echoSuffix.utf8CodeUnitCount
        let reply = frames.frame(.text, payloadCount: count, allocator: context.channel.allocator) { output in
            output.baseAddress!.copyMemory(from: Self.echoPrefix.utf8Start, byteCount: prefixCount)
            (output.baseAddress! + prefixCount).copyMemory(from: bytes.baseAddress! + audio.lowerBound, byteCount: audio.count)
            (output.baseAddress! + prefixCount + audio.count).copyMemory(from: Self.echoSuffix.utf8Start,
                                                                        byteCount: Self.echoSuffix.utf8CodeUnitCount)
        }
        timeline?.modelSent(at: NIODeadline.now().uptimeNanoseconds)
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
    }

    /// pcm16 24 kHz unless the session asks for mu-law, in GA (`audio.input.format.type`) or beta (`input_audio_format`) form.
    static func format(of message: Data) -> ModelAudioFormat {
        guard let json = try? JSONSerialization.jsonObject(with: message) as? [String: Any],
              let session = json["session"] as? [String: Any] else { return .pcm16(sampleRate: 24000) }
        let ga = ((session["audio"] as? [String: Any])?["input"] as? [String: Any])?["format"] as? [String: Any]
        let type = ga?["type"] as? String ?? session["input_audio_format"] as? String
        return type == "audio/pcmu" || type == "g711_ulaw" ? .muLaw : .pcm16(sampleRate: 24000)
    }

    func sendError(_ message: String) {
        log.errors.withLock { $0 += 1 }
        send(#"{"type":"error","error":{"type":"invalid_request_error","code":"invalid_value","message":\#(AgentVoiceOutput.json(message))}}"#)
    }

    func send(_ text: String) {
        write(.text, Array(text.utf8))
    }

    /// An event whose payload is already composed (the agent's audio deltas).
    func send(_ payload: ByteBuffer) {
        guard let context else { return }
        let frame = payload.withUnsafeReadableBytes { frames.frame(.text, payload: $0, allocator: context.channel.allocator) }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func write(_ opcode: FrameOpcode, _ payload: [UInt8]) {
        guard let context else { return }
        let frame = payload.withUnsafeBytes { frames.frame(opcode, payload: $0, allocator: context.channel.allocator) }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        statistics.connections[ObjectIdentifier(context.channel)] = nil
        log.open.wrappingDecrement(ordering: .relaxed)
        agent?.close()
        agent = nil
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
