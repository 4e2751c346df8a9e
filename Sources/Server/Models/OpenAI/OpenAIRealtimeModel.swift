import AudioPipeline
import Foundation
import HTTPTypes
import Logging

/// OpenAI's Realtime API over a WebSocket (GA event names; the beta names are accepted too).
///
/// `OPENAI_REALTIME_URL` (or ``url``) points it at a proxy or at `voice-relay simulate-model`.
public struct OpenAIRealtimeModel: RealtimeModel {
    public var url: String
    public var apiKey: String?
    public var audioFormat: ModelAudioFormat
    public var opensSocket: Bool { true }
    public var voice: String
    public var instructions: String
    /// The model that transcribes the caller (`audio.input.transcription`); nil: no caller transcripts.
    public var transcriptionModel: String?
    /// How long the session may take to confirm itself (`session.created`/`session.updated`).
    public var setupTimeout: Duration
    public var logger: Logger

    public var name: String { "openai" }
    public var endpoint: String { url }

    public init(url: String = "wss://api.openai.com/v1/realtime?model=gpt-realtime", apiKey: String? = nil,
                audioFormat: ModelAudioFormat = .pcm16(sampleRate: 24000), voice: String = "alloy",
                instructions: String = "You are a helpful voice assistant on a phone call. Be brief.",
                transcriptionModel: String? = "gpt-4o-mini-transcribe",
                setupTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "voice-relay.openai")) {
        precondition(audioFormat == .muLaw || audioFormat == .pcm16(sampleRate: 24000), "OpenAI Realtime takes pcm16 24 kHz or mu-law")
        self.url = url
        self.apiKey = apiKey
        self.audioFormat = audioFormat
        self.voice = voice
        self.instructions = instructions
        self.transcriptionModel = transcriptionModel
        self.setupTimeout = setupTimeout
        self.logger = logger
    }

    public func connect(delegate: some RealtimeModelDelegate) async throws -> any RealtimeModelSession {
        var headers = HTTPFields()
        if let apiKey { headers[.authorization] = "Bearer \(apiKey)" }
        let socket = RealtimeSocket(url: url, headers: headers, sessionUpdate: sessionUpdate, messages: .openAI,
                                    setupTimeout: setupTimeout, logger: logger)
        return try await socket.connect(delegate: delegate)
    }

    /// The GA `session.update` for this configuration.
    var sessionUpdate: String {
        let format = audioFormat == .muLaw ? #"{"type":"audio/pcmu"}"# : #"{"type":"audio/pcm","rate":24000}"#
        let instructions = String(decoding: (try? JSONEncoder().encode(self.instructions)) ?? Data("\"\"".utf8), as: UTF8.self)
        let voice = String(decoding: (try? JSONEncoder().encode(self.voice)) ?? Data("\"alloy\"".utf8), as: UTF8.self)
        let transcription = transcriptionModel.map { model in
            #","transcription":{"model":"# + String(decoding: (try? JSONEncoder().encode(model)) ?? Data("\"\"".utf8), as: UTF8.self) + "}"
        } ?? ""
        return #"{"type":"session.update","session":{"type":"realtime","instructions":\#(instructions),"audio":{"input":{"format":\#(format)\#(transcription),"turn_detection":{"type":"server_vad"}},"output":{"format":\#(format),"voice":\#(voice)}}}}"#
    }
}

