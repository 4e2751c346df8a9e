import Crypto
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

/// Telnyx's TeXML webhook and its stream: a bidirectional RTP `<Stream>` back here, webhooks
/// signed by PyNaCl (the Ed25519 library Telnyx's SDK verifies with) taken, wrongly signed,
/// stale and unsigned ones refused, and a stream that opens only at its ticketed URL.
@Suite struct TelnyxWebhookTests {
    static let key = Curve25519.Signing.PrivateKey()
    static var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }
    static let callSid = "v3:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ"
    static var form: String {
        "CallSid=\(callSid.replacingOccurrences(of: ":", with: "%3A"))&AccountSid=3E6F995F&From=%2B13122010094&To=%2B4930555&CallStatus=ringing"
    }

    static func server(publicKey: String? = nil, publicHost: String? = "relay.example.com") -> RelayServer {
        RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: publicHost, telnyxPublicKey: publicKey, region: "fra"),
                    model: LocalAgent())
    }

    /// `telnyx-signature-ed25519` over `timestamp|body`, by PyNaCl.
    static func naclSignature(seed: Data, timestamp: String) throws -> String {
        try PythonReference.run("""
            import json, sys, base64
            from nacl.signing import SigningKey
            d = json.load(sys.stdin)
            k = SigningKey(base64.b64decode(d["seed"]))
            print(base64.b64encode(k.sign((d["timestamp"] + "|" + d["body"]).encode()).signature).decode())
            """, input: ["seed": seed.base64EncodedString(), "timestamp": timestamp, "body": form])
    }

    static func post(_ client: some TestClientProtocol, signature: String?, timestamp: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let signature { headers[HTTPField.Name(TelnyxSignature.signatureHeader)!] = signature }
        if let timestamp { headers[HTTPField.Name(TelnyxSignature.timestampHeader)!] = timestamp }
        return try await client.execute(uri: "/telnyx/texml", method: .post, headers: headers, body: ByteBuffer(string: form))
    }

    @Test func theAnswerConnectsABidirectionalRTPStream() async throws {
        try await Self.server().makeApplication().test(.live) { client in
            let response = try await Self.post(client, signature: nil, timestamp: nil)
            #expect(response.status == .ok)
            let root = try #require(try XMLDocument(xmlString: String(buffer: response.body)).rootElement())
            let stream = try #require(root.elements(forName: "Connect").first?.elements(forName: "Stream").first)
            #expect(stream.attribute(forName: "url")?.stringValue == "wss://relay.example.com/telnyx/media-stream/fra/\(Self.callSid)")
            #expect(stream.attribute(forName: "bidirectionalMode")?.stringValue == "rtp")
            #expect(stream.attribute(forName: "bidirectionalCodec")?.stringValue == "PCMU")
            let parameters = Dictionary(uniqueKeysWithValues: stream.elements(forName: "Parameter").compactMap { element in
                element.attribute(forName: "name")?.stringValue.map { ($0, element.attribute(forName: "value")?.stringValue ?? "") }
            })
            #expect(parameters["callSid"] == Self.callSid && parameters["tenant"] == "+4930555" && parameters["region"] == "fra")
        }
    }

    @Test func onlyFreshWebhooksSignedWithTheAccountsKeyAreTaken() async throws {
        try await Self.server(publicKey: Self.publicKey).makeApplication().test(.live) { client in
            let now = String(Int(Date().timeIntervalSince1970))
            let signature = try Self.naclSignature(seed: Self.key.rawRepresentation, timestamp: now)
            let taken = try await Self.post(client, signature: signature, timestamp: now)
            #expect(taken.status == .ok)
            let ticketed = String(buffer: taken.body).range(of: #"/telnyx/media-stream/fra/v3:[A-Za-z0-9_-]+/[A-Za-z0-9_-]{22}""#,
                                                             options: .regularExpression)
            #expect(ticketed != nil, "\(String(buffer: taken.body))")

            let stale = String(Int(Date().timeIntervalSince1970) - 600)
            let staleSignature = try Self.naclSignature(seed: Self.key.rawRepresentation, timestamp: stale)
            let otherKey = try Self.naclSignature(seed: Curve25519.Signing.PrivateKey().rawRepresentation, timestamp: now)
            for (signature, timestamp) in [(staleSignature, stale), (otherKey, now), (signature, nil), (nil, now)] as [(String?, String?)] {
                let refused = try await Self.post(client, signature: signature, timestamp: timestamp)
                #expect(refused.status == .forbidden, "signature \(signature ?? "none") at \(timestamp ?? "no time")")
            }
        }
    }

    /// A whole signed call: the simulated Telnyx signs its webhook with the account's private key
    /// and opens the ticketed stream; the same path without its ticket is refused.
    @Test func aSignedCallStreamsOnlyAtItsTicketedPath() async throws {
        try await Self.server(publicKey: Self.publicKey, publicHost: nil).makeApplication().test(.live) { client in
            let port = client.port!
            let start = StreamStart(carrier: .telnyx, callSid: Self.callSid, streamSid: "32de0dea-53cb-4b21-89a4-9e1819c043bc")
            await #expect(throws: (any Error).self) {
                try await CallSimulator.stream(port: port, path: "/telnyx/media-stream/fra/\(Self.callSid)", start: start,
                                               script: CallerScript([.quiet(frames: 5)]))
            }
            var caller = CallSimulator(carrier: .telnyx, relayURL: "http://127.0.0.1:\(port)", tail: .milliseconds(200),
                                       keyPresses: [("7", 300)], authToken: Self.key.rawRepresentation.base64EncodedString())
            caller.calledNumber = "+4930555"
            let voice = (0..<8000).map { Int16(6000 * sin(Double($0) * 2 * .pi * 180 / 8000)) } + [Int16](repeating: 0, count: 12000)
            let heard = try await caller.call(callerAudio: voice)
            #expect(heard.unexpectedMessages.isEmpty, "\(heard.unexpectedMessages)")
            #expect(heard.webhookRegion == "fra")
            #expect(heard.agentFrameTimesMs.count > 25, "the agent answered: \(heard.agentFrameTimesMs.count) frames")
            #expect(heard.marksEchoed > 0)
        }
    }

    /// With `TELNYX_CODEC=L16` the answer asks for 16 kHz L16, and a call streams 640-byte frames
    /// of network-order PCM both ways.
    @Test func aWidebandCallStreamsL16AtSixteenKilohertz() async throws {
        let heard = try await Self.call(codec: "L16")
        #expect(Set(heard.agentFrameBytes) == [640])
        let attributes = TelnyxWebhook.streamAttributes(codec: "L16")
        #expect(attributes.contains { $0.name == "bidirectionalSamplingRate" && $0.value == "16000" })
    }

    /// With `TELNYX_CODEC=OPUS` the answer asks for Opus at 16 kHz, the caller's packets reach the
    /// model and the agent answers in Opus packets that decode to its voice.
    @Test func anOpusCallStreamsOpusBothWays() async throws {
        let heard = try await Self.call(codec: "OPUS")
        #expect(heard.agentFrameBytes.allSatisfy { (1...320).contains($0) } && Set(heard.agentFrameBytes) != [640])
        let level = (heard.agentAudio.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(heard.agentAudio.count, 1))).squareRoot()
        #expect(level > 300, "the agent's Opus decoded to audio (rms \(level))")
        let attributes = TelnyxWebhook.streamAttributes(codec: "OPUS")
        #expect(attributes.contains { $0.name == "bidirectionalSamplingRate" && $0.value == "16000" })
    }

    /// A second of the caller's tone and the agent's answer, through a relay streaming `codec`.
    static func call(codec: String) async throws -> CallerRecording {
        let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, telnyxCodec: codec, region: "fra"), model: LocalAgent())
        return try await relay.makeApplication().test(.live) { client in
            let caller = CallSimulator(carrier: .telnyx, relayURL: "http://127.0.0.1:\(client.port!)", tail: .milliseconds(200))
            let voice = (0..<8000).map { Int16(6000 * sin(Double($0) * 2 * .pi * 180 / 8000)) } + [Int16](repeating: 0, count: 12000)
            let heard = try await caller.call(callerAudio: voice)
            #expect(heard.unexpectedMessages.isEmpty, "\(heard.unexpectedMessages)")
            #expect(heard.agentFrameTimesMs.count > 25, "the agent answered: \(heard.agentFrameTimesMs.count) frames")
            return heard
        }
    }
}
