import ArgumentParser
import Foundation
import Hummingbird
import Logging
import AudioPipeline
import CallRecords
import Server
import Wire

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
    @Option(help: "Model provider: local (the embedded demo agent), openai or azure (env MODEL_PROVIDER; else the region plan's model for this region; else openai when OPENAI_API_KEY or OPENAI_REALTIME_URL is set, local otherwise).")
    var provider: String?
    @Option(name: .customLong("model-url"), help: "The model's WebSocket URL (env OPENAI_REALTIME_URL, or AZURE_VOICE_LIVE_ENDPOINT for azure).")
    var modelURL: String?
    @Option(name: .customLong("fallback-model-url"), help: "A second endpoint of the same provider, used when the first is down (env MODEL_FALLBACK_URL).")
    var fallbackModelURL: String?
    @Option(name: .customLong("model-audio"), help: "Audio toward the model: pcm16 (24 kHz, through the pipeline) or pcmu (mu-law passed through).")
    var modelAudio: String = ProcessInfo.processInfo.environment["MODEL_AUDIO_FORMAT"] ?? "pcm16"
    @Option(help: "Region plan JSON: models per region, failover order, tenant pinning (env REGIONS_FILE).")
    var regions: String?
    @Option(name: .customLong("max-calls"), help: "Calls taken at once before health turns 503 and new calls are replayed (env MAX_CALLS).")
    var maxCalls: Int = Int(ProcessInfo.processInfo.environment["MAX_CALLS"] ?? "") ?? 500
    @Option(name: .customLong("max-connections"), help: "Open TCP connections beyond which new ones get a 503 (env MAX_CONNECTIONS; default twice --max-calls plus 64).")
    var maxConnections: Int?
    @Option(name: .customLong("max-message-bytes"), help: "Largest WebSocket message taken from Twilio; larger ones close the stream (env MAX_MESSAGE_BYTES).")
    var maxMessageBytes: Int = Int(ProcessInfo.processInfo.environment["MAX_MESSAGE_BYTES"] ?? "") ?? 64 * 1024
    @Option(name: .customLong("handshake-timeout"), help: "Seconds a connection has to send a whole HTTP request (env HANDSHAKE_TIMEOUT_SECONDS).")
    var handshakeTimeout: Double = Double(ProcessInfo.processInfo.environment["HANDSHAKE_TIMEOUT_SECONDS"] ?? "") ?? 10
    @Option(name: .customLong("start-timeout"), help: "Seconds a media stream has to send 'start' (env START_TIMEOUT_SECONDS).")
    var startTimeout: Double = Double(ProcessInfo.processInfo.environment["START_TIMEOUT_SECONDS"] ?? "") ?? 10
    @Option(name: .customLong("idle-timeout"), help: "Seconds of silence on a media stream before it is closed (env IDLE_TIMEOUT_SECONDS).")
    var idleTimeout: Double = Double(ProcessInfo.processInfo.environment["IDLE_TIMEOUT_SECONDS"] ?? "") ?? 10
    @Option(name: .customLong("drain-seconds"), help: "On SIGTERM, how long calls in progress may run on; keep it under fly.toml's kill_timeout (env DRAIN_SECONDS).")
    var drainSeconds: Int = Int(ProcessInfo.processInfo.environment["DRAIN_SECONDS"] ?? "") ?? 50
    @Option(name: .customLong("model-probe-seconds"), help: "How often the model upstream is probed when no call has connected to it (env MODEL_PROBE_SECONDS).")
    var modelProbeSeconds: Double = Double(ProcessInfo.processInfo.environment["MODEL_PROBE_SECONDS"] ?? "") ?? 10
    @Option(name: .customLong("peer-poll-seconds"), help: "How often the health of the regions calls may be handed to is polled (env PEER_POLL_SECONDS).")
    var peerPollSeconds: Double = Double(ProcessInfo.processInfo.environment["PEER_POLL_SECONDS"] ?? "") ?? 3
    @Option(name: .customLong("data-dir"), help: "Where call records (SQLite) and the records outbox live (env DATA_DIR). With DATABASE_URL=postgres://... records go to PostgreSQL instead.")
    var dataDirectory: String = ProcessInfo.processInfo.environment["DATA_DIR"] ?? "data"
    @Option(name: .customLong("caller-numbers"), help: "Caller numbers in call records: hashed, plain or omit (env CALLER_NUMBERS; the hash salt is CALLER_HASH_SALT).")
    var callerNumbers: String = ProcessInfo.processInfo.environment["CALLER_NUMBERS"] ?? "hashed"
    @Option(name: .customLong("log-format"), help: "json (one object per line, the default) or text (env LOG_FORMAT).")
    var logFormat: String = ProcessInfo.processInfo.environment["LOG_FORMAT"] ?? "json"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"
    @Flag(name: .customLong("allow-unsigned-webhooks"),
          help: "On Fly, start without TWILIO_AUTH_TOKEN anyway (anyone could then make the relay open paid model sessions).")
    var allowUnsignedWebhooks = false

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw CommandFailure("unknown log level '\(logLevel)'") }
        guard modelAudio == "pcm16" || modelAudio == "pcmu" else { throw CommandFailure("--model-audio must be pcm16 or pcmu") }
        let format: ModelAudioFormat = modelAudio == "pcmu" ? .muLaw : .pcm16(sampleRate: 24000)
        guard logFormat == "json" || logFormat == "text" else { throw CommandFailure("--log-format must be json or text") }
        let environment = ProcessInfo.processInfo.environment
        let region = environment["FLY_REGION"] ?? environment["AI_REGION_HINT"] ?? "local"
        if logFormat == "json" {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, metadata: ["region": .string(region)]) }
        }
        var logger = Logger(label: "voice-relay")
        logger.logLevel = level
        let plan: RegionPlan
        do {
            plan = try (regions ?? environment["REGIONS_FILE"]).map(RegionPlan.load(path:)) ?? RegionPlan()
        } catch {
            throw CommandFailure("\(error)")
        }
        guard let callerPolicy = CallerNumbers(setting: callerNumbers, salt: environment["CALLER_HASH_SALT"]) else {
            throw CommandFailure("--caller-numbers must be hashed, plain or omit")
        }
        let twilioAuthToken = environment["TWILIO_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if twilioAuthToken == nil {
            // Without the token nobody's webhook is checked, and each webhook opens a model session.
            if environment["FLY_APP_NAME"] != nil, !allowUnsignedWebhooks {
                throw CommandFailure("TWILIO_AUTH_TOKEN is not set: on Fly the relay refuses to take unsigned webhooks, which anyone could post to open paid model sessions (give --allow-unsigned-webhooks to start anyway)")
            }
            logger.warning("TWILIO_AUTH_TOKEN is not set: webhooks and media streams are not signature-checked, so anyone who can reach this relay can open model sessions")
        }
        let plivoAuthToken = environment["PLIVO_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let telnyxPublicKey = environment["TELNYX_PUBLIC_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let vonageSecret = environment["VONAGE_SIGNATURE_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        if let telnyxPublicKey, (try? TelnyxSignature(publicKey: telnyxPublicKey)) == nil {
            throw CommandFailure("TELNYX_PUBLIC_KEY is not a base64 Ed25519 public key (32 bytes), as Telnyx's portal shows it")
        }
        // Other carriers' routes run unsigned only off Fly (or when told): a deployment that does not
        // use a carrier need not set its credential, and then offers no unchecked way to open model sessions.
        let carriersUnsigned = environment["FLY_APP_NAME"] == nil || allowUnsignedWebhooks
        if plivoAuthToken == nil, carriersUnsigned { logger.warning("PLIVO_AUTH_TOKEN is not set: Plivo webhooks and streams are taken unchecked") }
        if telnyxPublicKey == nil, carriersUnsigned { logger.warning("TELNYX_PUBLIC_KEY is not set: Telnyx webhooks and streams are taken unchecked") }
        if vonageSecret == nil, carriersUnsigned { logger.warning("VONAGE_SIGNATURE_SECRET is not set: Vonage webhooks and streams are taken unchecked") }
        let plivoContentType = environment["PLIVO_CONTENT_TYPE"].flatMap { $0.isEmpty ? nil : $0 } ?? "audio/x-l16;rate=16000"
        guard NumberRoute.audioChoices["plivo"]!.contains(plivoContentType) else {
            throw CommandFailure("PLIVO_CONTENT_TYPE must be audio/x-l16;rate=16000, audio/x-l16;rate=8000 or audio/x-mulaw;rate=8000")
        }
        let telnyxCodec = environment["TELNYX_CODEC"].flatMap { $0.isEmpty ? nil : $0.uppercased() } ?? "PCMU"
        guard NumberRoute.audioChoices["telnyx"]!.contains(telnyxCodec) else { throw CommandFailure("TELNYX_CODEC must be PCMU, PCMA, L16 or OPUS") }
        let vonageContentType = environment["VONAGE_CONTENT_TYPE"].flatMap { $0.isEmpty ? nil : $0 } ?? "audio/l16;rate=16000"
        guard NumberRoute.audioChoices["vonage"]!.contains(vonageContentType) else {
            throw CommandFailure("VONAGE_CONTENT_TYPE must be audio/l16;rate=16000 or audio/l16;rate=8000")
        }
        let ticketSecret = environment["STREAM_TICKET_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        if ticketSecret == nil, telnyxPublicKey != nil, environment["FLY_APP_NAME"] != nil {
            logger.warning("STREAM_TICKET_SECRET is not set: a Telnyx stream reaching another machine than the one that answered its webhook is refused")
        }
        let configuration = RelayConfiguration(
            host: host, port: port, publicHost: publicHost ?? environment["PUBLIC_HOST"], twilioAuthToken: twilioAuthToken,
            plivoAuthToken: plivoAuthToken, telnyxPublicKey: telnyxPublicKey, vonageSignatureSecret: vonageSecret,
            streamTicketSecret: ticketSecret ?? RelayConfiguration.randomSecret(), takesUnsignedCarriers: carriersUnsigned,
            plivoContentType: plivoContentType, telnyxCodec: telnyxCodec, vonageContentType: vonageContentType,
            region: region, maximumMessageBytes: maxMessageBytes, maximumCalls: maxCalls,
            maximumConnections: maxConnections ?? environment["MAX_CONNECTIONS"].flatMap { Int($0) },
            handshakeTimeout: .seconds(handshakeTimeout), startTimeout: .seconds(startTimeout), idleTimeout: .seconds(idleTimeout),
            drainDeadline: .seconds(drainSeconds), callerNumbers: callerPolicy,
            adminToken: environment["ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 },
            dtmfToModel: environment["DTMF_TO_MODEL"] != "off",
            reconnectHistoryTurns: environment["RECONNECT_HISTORY_TURNS"].flatMap { Int($0) } ?? 20)
        let recorder: RecordWriter
        do {
            let location = CallStoreLocation(databaseURL: environment["DATABASE_URL"], dataDirectory: dataDirectory)
            recorder = RecordWriter(store: try location.open(logger: logger), outbox: try Outbox(directory: dataDirectory), logger: logger)
        } catch {
            throw CommandFailure("call records: \(error)")
        }
        let models: (primary: any RealtimeModel, fallback: (any RealtimeModel)?)
        do {
            models = try modelEndpoint(plan: plan, region: region, environment: environment)
                .makeModels(audioFormat: format, environment: environment, logger: logger)
        } catch {
            throw CommandFailure("\(error)")
        }
        let monitor = ModelHealthMonitor(model: models.primary, fallback: models.fallback, interval: .milliseconds(Int(modelProbeSeconds * 1000)), logger: logger)
        let peers = PeerHealth(urls: peerHealthURLs(plan: plan, region: region, environment: environment),
                               interval: .milliseconds(Int(peerPollSeconds * 1000)), logger: logger)
        logger.info("relay starting", metadata: ["region": .string(region), "model": .string(models.primary.name), "port": .stringConvertible(port),
                                                 "records": .string(recorder.store.name)])
        let server = RelayServer(configuration: configuration, model: models.primary, fallbackModel: models.fallback,
                                 plan: plan, modelMonitor: monitor, peers: peers, recorder: recorder, logger: logger)
        try await server.run()
    }

    /// Flags and environment first, then the region plan, then whatever credentials are present.
    func modelEndpoint(plan: RegionPlan, region: String, environment: [String: String]) -> ModelEndpoint {
        let fallbackURL = fallbackModelURL ?? environment["MODEL_FALLBACK_URL"]
        if let provider = provider ?? environment["MODEL_PROVIDER"].flatMap({ $0.isEmpty ? nil : $0 }) {
            return ModelEndpoint(provider: provider, url: modelURL, fallbackURL: fallbackURL)
        }
        if let planned = plan.model(for: region) { return planned }
        if modelURL != nil || environment["OPENAI_REALTIME_URL"] != nil || environment["OPENAI_API_KEY"] != nil {
            return ModelEndpoint(provider: "openai", url: modelURL, fallbackURL: fallbackURL)
        }
        return ModelEndpoint(provider: "local")
    }

    /// Health URLs of the regions this one may hand calls to: from the plan, else Fly's private
    /// network name for the region (`<region>.<app>.internal`) when running on Fly.
    func peerHealthURLs(plan: RegionPlan, region: String, environment: [String: String]) -> [String: String] {
        var peers = Set(plan.failover(for: region))
        for allowed in plan.tenants.values { peers.formUnion(allowed) }
        peers.remove(region)
        var urls: [String: String] = [:]
        for peer in peers {
            if let url = plan.regions[peer]?.health {
                urls[peer] = url
            } else if let app = environment["FLY_APP_NAME"] {
                urls[peer] = "http://\(peer).\(app).internal:\(port)/healthz"
            }
        }
        return urls
    }
}
