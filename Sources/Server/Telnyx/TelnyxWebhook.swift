import Hummingbird
import Logging
import NIOCore

/// Telnyx's TeXML webhook (`POST /telnyx/texml`, Twilio's form under Telnyx's signature): admits
/// the call (see ``CallAdmission``) and answers TeXML that connects a bidirectional RTP stream
/// back here, at a path carrying its ``StreamTicket`` (Telnyx does not sign the stream's upgrade).
struct TelnyxWebhook: Sendable {
    let admission: CallAdmission
    let ticket: StreamTicket?

    static let streamPrefix = "/telnyx/media-stream"

    func register(on routes: RouterGroup<BasicRequestContext>) {
        routes.post("/telnyx/texml") { request, context -> Response in
            try await answer(request, logger: context.logger)
        }
    }

    private func answer(_ request: Request, logger: Logger) async throws -> Response {
        let (form, host) = try await admission.form(of: request)
        let configuration = admission.configuration
        let callSid = form["CallSid"] ?? ""
        var streamPath: String
        switch admission.admit(carrier: "telnyx", callId: callSid, calledNumber: form["To"], accountId: form["AccountSid"], headers: request.headers,
                               prefix: Self.streamPrefix, logger: logger) {
        case .answer(let refusal): return refusal
        case .streamPath(let path): streamPath = path
        }
        if let ticket { streamPath = ticket.ticketed(streamPath) }
        let parameters = [("callSid", callSid), ("tenant", form["To"] ?? ""), ("region", configuration.region),
                          ("caller", configuration.callerNumbers.record(form["From"] ?? ""))]
        let xml = TwiML.connectStream(url: "wss://\(host)\(streamPath)",
                                      attributes: Self.streamAttributes(codec: admission.plan.audio(calledNumber: form["To"]) ?? configuration.telnyxCodec),
                                      parameters: parameters)
        return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    /// Bidirectional RTP in `codec`; L16 and Opus at 16 kHz, the widest the call's 16 kHz
    /// resampling to the model serves (the model's 24 kHz adds nothing a phone call has).
    static func streamAttributes(codec: String) -> [(name: String, value: String)] {
        var attributes = [("bidirectionalMode", "rtp"), ("bidirectionalCodec", codec)]
        if codec == "L16" || codec == "OPUS" { attributes.append(("bidirectionalSamplingRate", "16000")) }
        return attributes
    }
}
