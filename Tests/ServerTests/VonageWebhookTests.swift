import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Server
import Simulators
import TestFixtures
import Testing
import Wire

/// Vonage's answer webhook and its WebSocket: an NCCO `connect` to a WebSocket back here, webhooks
/// whose JWT PyJWT (the library the vonage SDK verifies with) signed taken once, replayed, wrongly
/// signed, stale and unsigned ones refused, and a stream that opens only at its ticketed URL.
@Suite struct VonageWebhookTests {
    static let secret = "a-signature-secret-of-thirty-two-b"
    static let uuid = "63f61863-4a51-4f6b-86e1-46edebcf9356"
    static let query = "to=447700900000&from=447700900001&uuid=\(uuid)&conversation_uuid=CON-f972836a-550f-45fa-956c-12a2ab5b7d22"

    static func server(secret: String? = nil, publicHost: String? = "relay.example.com") -> RelayServer {
        RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: publicHost, vonageSignatureSecret: secret, region: "lhr"),
                    model: LocalAgent())
    }

    /// A token as Vonage signs one, made by PyJWT: `iat` offset by `offset` seconds, and the
    /// body's SHA-256 when there is a body.
    static func token(secret: String = secret, offset: Int = 0, jti: String = UUID().uuidString, body: String = "") throws -> String {
        "Bearer " + (try PythonReference.run("""
            import json, sys, time, hashlib, jwt
            d = json.load(sys.stdin)
            claims = {"iat": int(time.time()) + d["offset"], "jti": d["jti"], "iss": "Vonage", "api_key": "abc123",
                      "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}
            if d["body"]:
                claims["payload_hash"] = hashlib.sha256(d["body"].encode()).hexdigest()
            print(jwt.encode(claims, d["secret"], algorithm="HS256"))
            """, input: ["secret": secret, "offset": offset, "jti": jti, "body": body]))
    }

    static func get(_ client: some TestClientProtocol, token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = token }
        return try await client.execute(uri: "/vonage/answer?" + query, method: .get, headers: headers)
    }

    /// The NCCO's one WebSocket endpoint.
    static func endpoint(_ response: TestResponse) throws -> [String: Any] {
        let ncco = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
        #expect(ncco.count == 1 && ncco[0]["action"] as? String == "connect")
        return try #require((ncco[0]["endpoint"] as? [[String: Any]])?.first)
    }

    @Test func theAnswerConnectsTheCallToAWebSocketHere() async throws {
        try await Self.server().makeApplication().test(.live) { client in
            let answered = try await Self.get(client, token: nil)
            #expect(answered.status == .ok && answered.headers[.contentType] == "application/json")
            let endpoint = try Self.endpoint(answered)
            #expect(endpoint["type"] as? String == "websocket")
            #expect(endpoint["uri"] as? String == "wss://relay.example.com/vonage/media-stream/lhr/\(Self.uuid)")
            #expect(endpoint["content-type"] as? String == "audio/l16;rate=16000")
            let headers = try #require(endpoint["headers"] as? [String: String])
            #expect(headers["callSid"] == Self.uuid && headers["tenant"] == "+447700900000" && headers["region"] == "lhr")

            // Answer method POST: the same call in a JSON body.
            let body = #"{"from":"447700900001","to":"447700900000","uuid":"\#(Self.uuid)","conversation_uuid":"CON-1"}"#
            let posted = try await client.execute(uri: "/vonage/answer", method: .post, headers: [.contentType: "application/json"],
                                                  body: ByteBuffer(string: body))
            #expect(try Self.endpoint(posted)["uri"] as? String == "wss://relay.example.com/vonage/media-stream/lhr/\(Self.uuid)")
            let malformed = try await client.execute(uri: "/vonage/answer", method: .post, headers: [.contentType: "application/json"],
                                                     body: ByteBuffer(string: "{}"))
            #expect(malformed.status == .badRequest)
        }
    }

    @Test func onlyFreshTokensSignedWithTheSecretAreTakenAndEachOnce() async throws {
        try await Self.server(secret: Self.secret).makeApplication().test(.live) { client in
            let token = try Self.token()
            let taken = try await Self.get(client, token: token)
            #expect(taken.status == .ok)
            let uri = try Self.endpoint(taken)["uri"] as? String ?? ""
            #expect(uri.range(of: #"/vonage/media-stream/lhr/\#(Self.uuid)/[A-Za-z0-9_-]{22}$"#, options: .regularExpression) != nil, "\(uri)")

            let refused = [("the same token again", token), ("another secret", try Self.token(secret: "another-secret-of-thirty-two-byte")),
                           ("issued 10 minutes ago", try Self.token(offset: -600)), ("no token", nil as String?)]
            for (what, token) in refused {
                let response = try await Self.get(client, token: token)
                #expect(response.status == .forbidden, "\(what)")
            }
            // A POST's token binds its body.
            let body = #"{"to":"447700900000","uuid":"\#(Self.uuid)"}"#
            let signed = try Self.token(body: body)
            let changed = try await client.execute(uri: "/vonage/answer", method: .post, headers: [.authorization: signed],
                                                   body: ByteBuffer(string: body.replacingOccurrences(of: "447700900000", with: "447700900009")))
            #expect(changed.status == .forbidden)
            let intact = try await client.execute(uri: "/vonage/answer", method: .post, headers: [.authorization: signed], body: ByteBuffer(string: body))
            #expect(intact.status == .ok)
        }
    }

    /// A whole signed call: the simulated Vonage signs its answer-URL fetch and opens the ticketed
    /// WebSocket, sends 16 kHz audio in binary frames and a key press; the agent's audio comes back
    /// in 640-byte binary frames with `notify` marks; the same path without its ticket is refused.
    @Test func aSignedCallStreamsOnlyAtItsTicketedPath() async throws {
        try await Self.server(secret: Self.secret, publicHost: nil).makeApplication().test(.live) { client in
            let port = client.port!
            let start = StreamStart(carrier: .vonage, audio: .linear16k, callSid: Self.uuid, streamSid: Self.uuid,
                                    customParameters: ["callSid": Self.uuid])
            await #expect(throws: (any Error).self) {
                try await CallSimulator.stream(port: port, path: "/vonage/media-stream/lhr/\(Self.uuid)", start: start,
                                               script: CallerScript([.quiet(frames: 5)]))
            }
            var caller = CallSimulator(carrier: .vonage, relayURL: "http://127.0.0.1:\(port)", tail: .milliseconds(200),
                                       keyPresses: [("7", 300)], authToken: Self.secret)
            caller.calledNumber = "+447700900000"
            let voice = (0..<8000).map { Int16(6000 * sin(Double($0) * 2 * .pi * 180 / 8000)) } + [Int16](repeating: 0, count: 12000)
            let heard = try await caller.call(callerAudio: voice)
            #expect(heard.unexpectedMessages.isEmpty, "\(heard.unexpectedMessages)")
            #expect(heard.webhookRegion == "lhr")
            #expect(heard.agentFrameTimesMs.count > 25, "the agent answered: \(heard.agentFrameTimesMs.count) frames")
            #expect(Set(heard.agentFrameBytes) == [640])
            #expect(heard.marksEchoed > 0)
        }
    }
}
