import Foundation
import AsyncHTTPClient
import Crypto
import Logging
import NIOCore
import NIOPosix
import Server
import Wire

/// Plays a carrier (Twilio, Plivo, Telnyx or Vonage) against a relay: posts the incoming-call webhook as the
/// carrier signs it, opens the media stream the answer names, and runs a ``SimulatedCaller`` on
/// it: the caller's audio in real time (20 ms frames, as the carrier sends them), the agent's
/// audio played as the carrier would (each frame after the previous one; a clear drops what is
/// left), each mark echoed when that playback reaches it, and what the agent sent recorded with
/// its arrival times. `voice-relay dial` and the end-to-end tests use it.
public struct CallSimulator: Sendable {
    public var carrier: SimulatedCarrier
    public var relayURL: String
    /// Extra time to keep the call open after the caller's audio ends.
    public var tail: Duration
    /// The number called (Twilio's `To`): it names the tenant.
    public var calledNumber: String
    /// Keys the caller presses, and when (ms from the first caller frame).
    public var keyPresses: [(key: String, atMs: Int)]
    /// The account's auth token: with it the webhook (and Twilio's stream upgrade) is signed as
    /// the carrier signs it, so a relay that checks signatures takes the call.
    public var authToken: String?
    public var logger: Logger

    public init(carrier: SimulatedCarrier = .twilio, relayURL: String, tail: Duration = .seconds(3), calledNumber: String = "+15555550199",
                keyPresses: [(key: String, atMs: Int)] = [], authToken: String? = nil, logger: Logger = Logger(label: "dial")) {
        self.carrier = carrier
        self.relayURL = relayURL
        self.tail = tail
        self.calledNumber = calledNumber
        self.keyPresses = keyPresses
        self.authToken = authToken
        self.logger = logger
    }

