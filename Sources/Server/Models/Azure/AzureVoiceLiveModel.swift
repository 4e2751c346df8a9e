import AudioPipeline
import Foundation
import HTTPTypes
import Logging

/// Azure AI Voice Live: the Realtime event family, but its own protocol. It is configured with
/// its own session fields (Azure semantic VAD, noise suppression, echo cancellation, Azure voices,
/// `input_audio_sampling_rate`), authenticated with an `api-key` header, and served per Azure
/// region, which is what lets EU calls stay in the EU. Its server events use the beta names
/// (`response.audio.delta`, ...), which the shared reader accepts.
public struct AzureVoiceLiveModel: RealtimeModel {
    /// `wss://<resource>.services.ai.azure.com/voice-live/realtime?api-version=2025-10-01&model=<model>`
    public var endpoint: String
    public var apiKey: String?
    public var audioFormat: ModelAudioFormat
    public var opensSocket: Bool { true }
    public var voice: String
    public var instructions: String
    /// The model that transcribes the caller (`input_audio_transcription`); nil: no caller transcripts.
    public var transcriptionModel: String?
    public var setupTimeout: Duration
    public var logger: Logger

    public var name: String { "azure" }

    public init(endpoint: String, apiKey: String? = nil, audioFormat: ModelAudioFormat = .pcm16(sampleRate: 24000),
                voice: String = "en-US-Ava:DragonHDLatestNeural",
                instructions: String = "You are a helpful voice assistant on a phone call. Be brief.",
                transcriptionModel: String? = "azure-speech",
                setupTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "voice-relay.azure")) {
        precondition(audioFormat == .muLaw || audioFormat == .pcm16(sampleRate: 24000) || audioFormat == .pcm16(sampleRate: 16000),
                     "Voice Live takes pcm16 at 24 or 16 kHz, or mu-law")
        self.endpoint = endpoint
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
        if let apiKey { headers[HTTPField.Name("api-key")!] = apiKey }
        headers[HTTPField.Name("x-ms-client-request-id")!] = UUID().uuidString
        let socket = RealtimeSocket(url: endpoint, headers: headers, sessionUpdate: sessionUpdate, messages: .voiceLive,
                                    setupTimeout: setupTimeout, logger: logger)
        return try await socket.connect(delegate: delegate)
    }

    /// Voice Live's `session.update`.
    var sessionUpdate: String {
        struct Session: Encodable {
            struct TypeOnly: Encodable { var type: String }
            struct Voice: Encodable { var name: String; var type: String }
            struct Transcription: Encodable { var model: String }
            var modalities = ["text", "audio"]
            var instructions: String
            var input_audio_format: String
            var output_audio_format: String
            var input_audio_sampling_rate: Int?
            var turn_detection = TypeOnly(type: "azure_semantic_vad")
            var input_audio_noise_reduction = TypeOnly(type: "azure_deep_noise_suppression")
            var input_audio_echo_cancellation = TypeOnly(type: "server_echo_cancellation")
            var input_audio_transcription: Transcription?
            var voice: Voice
        }
        struct Update: Encodable {
            var type = "session.update"
            var session: Session
        }
        let format = audioFormat == .muLaw ? "g711_ulaw" : "pcm16"
        let update = Update(session: Session(
            instructions: instructions, input_audio_format: format, output_audio_format: format,
            input_audio_sampling_rate: audioFormat == .muLaw ? nil : audioFormat.sampleRate,
            input_audio_transcription: transcriptionModel.map { Session.Transcription(model: $0) },
            voice: .init(name: voice, type: "azure-standard")))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(update)) ?? Data(), as: UTF8.self)
    }
}
