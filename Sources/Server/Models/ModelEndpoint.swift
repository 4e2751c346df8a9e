import AudioPipeline
import Logging

/// Which model provider a region talks to and where: `local`, `openai` or `azure`, with an
/// endpoint URL and an optional second endpoint of the same provider for failover.
/// Credentials never live here; they come from the environment (`fly secrets set`), and so may
/// the URL: without one, OpenAI uses `OPENAI_REALTIME_URL` or its public endpoint, Azure
/// `AZURE_VOICE_LIVE_ENDPOINT` (an Azure resource's own address).
public struct ModelEndpoint: Sendable, Codable, Equatable {
    public var provider: String
    public var url: String?
    public var fallbackURL: String?

    public init(provider: String, url: String? = nil, fallbackURL: String? = nil) {
        self.provider = provider
        self.url = url
        self.fallbackURL = fallbackURL
    }

    /// The primary model and its fallback, built with the credentials in `environment`.
    public func makeModels(audioFormat: ModelAudioFormat, environment: [String: String],
                           logger: Logger) throws -> (primary: any RealtimeModel, fallback: (any RealtimeModel)?) {
        switch provider {
        case "local":
            return (LocalAgent(audioFormat: audioFormat), nil)
        case "openai":
            var openAI = OpenAIRealtimeModel(apiKey: environment["OPENAI_API_KEY"], audioFormat: audioFormat, logger: logger)
            if let transcription = environment["TRANSCRIPTION_MODEL"] { openAI.transcriptionModel = transcription.isEmpty ? nil : transcription }
            if let url = url ?? environment["OPENAI_REALTIME_URL"] { openAI.url = url }
            var fallback: OpenAIRealtimeModel?
            if let fallbackURL {
                fallback = openAI
                fallback?.url = fallbackURL
            }
            return (openAI, fallback)
        case "azure":
            guard let url = url ?? environment["AZURE_VOICE_LIVE_ENDPOINT"] else {
                throw RegionPlanError("the azure provider needs an endpoint URL (AZURE_VOICE_LIVE_ENDPOINT)")
            }
            let key = environment["AZURE_VOICE_LIVE_API_KEY"]
            let transcription = environment["TRANSCRIPTION_MODEL"].map { $0.isEmpty ? nil : $0 } ?? "azure-speech"
            let fallback = fallbackURL.map {
                AzureVoiceLiveModel(endpoint: $0, apiKey: key, audioFormat: audioFormat, transcriptionModel: transcription, logger: logger)
            }
            return (AzureVoiceLiveModel(endpoint: url, apiKey: key, audioFormat: audioFormat, transcriptionModel: transcription, logger: logger),
                    fallback)
        default:
            throw RegionPlanError("unknown model provider '\(provider)' (local, openai or azure)")
        }
    }
}