    /// Runs one call; `callerAudio` is 8 kHz linear PCM. After the audio and the tail the caller
    /// stays on while the agent is still speaking (at most 30 s more), as a person would.
    /// `afterWebhook` runs between the webhook and the stream (Twilio itself takes a few hundred ms there).
    public func call(callerAudio: [Int16], afterWebhook: @Sendable () async throws -> Void = {}) async throws -> CallerRecording {
        let hex = { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }
        let (callSid, streamSid) = switch carrier {
        case .twilio: ("CA" + hex(), "MZ" + hex())
        case .plivo: (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        case .telnyx: ("v3:" + hex() + "-" + hex().prefix(12), UUID().uuidString.lowercased())
        case .vonage: (UUID().uuidString.lowercased(), "")
        }
        let (streamURL, parameters, audio) = switch carrier {
        case .plivo: try await plivoWebhook(callId: callSid)
        case .vonage: try await vonageWebhook(uuid: callSid)
        case .twilio, .telnyx: try await webhook(callSid: callSid)
        }
        try await afterWebhook()
        guard let stream = URL(string: streamURL), let relay = URL(string: relayURL), let relayHost = relay.host else {
            throw SimulatorError(description: "cannot open the stream \(streamURL) of relay \(relayURL)")
        }
        // Against a plain-HTTP relay (a local run), connect to that relay over plain WebSocket at the
        // TwiML's path: its host is the public one, which may not be reachable from here.
        var target = CallerConnection.Target(host: stream.host ?? relayHost, port: stream.port ?? 443, path: stream.path, tls: true)
        if relay.scheme == "http" { target = .init(host: relayHost, port: relay.port ?? 80, path: stream.path) }
        if let authToken, carrier == .twilio {
            // Twilio signs the stream URL the TwiML names, with no parameters.
            target.headers = [("X-Twilio-Signature", TwilioSignature(authToken: authToken).compute(url: streamURL))]
        }
        let steps = CallerScript.recording(callerAudio, keyPresses: keyPresses)
            + [.quiet(frames: tail.wholeMilliseconds / 20), .quietWhileAgentSpeaks(atMost: .seconds(30))]
        var recording = try await Self.stream(target, start: StreamStart(carrier: carrier, audio: audio, callSid: callSid,
                                                                                 streamSid: carrier == .vonage ? callSid : streamSid,
                                                                                 customParameters: parameters),
                                              script: CallerScript(steps, voice: { _, _ in [Float](repeating: 0, count: 160) }))
        recording.webhookRegion = parameters["region"]
        return recording
    }

    /// Opens a media stream at `host:port` `path` (no webhook: the relay must take streams it did
    /// not answer a webhook for, as in the tests) and plays `script` on it.
    public static func stream(host: String = "127.0.0.1", port: Int, path: String = "/media-stream", start: StreamStart,
                              script: CallerScript, markEcho: MarkEcho = .whenPlayed) async throws -> CallerRecording {
        try await stream(.init(host: host, port: port, path: path), start: start, script: script, markEcho: markEcho)
    }

    static func stream(_ target: CallerConnection.Target, start: StreamStart, script: CallerScript,
                       markEcho: MarkEcho = .whenPlayed) async throws -> CallerRecording {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let finished = loop.makePromise(of: CallerRecording.self)
        CallerConnection.open(target, on: loop, makeCaller: {
            SimulatedCaller(start: start, script: script, markEcho: markEcho, finished: finished)
        }, failed: { finished.fail($0) }).whenFailure { finished.fail($0) }
        return try await finished.futureResult.get()
    }

    /// Twilio's webhook (`/twiml`), or Telnyx's TeXML one (`/telnyx/texml`, the same form signed
    /// with Telnyx's Ed25519 key: ``authToken`` is then the base64 private key); returns the
    /// `<Stream url>` and its `<Parameter>`s.
    private func webhook(callSid: String) async throws -> (String, [String: String], CallerAudioFormat) {
        let path = carrier == .telnyx ? "telnyx/texml" : "twiml"
        var request = HTTPClientRequest(url: relayURL.hasSuffix("/") ? relayURL + path : relayURL + "/" + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let to = calledNumber.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let sid = callSid.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let body = "CallSid=\(sid)&AccountSid=ACsimulated&From=%2B15555550100&To=\(to)&CallStatus=ringing"
        request.body = .bytes(ByteBuffer(string: body))
        if let authToken, carrier == .telnyx {
            guard let seed = Data(base64Encoded: authToken), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
                throw SimulatorError(description: "a Telnyx signing key is 32 bytes, base64")
            }
            let signed = try TelnyxSignature.sign(body: Data(body.utf8), with: key)
            request.headers.add(name: TelnyxSignature.signatureHeader, value: signed.signature)
            request.headers.add(name: TelnyxSignature.timestampHeader, value: signed.timestamp)
        } else if let authToken {
            // The relay sits behind TLS in production and checks the https URL Twilio was given.
            let parameters = [("CallSid", callSid), ("AccountSid", "ACsimulated"), ("From", "+15555550100"), ("To", calledNumber),
                              ("CallStatus", "ringing")]
            let signedURL = "https://" + request.url.drop { $0 != ":" }.dropFirst(3)
            request.headers.add(name: "X-Twilio-Signature",
                                value: TwilioSignature(authToken: authToken).compute(url: signedURL, parameters: parameters.map { (name: $0.0, value: $0.1) }))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw SimulatorError(description: "webhook answered \(response.status.code)")
        }
        let xml = String(buffer: answer)
        guard let streamURL = Self.attribute("url", of: "Stream", in: xml) else {
            throw SimulatorError(description: "the answer has no <Stream url>")
        }
        if carrier == .telnyx, Self.attribute("bidirectionalMode", of: "Stream", in: xml) != "rtp" {
            throw SimulatorError(description: "the <Stream> is not bidirectional RTP")
        }
        var parameters: [String: String] = [:]
        for element in xml.components(separatedBy: "<Parameter ").dropFirst() {
            if let name = Self.attribute("name", in: element), let value = Self.attribute("value", in: element) { parameters[name] = value }
        }
        return (streamURL, parameters, CallerAudioFormat(answer: xml))
    }

    /// Plivo's answer URL, posted and signed as Plivo does; returns the `<Stream>`'s URL and extraHeaders.
    private func plivoWebhook(callId: String) async throws -> (String, [String: String], CallerAudioFormat) {
        var request = HTTPClientRequest(url: relayURL.hasSuffix("/") ? relayURL + "plivo/answer" : relayURL + "/plivo/answer")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let to = String(calledNumber.drop { $0 == "+" })
        let parameters = [("CallUUID", callId), ("From", "15555550100"), ("To", to), ("Direction", "inbound"), ("CallStatus", "ringing"),
                          ("Event", "StartApp")]
        request.body = .bytes(ByteBuffer(string: parameters.map { "\($0.0)=\($0.1)" }.joined(separator: "&")))
        if let authToken {
            let nonce = String(UInt64.random(in: 1...UInt64.max))
            let signedURL = "https://" + request.url.drop { $0 != ":" }.dropFirst(3)
            request.headers.add(name: PlivoSignature.signatureHeader,
                                value: PlivoSignature(authToken: authToken).compute(method: "POST", url: signedURL,
                                                                                    parameters: parameters.map { (name: $0.0, value: $0.1) }, nonce: nonce))
            request.headers.add(name: PlivoSignature.nonceHeader, value: nonce)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw SimulatorError(description: "webhook answered \(response.status.code)") }
        let xml = String(buffer: body)
        guard let open = xml.range(of: "<Stream "), let close = xml.range(of: "</Stream>"),
              let textStart = xml[open.upperBound...].firstIndex(of: ">"), textStart < close.lowerBound else {
            throw SimulatorError(description: "the answer has no <Stream>")
        }
        guard Self.attribute("bidirectional", of: "Stream", in: xml) == "true" else {
            throw SimulatorError(description: "the <Stream> is not bidirectional")
        }
        let url = String(xml[xml.index(after: textStart)..<close.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
        var headers: [String: String] = [:]
        for pair in (Self.attribute("extraHeaders", of: "Stream", in: xml) ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { headers[String(parts[0])] = String(parts[1]) }
        }
        return (url, headers, CallerAudioFormat(answer: xml))
    }

    /// Vonage's answer URL, fetched as Vonage does by default (a GET, the call in its query) and
    /// signed with a JWT under the signature secret (``authToken``); returns the NCCO's WebSocket
    /// URI and headers.
    private func vonageWebhook(uuid: String) async throws -> (String, [String: String], CallerAudioFormat) {
        let digits = { (number: String) in String(number.drop { $0 == "+" }) }
        let query = "to=\(digits(calledNumber))&from=15555550100&uuid=\(uuid)&conversation_uuid=CON-\(uuid)"
        var request = HTTPClientRequest(url: (relayURL.hasSuffix("/") ? relayURL : relayURL + "/") + "vonage/answer?" + query)
        if let authToken {
            let token = VonageSignedWebhook(signatureSecret: authToken).sign(body: Data(), applicationID: "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab")
            request.headers.add(name: "Authorization", value: token)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw SimulatorError(description: "webhook answered \(response.status.code)") }
        let json = String(buffer: body)
        guard let ncco = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
              let connect = ncco.first(where: { $0["action"] as? String == "connect" }),
              let endpoint = (connect["endpoint"] as? [[String: Any]])?.first, endpoint["type"] as? String == "websocket",
              let uri = endpoint["uri"] as? String else {
            throw SimulatorError(description: "the NCCO has no connect to a websocket")
        }
        return (uri, endpoint["headers"] as? [String: String] ?? [:], CallerAudioFormat(answer: json))
    }

    static func attribute(_ name: String, of element: String? = nil, in xml: String) -> String? {
        var scope = Substring(xml)
        if let element, let range = xml.range(of: "<\(element) ") { scope = xml[range.upperBound...] }
        guard let start = scope.range(of: "\(name)=\"") else { return nil }
        let rest = scope[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end]).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    struct SimulatorError: Error, CustomStringConvertible { let description: String }
}
