import HTTPTypes
import Hummingbird
import NIOCore
import Wire

/// Whether a webhook claiming to come from Plivo carries Plivo's V3 signature over its `https://`
/// URL and form, with a nonce not seen before (a valid request replayed is refused).
struct PlivoSignatureCheck: Sendable {
    let signature: PlivoSignature
    let nonces: NonceLedger
    /// The host Plivo was given (behind Fly's proxy the request's own `Host` may differ).
    let publicHost: String?

    init(authToken: String, publicHost: String?, nonces: NonceLedger = NonceLedger()) {
        self.signature = PlivoSignature(authToken: authToken)
        self.nonces = nonces
        self.publicHost = publicHost
    }

    enum Verdict: Equatable {
        case signed
        case unsigned
        case replayed
    }

    func check(_ head: HTTPRequest, form: FormParameters) -> Verdict {
        guard let given = head.headerFields[.plivoSignature], let nonce = head.headerFields[.plivoNonce], !nonce.isEmpty else {
            return .unsigned
        }
        let url = "https://\(publicHost ?? head.authority ?? "localhost")\(head.path ?? "/")"
        guard signature.isValid(given, method: head.method.rawValue, url: url, parameters: form.pairs, nonce: nonce) else {
            return .unsigned
        }
        // Taken only once the signature holds: unsigned noise cannot fill the ledger.
        return nonces.take(nonce) ? .signed : .replayed
    }
}

/// Refuses with a 403 every webhook on the routes it guards that Plivo did not sign, or that
/// repeats a nonce. Without an auth token it lets all through (the relay warns at start).
struct PlivoSignatureMiddleware<Context: RequestContext>: RouterMiddleware {
    let check: PlivoSignatureCheck?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let check else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: TwilioSignatureCheck.maximumWebhookBytes)
        let verdict = check.check(request.head, form: FormParameters(String(buffer: body)))
        guard verdict == .signed else {
            let reason = verdict == .replayed ? "replayed Plivo nonce" : "invalid Plivo signature"
            context.logger.warning("webhook refused: \(reason)", metadata: ["path": .string(request.uri.path)])
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: reason + "\n")))
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let plivoSignature = Self(PlivoSignature.signatureHeader)!
    static let plivoNonce = Self(PlivoSignature.nonceHeader)!
}
