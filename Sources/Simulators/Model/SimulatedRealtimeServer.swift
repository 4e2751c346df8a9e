import Atomics
import AudioPipeline
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import Server
import Wire

/// `voice-relay simulate-model`: the embedded local agent served as an OpenAI-Realtime-compatible
/// WebSocket (GA event names), so the relay's network path to a model can be run and tested
/// with no account: point `OPENAI_REALTIME_URL` at `ws://127.0.0.1:PORT/v1/realtime`.
///
/// It answers `session.update` (pcm16 24 kHz or mu-law, GA or beta field names), takes
/// `input_audio_buffer.append`, reports `input_audio_buffer.speech_started`, streams each reply as
/// `response.output_audio.delta`s faster than real time, acknowledges
/// `conversation.item.truncate` and `response.cancel`, and answers anything else with an `error`
/// event, as the real service does.
public struct SimulatedRealtimeServer: Sendable {
    /// Which names the server events carry: OpenAI's GA ones, or the beta ones Azure Voice Live uses.
    public enum EventNaming: Sendable { case ga, beta }

    public let host: String
    public let port: Int
    public let eventNaming: EventNaming
    /// A header every upgrade must carry (e.g. `api-key` for a Voice Live stand-in); others get no WebSocket.
    public let requiredHeader: (name: String, value: String)?
    /// Fault injection: the first connection hangs up after this many `input_audio_buffer.append`s.
    public let dropFirstConnectionAfterAppends: Int?
    /// Fault injection: upgrades beyond this many are refused (the model "stays down").
    public let maximumConnections: Int?
    /// Transcripts to report, as a real model with input transcription would: the caller's text
    /// when each reply starts and the agent's when its audio is done (`#n` appended, counting replies).
    public let transcripts: (caller: String, agent: String)?
    public let logger: Logger
    /// Connections accepted so far.
    public var connections: Int { connectionCount.load(ordering: .relaxed) }
    /// Connections open now.
    public var openConnections: Int { openCount.load(ordering: .relaxed) }
    private let openCount = ManagedAtomic<Int>(0)
    /// Every `conversation.item.truncate` received: the item and its `audio_end_ms`.
    public var truncations: [(item: String, audioEndMs: Int)] { truncationLog.entries.withLock { $0 } }
    /// Every client event received other than audio appends, per connection (1-based), in order:
    /// `session.update`, `conversation.item.create`, `response.create`, `response.cancel`, ...
    public var clientEvents: [(connection: Int, event: String)] { truncationLog.events.withLock { $0 } }
    /// `error` events the server sent back (a client that sends what the real service refuses).
    public var errorsSent: Int { truncationLog.errors.withLock { $0 } }
    private let connectionCount = ManagedAtomic<Int>(0)
    private let truncationLog = TruncationLog()

    public init(host: String = "127.0.0.1", port: Int = 8081, eventNaming: EventNaming = .ga,
                requiredHeader: (name: String, value: String)? = nil, dropFirstConnectionAfterAppends: Int? = nil,
                maximumConnections: Int? = nil, transcripts: (caller: String, agent: String)? = nil,
                logger: Logger = Logger(label: "simulate-model")) {
        self.maximumConnections = maximumConnections
        self.transcripts = transcripts
        self.host = host
        self.port = port
        self.eventNaming = eventNaming
        self.requiredHeader = requiredHeader
        self.dropFirstConnectionAfterAppends = dropFirstConnectionAfterAppends
        self.logger = logger
    }

    public func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let logger = self.logger
        let counter = connectionCount
        let open = openCount
        let truncationLog = self.truncationLog
        let dropAfter = dropFirstConnectionAfterAppends
        let maximumConnections = self.maximumConnections
        let naming = eventNaming
        let transcripts = self.transcripts
        let required = requiredHeader.flatMap { header in HTTPField.Name(header.name).map { ($0, header.value) } }
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 20))) { head, _, _ in
                guard let path = head.path, path.hasPrefix("/v1/realtime") || path.hasPrefix("/voice-live/realtime") else { return .dontUpgrade }
                if let (name, value) = required, head.headerFields[name] != value { return .dontUpgrade }
                if let maximumConnections, counter.load(ordering: .relaxed) >= maximumConnections { return .dontUpgrade }
                return .upgrade([:]) { inbound, outbound, _ in
                    let number = counter.wrappingIncrementThenLoad(ordering: .relaxed)
                    let connection = SimulatedRealtimeConnection(logger: logger, naming: naming, truncations: truncationLog, number: number,
                                                                 dropAfterAppends: number == 1 ? dropAfter : nil,
                                                                 transcripts: transcripts)
                    open.wrappingIncrement(ordering: .relaxed)
                    await connection.run(inbound: inbound, outbound: outbound)
                    open.wrappingDecrement(ordering: .relaxed)
                }
            },
            configuration: .init(address: .hostname(host, port: port), serverName: "simulate-model"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}

