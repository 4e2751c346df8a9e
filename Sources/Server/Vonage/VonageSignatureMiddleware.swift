import Foundation
import Hummingbird
import NIOCore
import Wire

/// Refuses with a 403 every webhook on the routes it guards that does not carry Vonage's signed
/// JWT (HS256 under the signature secret, issued within the tolerance, binding the body when
/// there is one), or whose token id (`jti`) was seen before (a replay). Without a secret it lets
/// all through (the relay warns at start).
struct VonageSignatureMiddleware<Context: RequestContext>: RouterMiddleware {
    let signature: VonageSignedWebhook?
    let tokens: NonceLedger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let signature else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: TwilioSignatureCheck.maximumWebhookBytes)
        let reason: String
        do {
            let claims = try signature.verify(authorization: request.headers[.authorization], body: body.readableBytesView)
            // Taken only once the signature holds: unsigned noise cannot fill the ledger.
            if let id = claims.tokenID, tokens.take(id) { return try await next(request, context) }
            reason = claims.tokenID == nil ? "Vonage token without a jti" : "replayed Vonage token"
        } catch {
            reason = "invalid Vonage signature: \(error)"
        }
        context.logger.warning("webhook refused: \(reason)", metadata: ["path": .string(request.uri.path)])
        return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: reason + "\n")))
    }
}
