import Hummingbird
import Logging
import NIOCore

/// Twilio's incoming-call webhook (`POST /twiml`, `/incoming-call`): decides whether this
/// region takes the call (or replays it, or refuses it), opens the model session while Twilio
/// sets up the stream, and answers TwiML that connects the call's media stream here.
struct TwilioWebhook: Sendable {
    let configuration: RelayConfiguration
    let plan: RegionPlan
    let decide: @Sendable (RegionRouter.Request) -> RegionRouter.Decision
    let pending: PendingModelSessions
    let registry: CallRegistry
    let model: any RealtimeModel
    let metrics: RelayMetrics

    /// Adds the webhook's routes to `routes` (behind the Twilio signature check).
    func register(on routes: RouterGroup<BasicRequestContext>) {
        for path in ["/twiml", "/incoming-call"] {
            routes.post(RouterPath(path)) { request, context -> Response in
                try await answer(request, logger: context.logger)
            }
        }
    }

    private func answer(_ request: Request, logger: Logger) async throws -> Response {
        let body = try await request.body.collect(upTo: TwilioSignatureCheck.maximumWebhookBytes)
        let form = FormParameters(String(buffer: body))
        let host = configuration.publicHost ?? request.head.authority ?? "localhost"
        let callSid = form["CallSid"] ?? ""
        let allowed = plan.allowedRegions(calledNumber: form["To"], accountSid: form["AccountSid"])
        let decision = decide(.init(allowedRegions: allowed, alreadyReplayed: FlyReplay.wasReplayed(request.headers)))
        guard decision == .accept else {
            let refusal = RelayServer.refusal(for: decision, what: "webhook", callSid: callSid, metrics: metrics, logger: logger)
            return Response(status: refusal.status, headers: refusal.headerFields, body: .init(byteBuffer: ByteBuffer(string: refusal.body)))
        }
        if !callSid.isEmpty {
            // Connect to the model now, while Twilio sets up the stream; not beyond the calls
            // this instance can still take (the stream then connects on its own).
            if !pending.open(callSid: callSid, model: model, room: registry.capacity - registry.count) {
                logger.notice("no model session opened at the webhook: as many wait as calls could still start")
            }
        }
        logger.info("call accepted", metadata: ["callSid": .string(callSid), "region": .string(configuration.region)])
        var streamPath = "/media-stream/\(configuration.region)"
        if let allowed { streamPath += "/" + allowed.joined(separator: ",") }
        // The CallSid lets the stream be placed on its pre-opened model socket's event loop
        // before it reads anything (a path segment: Twilio allows no query in a Stream URL).
        if RelayServer.isCallSid(callSid) { streamPath += "/" + callSid }
        let parameters = [("callSid", callSid), ("tenant", form["To"] ?? ""), ("region", configuration.region),
                          ("caller", configuration.callerNumbers.record(form["From"] ?? ""))]
        let xml = TwiML.connectStream(url: "wss://\(host)\(streamPath)", parameters: parameters)
        return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xml)))
    }
}
