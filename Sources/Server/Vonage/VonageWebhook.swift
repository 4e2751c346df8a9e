import Foundation
import Hummingbird
import Logging
import NIOCore

/// Vonage's answer webhook (`/vonage/answer`: a GET with the call in its query, Vonage's default,
/// or a POST with it in a JSON body): admits the call (see ``CallAdmission``) and answers an NCCO
/// that connects the call to a WebSocket back here, at a path carrying its ``StreamTicket``
/// (Vonage does not sign the stream's upgrade).
struct VonageWebhook: Sendable {
    let admission: CallAdmission
    let ticket: StreamTicket?

    static let streamPrefix = "/vonage/media-stream"

    /// What the webhook says of the call.
    struct Call: Decodable {
        var uuid: String
        var to: String?
        var from: String?
    }

    func register(on routes: RouterGroup<BasicRequestContext>) {
        routes.get("/vonage/answer") { request, context -> Response in
            let query = request.uri.queryParameters
            let call = Call(uuid: query["uuid"].map(String.init) ?? "", to: query["to"].map(String.init), from: query["from"].map(String.init))
            return answer(call, request: request, logger: context.logger)
        }
        routes.post("/vonage/answer") { request, context -> Response in
            let body = try await request.body.collect(upTo: TwilioSignatureCheck.maximumWebhookBytes)
            guard let call = try? JSONDecoder().decode(Call.self, from: Data(buffer: body)) else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "expected Vonage's answer webhook JSON with a uuid\n")))
            }
            return answer(call, request: request, logger: context.logger)
        }
    }

    private func answer(_ call: Call, request: Request, logger: Logger) -> Response {
        let configuration = admission.configuration
        let host = admission.host(of: request)
        let calledNumber = call.to.map(CallAdmission.e164)
        var streamPath: String
        switch admission.admit(carrier: "vonage", callId: call.uuid, calledNumber: calledNumber, accountId: nil, headers: request.headers,
                               prefix: Self.streamPrefix, logger: logger) {
        case .answer(let refusal): return refusal
        case .streamPath(let path): streamPath = path
        }
        if let ticket { streamPath = ticket.ticketed(streamPath) }
        let headers = ["callSid": call.uuid, "tenant": calledNumber ?? "", "region": configuration.region,
                       "caller": configuration.callerNumbers.record(call.from.map(CallAdmission.e164) ?? "")]
        let ncco = VonageNCCO(streamURL: "wss://\(host)\(streamPath)", contentType: admission.plan.audio(calledNumber: calledNumber) ?? configuration.vonageContentType, headers: headers)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: ncco.json)))
    }
}
