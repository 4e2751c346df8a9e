import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Wire

/// Whether a request that claims to come from Twilio carries Twilio's signature, checked one way
/// for all three places it arrives: the webhook (signed over its `https://` URL and its form
/// parameters), the media-stream upgrade and a plain GET of a stream path (signed over the
/// `wss://` URL, no parameters; validating those with `https://` is a classic bug).
struct TwilioSignatureCheck: Sendable {
    let signature: TwilioSignature
    /// The host Twilio was given (behind Fly's proxy the request's own `Host` may differ).
    let publicHost: String?

    init(authToken: String, publicHost: String?) {
        self.signature = TwilioSignature(authToken: authToken)
        self.publicHost = publicHost
    }

    func isSigned(webhook head: HTTPRequest, form: FormParameters) -> Bool {
        guard let given = head.headerFields[.twilioSignature] else { return false }
        return signature.isValid(given, url: "https://\(host(of: head))\(head.path ?? "/")", parameters: form.pairs)
    }

    func isSigned(stream head: HTTPRequest) -> Bool {
        guard let given = head.headerFields[.twilioSignature] else { return false }
        return signature.isValid(given, url: "wss://\(host(of: head))\(head.path ?? "/")")
    }

    private func host(of head: HTTPRequest) -> String {
        publicHost ?? head.authority ?? "localhost"
    }
}

/// Refuses with a 403 every request on the routes it guards that Twilio did not sign: webhook
/// POSTs by their form, stream GETs by their URL. Without an auth token it lets all through
/// (the relay warns at start, and refuses to run so on Fly unless told to).
struct TwilioSignatureMiddleware<Context: RequestContext>: RouterMiddleware {
    let check: TwilioSignatureCheck?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let check else { return try await next(request, context) }
        var request = request
        let signed: Bool
        if request.method == .post {
            let body = try await request.collectBody(upTo: TwilioSignatureCheck.maximumWebhookBytes)
            signed = check.isSigned(webhook: request.head, form: FormParameters(String(buffer: body)))
        } else {
            signed = check.isSigned(stream: request.head)
        }
        guard signed else {
            context.logger.warning("request with a bad or missing X-Twilio-Signature", metadata: ["path": .string(request.uri.path)])
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: TwilioSignatureCheck.refusal)))
        }
        return try await next(request, context)
    }
}

extension TwilioSignatureCheck {
    /// A webhook's form is a few hundred bytes; more is refused before it is read.
    static let maximumWebhookBytes = 64 * 1024
    static let refusal = "invalid Twilio signature\n"
}

extension HTTPField.Name {
    static let twilioSignature = Self("X-Twilio-Signature")!
}
