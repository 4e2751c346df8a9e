import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Server
import Simulators
import TestFixtures
import Testing
import Wire

/// Plivo's answer webhook and its stream: the answer XML as Plivo's own SDK builds it, requests
/// signed by Plivo's SDK taken, and unsigned, wrongly signed and replayed ones refused; a stream
/// opens only at the ticketed URL the signed answer named.
@Suite struct PlivoWebhookTests {
    static let token = "MjA4ZjM1NzQ4NTBmNDhiZTg1MzM0ZDZiYTNjMzIx"
    static let callId = "7a5d1e2c-0b4f-4c3e-9a8d-1f2e3d4c5b6a"
    static let parameters = [("CallUUID", callId), ("From", "14155550100"), ("To", "4930555"), ("Direction", "inbound"),
                             ("CallStatus", "ringing")]
    static var form: String { parameters.map { "\($0.0)=\($0.1)" }.joined(separator: "&") }

    static func server(token: String? = nil, takesUnsigned: Bool = true, publicHost: String? = "relay.example.com") -> RelayServer {
        RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: publicHost, plivoAuthToken: token,
                                         takesUnsignedCarriers: takesUnsigned, region: "fra"),
                    model: LocalAgent())
    }

    /// `X-Plivo-Signature-V3` for the webhook, computed by Plivo's Python SDK (`plivo` on PyPI).
    static func plivoSDKSignature(token: String, nonce: String) throws -> String {
        let script = """
            import json, sys
            from plivo.utils.signature_v3 import construct_post_url, get_signature_v3
            d = json.load(sys.stdin)
            base = construct_post_url(d["url"], dict(d["params"]))
            print(get_signature_v3(d["token"], base.decode(), d["nonce"]).decode())
            """
        return try PythonReference.run(script, input: ["token": token, "nonce": nonce, "url": "https://relay.example.com/plivo/answer",
                                                       "params": parameters.map { [$0.0, $0.1] }])
    }

    static func post(_ client: some TestClientProtocol, signature: String?, nonce: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let signature { headers[HTTPField.Name(PlivoSignature.signatureHeader)!] = signature }
        if let nonce { headers[HTTPField.Name(PlivoSignature.nonceHeader)!] = nonce }
        return try await client.execute(uri: "/plivo/answer", method: .post, headers: headers, body: ByteBuffer(string: form))
    }

    @Test func theAnswerIsTheStreamPlivosSDKWouldWrite() async throws {
        try await Self.server().makeApplication().test(.live) { client in
            let response = try await Self.post(client, signature: nil, nonce: nil)
            #expect(response.status == .ok)
            let xml = String(buffer: response.body)
            let stream = try #require(try XMLDocument(xmlString: xml).rootElement()?.elements(forName: "Stream").first)
            let url = stream.stringValue ?? ""
            #expect(url == "wss://relay.example.com/plivo/media-stream/fra/\(Self.callId)")
            let extraHeaders = stream.attribute(forName: "extraHeaders")?.stringValue ?? ""
            // Plivo allows only letters and digits in extraHeaders values.
            #expect(extraHeaders.split(separator: ",").allSatisfy { pair in
                pair.split(separator: "=").count == 2 && pair.allSatisfy { $0.isLetter || $0.isNumber || $0 == "=" }
            }, "\(extraHeaders)")
            #expect(extraHeaders.contains("tenant=4930555") && extraHeaders.contains("region=fra"))
            let reference = try PythonReference.run("""
                import json, sys
                from plivo import plivoxml
                d = json.load(sys.stdin)
                r = plivoxml.ResponseElement()
                r.add(plivoxml.StreamElement(d["url"], bidirectional=True, keepCallAlive=True,
                                             contentType="audio/x-l16;rate=16000", extraHeaders=d["headers"]))
                print(r.to_string())
                """, input: ["url": url, "headers": extraHeaders])
            let expected = try #require(try XMLDocument(xmlString: reference).rootElement()?.elements(forName: "Stream").first)
            #expect(stream.stringValue == expected.stringValue)
            let names = Set((expected.attributes ?? []).compactMap(\.name))
            #expect(Set((stream.attributes ?? []).compactMap(\.name)) == names)
            for name in names {
                #expect(stream.attribute(forName: name)?.stringValue == expected.attribute(forName: name)?.stringValue, "\(name)")
            }
        }
    }

    @Test func onlySignedFreshWebhooksAreTaken() async throws {
        try await Self.server(token: Self.token).makeApplication().test(.live) { client in
            let nonce = "31415926535"
            let signature = try Self.plivoSDKSignature(token: Self.token, nonce: nonce)
            let taken = try await Self.post(client, signature: signature, nonce: nonce)
            #expect(taken.status == .ok)
            // The ticketed stream URL: `.../<call id>/<22-character ticket>`.
            let xml = String(buffer: taken.body)
            let ticketed = xml.range(of: #"/plivo/media-stream/fra/\#(Self.callId)/[A-Za-z0-9_-]{22}</Stream>"#, options: .regularExpression)
            #expect(ticketed != nil, "\(xml)")

            let replayed = try await Self.post(client, signature: signature, nonce: nonce)
            #expect(replayed.status == .forbidden)
            #expect(String(buffer: replayed.body).contains("replayed"))
            let wrongKey = try Self.plivoSDKSignature(token: "another-auth-token", nonce: "27182818")
            for (signature, nonce) in [(wrongKey, "27182818"), (nil, nil), (signature, nil)] as [(String?, String?)] {
                let refused = try await Self.post(client, signature: signature, nonce: nonce)
                #expect(refused.status == .forbidden)
            }
        }
    }

    @Test func withoutATokenPlivoIsServedOnlyWhenAllowed() async throws {
        try await Self.server(token: nil, takesUnsigned: false).makeApplication().test(.live) { client in
            let response = try await Self.post(client, signature: nil, nonce: nil)
            #expect(response.status == .notFound)
        }
    }

    /// A whole call with signing on: the simulated Plivo signs its webhook and opens the ticketed
    /// stream; an upgrade to the same path without the ticket, or with another call's, is refused
    /// before any model session opens.
    @Test func aSignedCallStreamsOnlyAtItsTicketedPath() async throws {
        // Signed over the URL it is posted to, as the simulated Plivo reaches the relay directly.
        let app = Self.server(token: Self.token, publicHost: nil).makeApplication()
        try await app.test(.live) { client in
            let port = client.port!
            for path in ["/plivo/media-stream/fra/\(Self.callId)", "/plivo/media-stream/fra/\(Self.callId)/AAAAAAAAAAAAAAAAAAAAAA"] {
                let start = StreamStart(carrier: .plivo, callSid: Self.callId, streamSid: Self.callId, customParameters: [:])
                await #expect(throws: (any Error).self, "upgrade to \(path)") {
                    try await CallSimulator.stream(port: port, path: path, start: start, script: CallerScript([.quiet(frames: 5)]))
                }
            }
            var caller = CallSimulator(carrier: .plivo, relayURL: "http://127.0.0.1:\(port)", tail: .milliseconds(200),
                                       keyPresses: [("7", 300)], authToken: Self.token)
            caller.calledNumber = "+4930555"
            let voice = (0..<8000).map { Int16(6000 * sin(Double($0) * 2 * .pi * 180 / 8000)) } + [Int16](repeating: 0, count: 12000)
            let heard = try await caller.call(callerAudio: voice)
            #expect(heard.unexpectedMessages.isEmpty, "\(heard.unexpectedMessages)")
            #expect(heard.webhookRegion == "fra")
            #expect(heard.agentFrameTimesMs.count > 25, "the agent answered: \(heard.agentFrameTimesMs.count) frames")
            #expect(heard.marksEchoed > 0)
        }
    }
}
