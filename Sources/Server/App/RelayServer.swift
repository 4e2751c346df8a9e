import CallRecords
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Wire

/// The relay's HTTP and WebSocket server: the carriers' webhooks (Twilio: `POST /twiml`,
/// `/incoming-call`; Plivo: `POST /plivo/answer`; Telnyx: `POST /telnyx/texml`), their media
/// streams (`GET [/plivo|/telnyx]/media-stream[/<home region>[/<allowed regions>]]`, WebSocket)
/// and `GET /healthz`. Before a call is taken, ``RegionRouter`` decides whether this instance takes
/// it or hands it to another region with `fly-replay`.
public struct RelayServer: Sendable {
    public let configuration: RelayConfiguration
    public let model: any RealtimeModel
    /// Used when the model cannot be reached at call start, or stays down after a drop.
    public let fallbackModel: (any RealtimeModel)?
    public let plan: RegionPlan
    public let health: RelayHealth
    public let peers: PeerHealth?
    /// Where call records go; nil runs without records.
    public let recorder: RecordWriter?
    public let metrics: RelayMetrics
    public let logger: Logger

    /// `modelMonitor`, when given, gates calls and `/healthz` on the model answering (it probes
    /// only while ``run()`` runs it); `peers` tells replays which regions are up.
    public init(configuration: RelayConfiguration, model: any RealtimeModel, fallbackModel: (any RealtimeModel)? = nil,
                plan: RegionPlan = RegionPlan(), modelMonitor: ModelHealthMonitor? = nil, peers: PeerHealth? = nil,
                recorder: RecordWriter? = nil, metrics: RelayMetrics? = nil, logger: Logger = Logger(label: "voice-relay")) {
        self.metrics = metrics ?? RelayMetrics(region: configuration.region, provider: model.name)
        self.configuration = configuration
        self.model = model
        self.fallbackModel = fallbackModel
        self.plan = plan
        self.health = RelayHealth(registry: CallRegistry(capacity: configuration.maximumCalls), model: modelMonitor)
        self.peers = peers
        self.recorder = recorder
        self.logger = logger
    }

