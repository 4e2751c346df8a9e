import Hummingbird
import Logging
import NIOCore

/// Plivo's answer URL (`POST /plivo/answer`): admits the call (see ``CallAdmission``) and answers
/// Plivo XML with a bidirectional `<Stream>` back here, at a path carrying its ``StreamTicket``
/// when the relay checks Plivo's signatures (Plivo does not sign the stream's upgrade).
struct PlivoWebhook: Sendable {
    let admission: CallAdmission
    let ticket: StreamTicket?

    static let streamPrefix = "/plivo/media-stream"

    func register(on routes: RouterGroup<BasicRequestContext>) {
        routes.post("/plivo/answer") { request, context -> Response in
            try await answer(request, logger: context.logger)
        }
    }

    private func answer(_ request: Request, logger: Logger) async throws -> Response {
        let (form, host) = try await admission.form(of: request)
        let configuration = admission.configuration
        let callId = form["CallUUID"] ?? ""
        let calledNumber = form["To"].map(CallAdmission.e164)
        var streamPath: String
        switch admission.admit(carrier: "plivo", callId: callId, calledNumber: calledNumber, accountId: nil, headers: request.headers,
                               prefix: Self.streamPrefix, logger: logger) {
        case .answer(let refusal): return refusal
        case .streamPath(let path): streamPath = path
        }
        if let ticket { streamPath = ticket.ticketed(streamPath) }
        let headers = [("tenant", calledNumber ?? ""), ("region", configuration.region),
                       ("caller", configuration.callerNumbers.record(form["From"].map(CallAdmission.e164) ?? ""))]
        let xml = PlivoXML.stream(url: "wss://\(host)\(streamPath)", contentType: admission.plan.audio(calledNumber: calledNumber) ?? configuration.plivoContentType, extraHeaders: headers)
        return Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xml)))
    }
}
