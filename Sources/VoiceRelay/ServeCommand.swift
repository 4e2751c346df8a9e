import ArgumentParser
import Foundation
import Hummingbird
import Logging
import AudioPipeline
import Server

/// `voice-relay serve`: runs the relay. Every option also reads the environment Fly sets.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the relay: Twilio webhook, media-stream WebSocket, health check."
    )

    @Option(help: "Address to listen on (env HOST).") var host: String = ProcessInfo.processInfo.environment["HOST"] ?? "0.0.0.0"
    @Option(help: "Port to listen on (env PORT).") var port: Int = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8080
    @Option(name: .customLong("public-host"), help: "Host Twilio reaches this relay at (env PUBLIC_HOST).")
    var publicHost: String?
    @Option(help: "Model provider: local (the embedded demo agent), openai or azure (env MODEL_PROVIDER; default: openai when OPENAI_API_KEY or OPENAI_REALTIME_URL is set).")
    var provider: String = Self.defaultProvider
    @Option(name: .customLong("model-url"), help: "The model's WebSocket URL (env OPENAI_REALTIME_URL, or AZURE_VOICE_LIVE_ENDPOINT for azure).")
    var modelURL: String?
    @Option(name: .customLong("fallback-model-url"), help: "A second endpoint of the same provider, used when the first is down (env MODEL_FALLBACK_URL).")
    var fallbackModelURL: String?
    @Option(name: .customLong("model-audio"), help: "Audio toward the model: pcm16 (24 kHz, through the pipeline) or pcmu (mu-law passed through).")
    var modelAudio: String = ProcessInfo.processInfo.environment["MODEL_AUDIO_FORMAT"] ?? "pcm16"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

    static var defaultProvider: String {
        let environment = ProcessInfo.processInfo.environment
        if let provider = environment["MODEL_PROVIDER"] { return provider }
        return environment["OPENAI_API_KEY"] != nil || environment["OPENAI_REALTIME_URL"] != nil ? "openai" : "local"
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw CommandFailure("unknown log level '\(logLevel)'") }
        guard modelAudio == "pcm16" || modelAudio == "pcmu" else { throw CommandFailure("--model-audio must be pcm16 or pcmu") }
        let format: ModelAudioFormat = modelAudio == "pcmu" ? .muLaw : .pcm16(sampleRate: 24000)
        var logger = Logger(label: "voice-relay")
        logger.logLevel = level
        let environment = ProcessInfo.processInfo.environment
        let configuration = RelayConfiguration(
            host: host, port: port, publicHost: publicHost ?? environment["PUBLIC_HOST"], twilioAuthToken: environment["TWILIO_AUTH_TOKEN"],
            region: environment["FLY_REGION"] ?? environment["AI_REGION_HINT"] ?? "local")
        let model: any RealtimeModel
        var fallback: (any RealtimeModel)?
        let fallbackURL = fallbackModelURL ?? environment["MODEL_FALLBACK_URL"]
        switch provider {
        case "local":
            model = LocalAgent(audioFormat: format)
        case "openai":
            var openAI = OpenAIRealtimeModel(apiKey: environment["OPENAI_API_KEY"], audioFormat: format, logger: logger)
            if let url = modelURL ?? environment["OPENAI_REALTIME_URL"] { openAI.url = url }
            model = openAI
            if let fallbackURL {
                openAI.url = fallbackURL
                fallback = openAI
            }
        case "azure":
            guard let endpoint = modelURL ?? environment["AZURE_VOICE_LIVE_ENDPOINT"] else {
                throw CommandFailure("the azure provider needs --model-url or AZURE_VOICE_LIVE_ENDPOINT")
            }
            model = AzureVoiceLiveModel(endpoint: endpoint, apiKey: environment["AZURE_VOICE_LIVE_API_KEY"], audioFormat: format, logger: logger)
            fallback = fallbackURL.map {
                AzureVoiceLiveModel(endpoint: $0, apiKey: environment["AZURE_VOICE_LIVE_API_KEY"], audioFormat: format, logger: logger)
            }
        default:
            throw CommandFailure("unknown model provider '\(provider)' (local, openai or azure)")
        }
        let server = RelayServer(configuration: configuration, model: model, fallbackModel: fallback, logger: logger)
        try await server.makeApplication().runService()
    }
}
