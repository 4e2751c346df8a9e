import Hummingbird
import Logging
import NIOCore

/// What every carrier's incoming-call webhook decides the same way: whether this region takes the
/// call (or replays it, or refuses it), opening the model session while the carrier sets up the
/// stream, and the stream path that brings the call back here.
struct CallAdmission: Sendable {
    let configuration: RelayConfiguration
    let plan: RegionPlan
    let decide: @Sendable (RegionRouter.Request) -> RegionRouter.Decision
    let pending: PendingModelSessions
    let registry: CallRegistry
    let model: any RealtimeModel
    let metrics: RelayMetrics

    /// A webhook's form (at most ``TwilioSignatureCheck/maximumWebhookBytes``) and the host the
    /// carrier reached: the stream URL's host.
    func form(of request: Request) async throws -> (form: FormParameters, host: String) {
        let body = try await request.body.collect(upTo: TwilioSignatureCheck.maximumWebhookBytes)
        return (FormParameters(String(buffer: body)), host(of: request))
    }

    /// The host the carrier reached: the public one when configured (behind Fly's proxy the
    /// request's own may differ), else the request's.
    func host(of request: Request) -> String {
        configuration.publicHost ?? request.head.authority ?? "localhost"
    }

    enum Verdict {
        /// Taken: the call's stream path under the carrier's prefix
        /// (`<prefix>/<region>[/<allowed>][/<call id>]`).
        case streamPath(String)
        /// Replayed to another region, or refused: the webhook's answer.
        case answer(Response)
    }

    /// `carrier` is the one whose webhook this is: a number the region plan puts on another carrier
    /// is refused (403), in every region alike, so it is not replayed.
    func admit(carrier: String, callId: String, calledNumber: String?, accountId: String?, headers: HTTPFields, prefix: String,
               logger: Logger) -> Verdict {
        guard plan.takes(calledNumber: calledNumber, through: carrier) else {
            let reason = "\(calledNumber ?? "") is on \(plan.numbers[calledNumber ?? ""]?.carrier ?? "another carrier"), not \(carrier)"
            logger.warning("refusing a call through the wrong carrier", metadata: ["callSid": .string(callId), "reason": .string(reason)])
            metrics.refused(reason: "wrong-carrier")
            return .answer(Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: reason + "\n"))))
        }
        let allowed = plan.allowedRegions(calledNumber: calledNumber, accountSid: accountId)
        let decision = decide(.init(allowedRegions: allowed, alreadyReplayed: FlyReplay.wasReplayed(headers)))
        guard decision == .accept else {
            let refusal = RelayServer.refusal(for: decision, what: "webhook", callSid: callId, metrics: metrics, logger: logger)
            return .answer(Response(status: refusal.status, headers: refusal.headerFields,
                                     body: .init(byteBuffer: ByteBuffer(string: refusal.body))))
        }
        if !callId.isEmpty {
            // Connect to the model now, while the carrier sets up the stream; not beyond the calls
            // this instance can still take (the stream then connects on its own).
            if !pending.open(callSid: callId, model: model, room: registry.capacity - registry.count) {
                logger.notice("no model session opened at the webhook: as many wait as calls could still start")
            }
        }
        logger.info("call accepted", metadata: ["callSid": .string(callId), "region": .string(configuration.region)])
        var streamPath = "\(prefix)/\(configuration.region)"
        if let allowed { streamPath += "/" + allowed.joined(separator: ",") }
        // The call id lets the stream be placed on its pre-opened model socket's event loop
        // before it reads anything (a path segment: Twilio allows no query in a Stream URL).
        if RelayServer.isCallIdentifier(callId) { streamPath += "/" + callId }
        return .streamPath(streamPath)
    }

    /// A number as the region plan writes tenants: Plivo and Vonage give digits without the `+`.
    static func e164(_ number: String) -> String {
        !number.isEmpty && number.allSatisfy(\.isASCII) && number.allSatisfy(\.isNumber) ? "+" + number : number
    }
}