/// One simulated model conversation.
final class SimulatedRealtimeConnection: Sendable {
    private let logger: Logger
    private let naming: SimulatedRealtimeServer.EventNaming
    private let truncations: TruncationLog
    private let dropAfterAppends: Int?
    private let number: Int
    private let output: SimulatorOutput

    init(logger: Logger, naming: SimulatedRealtimeServer.EventNaming, truncations: TruncationLog, number: Int, dropAfterAppends: Int?,
         transcripts: (caller: String, agent: String)?) {
        self.logger = logger
        self.naming = naming
        self.truncations = truncations
        self.number = number
        self.dropAfterAppends = dropAfterAppends
        self.output = SimulatorOutput(naming: naming, transcripts: transcripts)
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        var agent: LocalAgentSession<SimulatorOutput>?
        var decoded = [UInt8](repeating: 0, count: 64 * 1024)
        var appends = 0
        do {
            try await outbound.write(.text(#"{"type":"session.created","event_id":"event_1","session":{"type":"realtime","object":"realtime.session"}}"#))
            var iterator = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
            while let message = try await iterator.next() {
                guard case .text(var text) = message else {
                    try await outbound.write(.text(Self.error("binary frames are not supported")))
                    continue
                }
                let reply: String? = text.withUTF8 { bytes -> String? in
                    let raw = UnsafeRawBufferPointer(bytes)
                    guard let (fields, scanner) = try? RealtimeEventFields.scan(raw), let type = fields.type else {
                        return Self.error("The message is not valid JSON or has no type.")
                    }
                    if scanner.matches(type, "input_audio_buffer.append") {
                        guard let data = fields.data else { return Self.error("Missing required parameter: 'audio'.") }
                        if decoded.count < data.range.count { decoded = [UInt8](repeating: 0, count: data.range.count) }
                        guard let count = decoded.withUnsafeMutableBytes({ try? Base64.decode(scanner.slice(data), into: $0) }) else {
                            return Self.error("Invalid 'audio'. Expected base64-encoded audio bytes.")
                        }
                        appends += 1
                        if agent == nil { agent = LocalAgentSession(agent: LocalAgent(), delegate: output) }
                        decoded.withUnsafeBytes { agent?.appendAudio(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                        return nil
                    }
                    let received = String(decoding: raw, as: UTF8.self)
                    truncations.events.withLock { $0.append((number, received)) }
                    if scanner.matches(type, "session.update") {
                        let format = Self.format(of: Data(raw))
                        agent?.close()
                        agent = LocalAgentSession(agent: LocalAgent(audioFormat: format), delegate: output)
                        let formatJSON = format == .muLaw ? #"{"type":"audio/pcmu"}"# : #"{"type":"audio/pcm","rate":24000}"#
                        return #"{"type":"session.updated","session":{"type":"realtime","audio":{"input":{"format":\#(formatJSON)},"output":{"format":\#(formatJSON)}}}}"#
                    }
                    if scanner.matches(type, "conversation.item.truncate") {
                        let item = fields.itemID.map { String(decoding: scanner.slice($0), as: UTF8.self) } ?? ""
                        truncations.entries.withLock { $0.append((item, Int(fields.audioEndMs ?? 0))) }
                        return #"{"type":"conversation.item.truncated","item_id":"\#(item)","content_index":0,"audio_end_ms":\#(fields.audioEndMs ?? 0)}"#
                    }
                    if scanner.matches(type, "response.cancel") {
                        // As the service does: cancelling when no response is in progress is an error.
                        guard output.responseInProgress else { return Self.error("Cancellation failed: no active response found") }
                        agent?.cancelResponse()
                        return nil
                    }
                    if scanner.matches(type, "conversation.item.create") {
                        return #"{"type":"conversation.item.added","item":{"type":"message"}}"#
                    }
                    if scanner.matches(type, "response.create") {
                        guard !output.responseInProgress else {
                            return Self.error("Conversation already has an active response in progress")
                        }
                        if agent == nil { agent = LocalAgentSession(agent: LocalAgent(), delegate: output) }
                        agent?.respond()
                        return nil
                    }
                    let name = String(decoding: scanner.slice(type), as: UTF8.self)
                    return Self.error("Invalid value: '\(name)'. Supported values are: 'session.update', 'input_audio_buffer.append', 'conversation.item.create', 'conversation.item.truncate', 'response.create', 'response.cancel'.")
                }
                if let reply {
                    if reply.hasPrefix(#"{"type":"error""#) { truncations.errors.withLock { $0 += 1 } }
                    try await outbound.write(.text(reply))
                }
                if let dropAfterAppends, appends >= dropAfterAppends {
                    try await outbound.close(.goingAway, reason: "simulated model failure")
                    break
                }
                for event in output.take() {
                    switch event {
                    case .text(let text):
                        try await outbound.write(.text(text))
                    case .audio(let item, let audio):
                        let type = naming == .ga ? "response.output_audio.delta" : "response.audio.delta"
                        let frame = audio.withUnsafeBytes { RealtimeMessageWriter.outputAudioDelta(type: type, item: item, $0) }
                        try await outbound.write(.custom(.init(fin: true, opcode: .text, data: frame)))
                    }
                }
            }
        } catch {
            logger.debug("simulated model connection ended", metadata: ["error": .string("\(error)")])
        }
        agent?.close()
    }

    /// pcm16 24 kHz unless the session asks for mu-law, in GA (`audio.input.format.type`) or beta (`input_audio_format`) form.
    static func format(of message: Data) -> ModelAudioFormat {
        guard let json = try? JSONSerialization.jsonObject(with: message) as? [String: Any],
              let session = json["session"] as? [String: Any] else { return .pcm16(sampleRate: 24000) }
        let ga = ((session["audio"] as? [String: Any])?["input"] as? [String: Any])?["format"] as? [String: Any]
        let type = ga?["type"] as? String ?? session["input_audio_format"] as? String
        return type == "audio/pcmu" || type == "g711_ulaw" ? .muLaw : .pcm16(sampleRate: 24000)
    }

    static func error(_ message: String) -> String {
        let text = String(decoding: (try? JSONEncoder().encode(message)) ?? Data("\"error\"".utf8), as: UTF8.self)
        return #"{"type":"error","error":{"type":"invalid_request_error","code":"invalid_value","message":\#(text)}}"#
    }
}

/// What a simulated server received and refused, for tests to compare with what was played.
final class TruncationLog: Sendable {
    let entries = Mutex<[(item: String, audioEndMs: Int)]>([])
    let events = Mutex<[(connection: Int, event: String)]>([])
    let errors = Mutex(0)
}

/// Collects what the simulated agent says, for the connection to write after each event.
final class SimulatorOutput: RealtimeModelDelegate {
    enum Event {
        case text(String)
        case audio(item: String, [UInt8])
    }

    private let events = Mutex<[Event]>([])
    private let audioDone: String
    private let agentTranscriptDone: String
    private let transcripts: (caller: String, agent: String)?
    private let replies = Mutex(0)
    private let inProgress = Atomic<Bool>(false)

    init(naming: SimulatedRealtimeServer.EventNaming, transcripts: (caller: String, agent: String)?) {
        self.audioDone = naming == .ga ? "response.output_audio.done" : "response.audio.done"
        self.agentTranscriptDone = naming == .ga ? "response.output_audio_transcript.done" : "response.audio_transcript.done"
        self.transcripts = transcripts
    }

    /// Between `response.created` and `response.done`.
    var responseInProgress: Bool { inProgress.load(ordering: .acquiring) }

    func modelAudio(item: String, _ audio: UnsafeRawBufferPointer) {
        let bytes = Array(audio)
        events.withLock { $0.append(.audio(item: item, bytes)) }
    }

    func modelEvent(_ event: ModelEvent) {
        var texts: [String] = []
        switch event {
        case .speechStarted:
            texts.append(#"{"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"item_input"}"#)
        case .responseStarted:
            inProgress.store(true, ordering: .releasing)
            let number = replies.withLock { count -> Int in
                count += 1
                return count
            }
            texts.append(#"{"type":"response.created","response":{"id":"resp_\#(number)","status":"in_progress"}}"#)
            if let transcripts {
                texts.append(#"{"type":"conversation.item.input_audio_transcription.completed","item_id":"item_input_\#(number)","content_index":0,"transcript":\#(Self.json("\(transcripts.caller) #\(number)"))}"#)
            }
        case .audioDone(let item):
            texts.append(#"{"type":"\#(audioDone)","item_id":"\#(item)","output_index":0,"content_index":0}"#)
            if let transcripts {
                let number = replies.withLock { $0 }
                texts.append(#"{"type":"\#(agentTranscriptDone)","item_id":"\#(item)","output_index":0,"content_index":0,"transcript":\#(Self.json("\(transcripts.agent) #\(number)"))}"#)
            }
        case .responseEnded:
            inProgress.store(false, ordering: .releasing)
            texts.append(#"{"type":"response.done","response":{"status":"completed"}}"#)
        case .transcript, .error, .closed:
            break
        }
        guard !texts.isEmpty else { return }
        events.withLock { $0.append(contentsOf: texts.map { .text($0) }) }
    }

    /// A JSON string literal in ASCII, as Python's `json.dumps` writes by default: every other
    /// character as `\uXXXX` (a surrogate pair beyond the BMP), so readers meet the escapes.
    static func json(_ text: String) -> String {
        var literal = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: literal += "\\\""
            case 0x5C: literal += "\\\\"
            case 0x0A: literal += "\\n"
            case 0x20..<0x7F: literal.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: literal += String(format: "\\u%04x", unit)
            }
        }
        return literal + "\""
    }

    func take() -> [Event] {
        events.withLock { events in
            defer { events.removeAll() }
            return events
        }
    }
}
