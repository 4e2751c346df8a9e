import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Hummingbird
import HummingbirdTesting
import Server
import TestFixtures
import Testing
import Wire
import Simulators

@Suite struct TwilioWebhookTests {
    static func server(token: String? = nil) -> RelayServer {
        RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.example.com", twilioAuthToken: token,
                                         region: "fra"),
                    model: LocalAgent())
    }

    static let form = "CallSid=CA0123456789abcdef0123456789abcdef&AccountSid=AC1&From=%2B14155550100&To=%2B4930555&CallStatus=ringing"

    @Test func webhookAnswersWithAConnectStreamToThePublicHost() async throws {
        try await Self.server().makeApplication().test(.live) { client in
            for path in ["/twiml", "/incoming-call"] {
                let response = try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                        body: ByteBuffer(string: Self.form))
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/xml") == true)
                let xml = String(buffer: response.body)
                #expect(xml.contains(#"<Stream url="wss://relay.example.com/media-stream/fra/CA0123456789abcdef0123456789abcdef">"#))
                #expect(xml.contains(#"<Parameter name="callSid" value="CA0123456789abcdef0123456789abcdef"/>"#))
                #expect(xml.contains(#"<Parameter name="tenant" value="+4930555"/>"#))
                #expect(xml.contains(#"<Parameter name="region" value="fra"/>"#))
                // Well-formed XML.
                #expect(try XMLDocument(xmlString: xml).rootElement()?.name == "Response")
            }
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }

    @Test func twiMLEscapesWhatItEmbeds() throws {
        let xml = TwiML.connectStream(url: "wss://a.example/media-stream", parameters: [("tenant", #"<&"'>"#)])
        #expect(xml.contains(#"value="&lt;&amp;&quot;&apos;&gt;""#))
        #expect(try XMLDocument(xmlString: xml).rootElement() != nil)
    }

    /// Reference signatures from Twilio's own Python library (`twilio` on PyPI).
    static func twilioLibrarySignature(token: String, url: String, parameters: [(String, String)]) throws -> String {
        let script = """
            import json, sys
            from twilio.request_validator import RequestValidator
            data = json.load(sys.stdin)
            print(RequestValidator(data["token"]).compute_signature(data["url"], dict(data["params"])))
            """
        return try PythonReference.run(script, input: ["token": token, "url": url, "params": parameters.map { [$0.0, $0.1] }])
    }

    @Test func signaturesMatchTwilioReferenceImplementation() throws {
        let token = "12345678901234567890123456789012"
        let cases: [(String, [(String, String)])] = [
            ("https://relay.example.com/twiml", [("CallSid", "CA1"), ("From", "+14155550100"), ("To", "+4930555"), ("AccountSid", "AC9")]),
            ("https://relay.example.com/incoming-call?tenant=acme", [("Digits", "1234"), ("Body", "héllo & goodbye")]),
            ("wss://relay.example.com/media-stream", []),
        ]
        let signer = TwilioSignature(authToken: token)
        for (url, parameters) in cases {
            let reference = try Self.twilioLibrarySignature(token: token, url: url, parameters: parameters)
            let ours = signer.compute(url: url, parameters: parameters.map { (name: $0.0, value: $0.1) })
            #expect(ours == reference, "\(url)")
            #expect(signer.isValid(reference, url: url, parameters: parameters.map { (name: $0.0, value: $0.1) }))
            #expect(!signer.isValid(reference, url: url + "x", parameters: parameters.map { (name: $0.0, value: $0.1) }))
        }
    }

    @Test func withAnAuthTokenUnsignedRequestsAreRefused() async throws {
        let token = "secret-token"
        let signer = TwilioSignature(authToken: token)
        try await Self.server(token: token).makeApplication().test(.live) { client in
            let unsigned = try await client.execute(uri: "/twiml", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                    body: ByteBuffer(string: Self.form))
            #expect(unsigned.status == .forbidden)
            #expect(!String(buffer: unsigned.body).contains("<Response>"))

            let parameters = FormPairs.parse(Self.form)
            let good = signer.compute(url: "https://relay.example.com/twiml", parameters: parameters)
            let signed = try await client.execute(uri: "/twiml", method: .post,
                                                  headers: [.contentType: "application/x-www-form-urlencoded", .init("X-Twilio-Signature")!: good],
                                                  body: ByteBuffer(string: Self.form))
            #expect(signed.status == .ok)

            let wrong = try await client.execute(uri: "/twiml", method: .post,
                                                 headers: [.contentType: "application/x-www-form-urlencoded", .init("X-Twilio-Signature")!: good],
                                                 body: ByteBuffer(string: Self.form + "&Extra=1"))
            #expect(wrong.status == .forbidden)

            let getWithoutSignature = try await client.execute(uri: "/media-stream", method: .get)
            #expect(getWithoutSignature.status == .forbidden)
            let port = try #require(client.port)
            let upgradeWithoutSignature = try await RawHTTP.exchange(port: port, RawHTTP.upgrade("/media-stream/fra"))
            #expect(upgradeWithoutSignature.status == 403)
            let signedUpgrade = signer.compute(url: "wss://relay.example.com/media-stream/fra", parameters: [])
            let accepted = try await RawHTTP.exchange(port: port, RawHTTP.upgrade("/media-stream/fra", headers: ["X-Twilio-Signature: \(signedUpgrade)"]))
            #expect(accepted.status == 101)
        }
    }

    /// `dial` signs its webhook and stream as Twilio does when given the token, so a relay that
    /// checks signatures takes its call; unsigned, the relay refuses it at the webhook.
    @Test func theCallSimulatorSignsLikeTwilio() async throws {
        let token = "0123456789abcdef0123456789abcdef"
        let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, twilioAuthToken: token), model: LocalAgent())
        try await relay.makeApplication().test(.live) { client in
            let caller = (0..<100).flatMap { index in SyntheticVoice.frame(index, voiced: index >= 25 && index < 75).map { Int16($0 * 32767) } }
            let url = "http://127.0.0.1:\(client.port!)"
            let signed = try await CallSimulator(relayURL: url, tail: .seconds(2), authToken: token).call(callerAudio: caller)
            #expect(signed.closeReason == nil || signed.closeReason == "")
            #expect(signed.agentFrameTimesMs.count > 20, "\(signed.agentFrameTimesMs.count) agent frames")
            await #expect(throws: (any Error).self) {
                _ = try await CallSimulator(relayURL: url, tail: .seconds(1)).call(callerAudio: caller)
            }
            await #expect(throws: (any Error).self) {
                _ = try await CallSimulator(relayURL: url, tail: .seconds(1), authToken: "wrong" + token.dropFirst(5)).call(callerAudio: caller)
            }
        }
    }
}

enum FormPairs {
    static func parse(_ body: String) -> [(name: String, value: String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }
}
