import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The relay's HTTP and WebSocket server: Twilio's webhook (`POST /twiml`, `/incoming-call`),
/// the media stream (`GET /media-stream`, WebSocket) and `GET /healthz`.
public struct RelayServer: Sendable {
    public let configuration: RelayConfiguration
    public let model: any RealtimeModel
    /// Used when the model cannot be reached at call start, or stays down after a drop.
    public let fallbackModel: (any RealtimeModel)?
    public let logger: Logger

    public init(configuration: RelayConfiguration, model: any RealtimeModel, fallbackModel: (any RealtimeModel)? = nil,
                logger: Logger = Logger(label: "voice-relay")) {
        self.configuration = configuration
        self.model = model
        self.fallbackModel = fallbackModel
        self.logger = logger
    }

    /// Builds the Hummingbird application; `onRunning` receives the bound port (useful with port 0).
    public func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let configuration = self.configuration
        let signature = configuration.twilioAuthToken.map(TwilioSignature.init(authToken:))
        let pending = PendingModelSessions()
        let session = MediaStreamSession(model: model, fallback: fallbackModel, pending: pending, logger: logger, maximumMessageBytes: configuration.maximumMessageBytes)
        let model = self.model

        let router = Router()
        for path in ["/twiml", "/incoming-call"] {
            router.post(RouterPath(path)) { request, context -> Response in
                let body = try await request.body.collect(upTo: 64 * 1024)
                let form = FormParameters(String(buffer: body))
                let host = configuration.publicHost ?? request.head.authority ?? "localhost"
                if let signature {
                    let url = "https://\(host)\(request.uri.description)"
                    guard let given = request.headers[.twilioSignature],
                          signature.isValid(given, url: url, parameters: form.pairs) else {
                        context.logger.warning("webhook with a bad or missing X-Twilio-Signature")
                        return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "invalid Twilio signature\n")))
                    }
                }
                if let callSid = form["CallSid"], !callSid.isEmpty {
                    // Connect to the model now, while Twilio sets up the stream.
                    pending.open(callSid: callSid, model: model)
                }
                let parameters = [("callSid", form["CallSid"] ?? ""), ("tenant", form["To"] ?? ""), ("region", configuration.region)]
                let xml = TwiML.connectStream(url: "wss://\(host)/media-stream", parameters: parameters)
                return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: xml)))
            }
        }
        router.get("/media-stream") { request, _ -> Response in
            // Reached only when the request was not upgraded: a bad signature, or not a WebSocket request.
            let badSignature = signature.map { !Self.upgradeIsSigned(request.head, $0, configuration) } ?? false
            let status: HTTPResponse.Status = badSignature ? .forbidden : .upgradeRequired
            return Response(status: status)
        }
        router.get("/healthz") { _, _ -> Response in
            let body = #"{"status":"ok","region":"\#(configuration.region)","model":"\#(model.name)"}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }

        let logger = self.logger
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: configuration.maximumMessageBytes))) { head, _, _ in
                guard head.path?.split(separator: "?").first == "/media-stream" else { return .dontUpgrade }
                if let signature, !Self.upgradeIsSigned(head, signature, configuration) {
                    logger.warning("media-stream upgrade with a bad or missing X-Twilio-Signature")
                    return .dontUpgrade
                }
                return .upgrade([:]) { inbound, outbound, _ in
                    await session.run(inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "voice-relay"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    /// The upgrade is signed over its `wss://` URL (validating with `https://` is a classic bug).
    private static func upgradeIsSigned(_ head: HTTPRequest, _ signature: TwilioSignature, _ configuration: RelayConfiguration) -> Bool {
        let host = configuration.publicHost ?? head.authority ?? "localhost"
        guard let given = head.headerFields[.twilioSignature] else { return false }
        return signature.isValid(given, url: "wss://\(host)\(head.path ?? "/")")
    }
}

extension HTTPField.Name {
    static let twilioSignature = Self("X-Twilio-Signature")!
}

/// `application/x-www-form-urlencoded` parameters, in order.
struct FormParameters {
    let pairs: [(name: String, value: String)]

    init(_ body: String) {
        pairs = body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }
}
