import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Wire

/// Refuses with a 403 every TeXML webhook on the routes it guards that does not carry Telnyx's
/// Ed25519 signature over its timestamp and body, or whose timestamp is outside the tolerance (a
/// replay). Without a public key it lets all through (the relay warns at start).
struct TelnyxSignatureMiddleware<Context: RequestContext>: RouterMiddleware {
    let signature: TelnyxSignature?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let signature else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: TwilioSignatureCheck.maximumWebhookBytes)
        do {
            try signature.verify(signature: request.headers[.telnyxSignature], timestamp: request.headers[.telnyxTimestamp],
                                 body: body.readableBytesView)
        } catch {
            context.logger.warning("webhook refused: \(error)", metadata: ["path": .string(request.uri.path)])
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "invalid Telnyx signature: \(error)\n")))
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let telnyxSignature = Self(TelnyxSignature.signatureHeader)!
    static let telnyxTimestamp = Self(TelnyxSignature.timestampHeader)!
}
