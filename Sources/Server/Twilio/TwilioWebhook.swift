import Hummingbird
import Logging
import NIOCore

/// Twilio's incoming-call webhook (`POST /twiml`, `/incoming-call`): admits the call (see
/// ``CallAdmission``) and answers TwiML that connects the call's media stream here.
struct TwilioWebhook: Sendable {
    let admission: CallAdmission

    /// Adds the webhook's routes to `routes` (behind the Twilio signature check).
    func register(on routes: RouterGroup<BasicRequestContext>) {
        for path in ["/twiml", "/incoming-call"] {
            routes.post(RouterPath(path)) { request, context -> Response in
                try await answer(request, logger: context.logger)
            }
        }
    }

    private func answer(_ request: Request, logger: Logger) async throws -> Response {
        let (form, host) = try await admission.form(of: request)
        let configuration = admission.configuration
        let callSid = form["CallSid"] ?? ""
        let streamPath: String
        switch admission.admit(carrier: "twilio", callId: callSid, calledNumber: form["To"], accountId: form["AccountSid"], headers: request.headers,
                               prefix: "/media-stream", logger: logger) {
        case .answer(let refusal): return refusal
        case .streamPath(let path): streamPath = path
        }
        let parameters = [("callSid", callSid), ("tenant", form["To"] ?? ""), ("region", configuration.region),
                          ("caller", configuration.callerNumbers.record(form["From"] ?? ""))]
        let xml = TwiML.connectStream(url: "wss://\(host)\(streamPath)", parameters: parameters)
        return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xml)))
    }
}