    /// Runs the server with its model monitor, peer polling and SIGTERM drain until shut down.
    public func run() async throws {
        var services: [any Service] = [makeApplication()]
        // Stopped after the drain (services stop in reverse order), so the last records are written.
        if let recorder { services.append(recorder) }
        if let monitor = health.model { services.append(monitor) }
        if let peers { services.append(peers) }
        // Last, so that on SIGTERM it drains first while the server still answers.
        services.append(CallDrain(health: health, deadline: configuration.drainDeadline, logger: logger))
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Builds the Hummingbird application; `onRunning` receives the bound port (useful with port 0).
    public func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let configuration = self.configuration
        let signatureCheck = configuration.twilioAuthToken.map { TwilioSignatureCheck(authToken: $0, publicHost: configuration.publicHost) }
        let pending = PendingModelSessions(timeToLive: configuration.preopenedSessionTimeout, health: health.model, metrics: metrics)
        let session = MediaStreamSession(model: model, fallback: fallbackModel, pending: pending, registry: health.registry,
                                         modelHealth: health.model, recorder: recorder, metrics: metrics, region: configuration.region, logger: logger,
                                         maximumMessageBytes: configuration.maximumMessageBytes,
                                         startTimeout: configuration.startTimeout, idleTimeout: configuration.idleTimeout,
                                         conversation: .init(dtmfToModel: configuration.dtmfToModel,
                                                             reconnectHistoryTurns: configuration.reconnectHistoryTurns))
        let model = self.model
        let plan = self.plan
        let health = self.health
        let router = RegionRouter(region: configuration.region, plan: plan)
        let peers = self.peers
        let logger = self.logger
        let metrics = self.metrics
        let recorder = self.recorder
        let decide = { @Sendable (request: RegionRouter.Request) -> RegionRouter.Decision in
            router.decide(request, status: health.status, peerHealth: { peers?.isHealthy($0) })
        }

        let admission = CallAdmission(configuration: configuration, plan: plan, decide: decide, pending: pending,
                                      registry: health.registry, model: model, metrics: metrics)
        let routes = Router()
        let twilio = routes.group().add(middleware: TwilioSignatureMiddleware(check: signatureCheck))
        TwilioWebhook(admission: admission).register(on: twilio)
        let plivoCheck = configuration.plivoAuthToken.map { PlivoSignatureCheck(authToken: $0, publicHost: configuration.publicHost) }
        let plivoTicket = configuration.plivoAuthToken.map { StreamTicket(secret: $0) }
        let servesPlivo = configuration.plivoAuthToken != nil || configuration.takesUnsignedCarriers
        if servesPlivo {
            let plivo = routes.group().add(middleware: PlivoSignatureMiddleware(check: plivoCheck))
            PlivoWebhook(admission: admission, ticket: plivoTicket).register(on: plivo)
        }
        let telnyxSignature = configuration.telnyxPublicKey.flatMap { try? TelnyxSignature(publicKey: $0) }
        let telnyxTicket = telnyxSignature.map { _ in StreamTicket(secret: configuration.streamTicketSecret) }
        // A key that is not one serves nothing (`serve` refuses to start with it).
        let servesTelnyx = configuration.telnyxPublicKey == nil ? configuration.takesUnsignedCarriers : telnyxSignature != nil
        if servesTelnyx {
            let telnyx = routes.group().add(middleware: TelnyxSignatureMiddleware(signature: telnyxSignature))
            TelnyxWebhook(admission: admission, ticket: telnyxTicket).register(on: telnyx)
        }
        let vonageSignature = configuration.vonageSignatureSecret.map { VonageSignedWebhook(signatureSecret: $0) }
        let vonageTicket = configuration.vonageSignatureSecret.map { StreamTicket(secret: $0) }
        let servesVonage = vonageSignature != nil || configuration.takesUnsignedCarriers
        if servesVonage {
            let vonage = routes.group().add(middleware: VonageSignatureMiddleware(signature: vonageSignature, tokens: NonceLedger(retention: .seconds(600))))
            VonageWebhook(admission: admission, ticket: vonageTicket).register(on: vonage)
        }
        let served = StreamCarrier.Served(plivo: servesPlivo, telnyx: servesTelnyx, vonage: servesVonage)
        let tickets: [StreamCarrier: StreamTicket?] = [.plivo: plivoTicket, .telnyx: telnyxTicket, .vonage: vonageTicket]
        // A media-stream upgrade this instance does not take never reaches the router: the
        // ``UpgradeGate`` answers it (replay, refusal, bad signature) before the upgrade.
        let refuseUpgrade = { @Sendable (head: HTTPRequest) -> UpgradeRefusal? in
            guard let carrier = Self.streamCarrier(head, served: served) else { return nil }
            switch carrier {
            case .twilio:
                if let signatureCheck, !signatureCheck.isSigned(stream: head) {
                    logger.warning("media-stream upgrade with a bad or missing X-Twilio-Signature")
                    return UpgradeRefusal(status: .forbidden, headerFields: [:], body: TwilioSignatureCheck.refusal)
                }
            case .plivo, .telnyx, .vonage:
                if let ticket = tickets[carrier] ?? nil, !ticket.admits(head.path ?? "") {
                    logger.warning("media-stream upgrade without this relay's stream ticket", metadata: ["carrier": .string("\(carrier)")])
                    return UpgradeRefusal(status: .forbidden, headerFields: [:], body: "invalid stream ticket\n")
                }
            }
            let decision = decide(Self.streamRequest(head))
            return decision == .accept ? nil : Self.refusal(for: decision, what: "media stream", callSid: nil, metrics: metrics, logger: logger)
        }
        for prefix in ["/media-stream"] + (servesPlivo ? [PlivoWebhook.streamPrefix] : []) + (servesTelnyx ? [TelnyxWebhook.streamPrefix] : [])
            + (servesVonage ? [VonageWebhook.streamPrefix] : []) {
            for path in ["", "/{home}", "/{home}/{allowed}", "/{home}/{allowed}/{call}", "/{home}/{allowed}/{call}/{ticket}"] {
                // A plain GET, not a WebSocket upgrade.
                (prefix == "/media-stream" ? twilio : routes.group()).get(RouterPath(prefix + path)) { _, _ -> Response in
                    Response(status: .upgradeRequired)
                }
            }
        }
        if let store = recorder?.store {
            CallRecordsAPI(store: store, adminToken: configuration.adminToken).register(on: routes)
        }
        let status = StatusSnapshotSource(region: configuration.region, modelName: model.name, capacity: configuration.maximumCalls,
                                          health: health, router: router, peers: peers, metrics: metrics, recorder: recorder)
        StatusPage(snapshot: { await status.snapshot(includeCalls: $0) }, adminToken: configuration.adminToken).register(on: routes)
        MetricsEndpoint(metrics: metrics, recorder: recorder).register(on: routes)
        HealthEndpoint(health: health, region: configuration.region, modelName: model.name, capacity: configuration.maximumCalls)
            .register(on: routes)

        let limits = ConnectionLimits(maximum: configuration.maximumConnections, handshakeTimeout: configuration.handshakeTimeout,
                                      metrics: metrics, logger: logger)
        let server = HTTPServerBuilder { responder in
            // Media streams never reach Hummingbird's WebSocket layer: the gate upgrades them
            // itself (or refuses them); this channel serves plain HTTP.
            let http = HTTP1WebSocketUpgradeChannel(
                responder: responder, configuration: .init(ws: .init(maxFrameSize: configuration.maximumMessageBytes))
            ) { _, _, _ in .dontUpgrade }
            return GatedWebSocketChannel(inner: http, limits: limits, refusal: refuseUpgrade,
                                         takeOver: { head in
                                             guard let carrier = Self.streamCarrier(head, served: served) else { return nil }
                                             let loop = Self.streamCallSid(head).flatMap { pending.eventLoop(callSid: $0) }
                                             let bytes = configuration.maximumMessageBytes
                                             switch carrier {
                                             case .twilio:
                                                 return MediaStreamTakeOver(makeHandler: { session.makeHandler(TwilioStream(maximumMessageBytes: bytes)) },
                                                                            eventLoop: loop)
                                             case .plivo:
                                                 return MediaStreamTakeOver(makeHandler: { session.makeHandler(PlivoStream(maximumMessageBytes: bytes)) },
                                                                            eventLoop: loop)
                                             case .telnyx:
                                                 return MediaStreamTakeOver(makeHandler: { session.makeHandler(TelnyxStream(maximumMessageBytes: bytes)) },
                                                                            eventLoop: loop)
                                             case .vonage:
                                                 return MediaStreamTakeOver(makeHandler: { session.makeHandler(VonageStream(maximumMessageBytes: bytes)) },
                                                                            eventLoop: loop)
                                             }
                                         })
        }
        return Application(
            router: routes,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "voice-relay"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    /// The carriers whose media streams this relay takes, by the path their streams open.
    enum StreamCarrier {
        case twilio
        case plivo
        case telnyx
        case vonage

        /// The carriers besides Twilio whose routes this relay serves.
        struct Served {
            var plivo: Bool
            var telnyx: Bool
            var vonage: Bool
        }
    }

    static func streamCarrier(_ head: HTTPRequest, served: StreamCarrier.Served) -> StreamCarrier? {
        let parts = streamPathParts(head)
        let isStream = parts.count > 1 && parts[1] == "media-stream"
        switch parts.first {
        case "media-stream": return .twilio
        case "plivo" where served.plivo && isStream: return .plivo
        case "telnyx" where served.telnyx && isStream: return .telnyx
        case "vonage" where served.vonage && isStream: return .vonage
        default: return nil
        }
    }

    /// What a media-stream upgrade says about itself: `[/<carrier>]/media-stream/<home>/<allowed,regions>`,
    /// then the call's id when the webhook knew it, then its ticket if it needs one.
    static func streamRequest(_ head: HTTPRequest) -> RegionRouter.Request {
        let parts = streamSegments(head)
        let home = parts.first
        let allowed = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : nil
        return RegionRouter.Request(allowedRegions: allowed, homeRegion: home, alreadyReplayed: FlyReplay.wasReplayed(head.headerFields))
    }

    /// The call id the stream's path names, if it names one.
    static func streamCallSid(_ head: HTTPRequest) -> String? {
        let parts = streamPathParts(head)
        return parts.last(where: isCallIdentifier)
    }

    /// The region segments after `media-stream` (the call id and ticket dropped).
    private static func streamSegments(_ head: HTTPRequest) -> [String] {
        var parts = Array(streamPathParts(head).drop { $0 != "media-stream" }.dropFirst())
        if let index = parts.firstIndex(where: isCallIdentifier) { parts.removeSubrange(index...) }
        return parts
    }

    private static func streamPathParts(_ head: HTTPRequest) -> [String] {
        (head.path?.split(separator: "?").first ?? "").split(separator: "/").map(String.init)
    }

    /// A carrier's call id: Twilio's CallSids (`CA` and 32 hexadecimal digits), Plivo's CallUUIDs
    /// (a UUID) or Telnyx's call control ids (`v2:` or `v3:` and base64url). Region codes are three
    /// letters, tickets 22 base64url characters.
    static func isCallIdentifier(_ text: String) -> Bool {
        if text.count == 34 && text.hasPrefix("CA") && text.dropFirst(2).allSatisfy(\.isHexDigit) { return true }
        if (text.hasPrefix("v2:") || text.hasPrefix("v3:")) && (8...200).contains(text.count) {
            return text.dropFirst(3).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        return text.count == 36 && UUID(uuidString: text) != nil
    }

    /// A request this instance does not take: replayed with `fly-replay` (Fly drops our status and
    /// body and re-sends the request), or refused with a clean 503.
    static func refusal(for decision: RegionRouter.Decision, what: String, callSid: String?, metrics: RelayMetrics,
                        logger: Logger) -> UpgradeRefusal {
        var metadata: Logger.Metadata = ["request": .string(what)]
        if let callSid { metadata["callSid"] = .string(callSid) }
        switch decision {
        case .replay(let region, let reason):
            metadata["target"] = .string(region)
            metadata["reason"] = .string(reason)
            metrics.replayed(reason: reason)
            logger.info("replaying to another region", metadata: metadata)
            return UpgradeRefusal(status: .serviceUnavailable, headerFields: [FlyReplay.replayHeader: FlyReplay.value(region: region, reason: reason)],
                                  body: "replayed to \(region): \(reason)\n")
        case .accept:
            preconditionFailure("an accepted request has nothing to refuse")
        case .refuse(let reason):
            metadata["reason"] = .string(reason)
            logger.warning("refusing: no region can take it", metadata: metadata)
            return UpgradeRefusal(status: .serviceUnavailable, headerFields: [.contentType: "application/json"],
                                  body: #"{"status":"unavailable","reason":\#(jsonStringLiteral(reason))}"#)
        }
    }
}

/// A string as a JSON string literal.
func jsonStringLiteral(_ text: String) -> String {
    String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
}
