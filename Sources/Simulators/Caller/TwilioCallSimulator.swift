import AudioPipeline
import Codecs
import Foundation
import AsyncHTTPClient
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import Server
import Wire

/// Plays Twilio against a relay: posts the incoming-call webhook, opens the media stream the
/// TwiML names, streams the caller's audio in real time (20 ms frames, as Twilio does), plays the
/// agent's audio as Twilio would (each frame after the previous one; `clear` drops what is left),
/// echoes each mark when that playback reaches it (at once when `clear` discards it), and records
/// what the agent sends back with its arrival times. `voice-relay dial` and the end-to-end tests use it.
public struct TwilioCallSimulator: Sendable {
    public struct Result: Sendable {
        /// The agent's audio as the caller would hear it, 8 kHz, on the call's timeline
        /// (silence where nothing arrived).
        public var agentAudio: [Int16]
        /// When each agent frame arrived, ms from the first caller frame.
        public var agentFrameTimesMs: [Double]
        public var marksEchoed: Int
        /// When each `clear` arrived, ms from the first caller frame.
        public var clearTimesMs: [Double]
        public var closeReason: String?
        public var callSid: String = ""
        /// The region that answered the webhook (its TwiML's `region` parameter).
        public var webhookRegion: String?
    }

    public var relayURL: String
    /// Extra time to keep the call open after the caller's audio ends.
    public var tail: Duration
    /// The number called (Twilio's `To`): it names the tenant.
    public var calledNumber: String
    /// Keys the caller presses, and when (ms from the first caller frame).
    public var keyPresses: [(key: String, atMs: Int)]
    /// The account's auth token: with it the webhook and the stream upgrade carry an
    /// `X-Twilio-Signature`, as Twilio's do, so a relay that checks them takes the call.
    public var authToken: String?
    public var logger: Logger

    public init(relayURL: String, tail: Duration = .seconds(3), calledNumber: String = "+15555550199",
                keyPresses: [(key: String, atMs: Int)] = [], authToken: String? = nil, logger: Logger = Logger(label: "dial")) {
        self.relayURL = relayURL
        self.tail = tail
        self.calledNumber = calledNumber
        self.keyPresses = keyPresses
        self.authToken = authToken
        self.logger = logger
    }

    /// Runs one call; `callerAudio` is 8 kHz linear PCM. `afterWebhook` runs between the webhook
    /// and the stream (Twilio itself takes a few hundred ms there).
    public func call(callerAudio: [Int16], afterWebhook: @Sendable () async throws -> Void = {}) async throws -> Result {
        let callSid = "CA" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let streamSid = "MZ" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let (streamURL, parameters) = try await webhook(callSid: callSid)
        try await afterWebhook()
        // Against a plain-HTTP relay (a local run), connect to that relay over plain WebSocket at the
        // TwiML's path: its host is the public one, which may not be reachable from here.
        var webSocketURL = streamURL
        if relayURL.hasPrefix("http://"), let stream = URL(string: streamURL), let relay = URL(string: relayURL), let host = relay.host {
            webSocketURL = "ws://\(host)\(relay.port.map { ":\($0)" } ?? "")\(stream.path)"
        }
        let frames = stride(from: 0, to: callerAudio.count, by: 160).map { start -> String in
            var codes = [UInt8](repeating: 0xFF, count: 160)
            let end = min(start + 160, callerAudio.count)
            callerAudio[start..<end].withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
            return Data(codes).base64EncodedString()
        }
        let recorder = Recorder()
        let tailFrames = tail.wholeMilliseconds / 20
        let parametersJSON = String(decoding: try JSONSerialization.data(withJSONObject: parameters), as: UTF8.self)
        let silence = Data(repeating: 0xFF, count: 160).base64EncodedString()
        var upgradeHeaders = HTTPFields()
        if let authToken {
            // Twilio signs the stream URL the TwiML names, with no parameters.
            upgradeHeaders[HTTPField.Name("X-Twilio-Signature")!] = TwilioSignature(authToken: authToken).compute(url: streamURL)
        }
        let keys = keyPresses.sorted { $0.atMs < $1.atMs }
        let close = try await WebSocketClient.connect(url: webSocketURL, configuration: .init(additionalHeaders: upgradeHeaders),
                                                      logger: logger) { inbound, outbound, _ in
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await outbound.write(.text(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#))
                    try await outbound.write(.text(#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"ACsimulated","streamSid":"\#(streamSid)","callSid":"\#(callSid)","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":\#(parametersJSON)},"streamSid":"\#(streamSid)"}"#))
                    var deadline = start
                    var index = 0
                    var keys = keys[...]
                    // The caller's audio, the tail, then as long as the agent is still speaking
                    // (at most 30 s more): a reply is heard to its end, as a person would.
                    let longestEnd = frames.count + tailFrames + 1500
                    while index < frames.count + tailFrames
                        || (index < longestEnd && recorder.agentIsSpeaking(atMs: (ContinuousClock.now - start).fractionalMilliseconds)) {
                        // Like a phone: a frame leaves once its 20 ms have been captured.
                        deadline = deadline.advanced(by: .milliseconds(20))
                        try await Task.sleep(until: deadline, clock: .continuous)
                        while let press = keys.first, press.atMs <= index * 20 {
                            keys.removeFirst()
                            try await outbound.write(.text(#"{"event":"dtmf","streamSid":"\#(streamSid)","sequenceNumber":"\#(index + 2)","dtmf":{"track":"inbound_track","digit":"\#(press.key)"}}"#))
                        }
                        let payload = index < frames.count ? frames[index] : silence
                        try await outbound.write(.text(#"{"event":"media","sequenceNumber":"\#(index + 2)","media":{"track":"inbound","chunk":"\#(index + 1)","timestamp":"\#(index * 20)","payload":"\#(payload)"},"streamSid":"\#(streamSid)"}"#))
                        index += 1
                    }
                    try await outbound.write(.text(#"{"event":"stop","sequenceNumber":"\#(index + 2)","stop":{"accountSid":"ACsimulated","callSid":"\#(callSid)"},"streamSid":"\#(streamSid)"}"#))
                }
                group.addTask {
                    var iterator = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                    while let message = try await iterator.next() {
                        guard case .text(let text) = message,
                              let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
                        let atMs = (ContinuousClock.now - start).fractionalMilliseconds
                        switch json["event"] as? String {
                        case "media":
                            guard let payload = (json["media"] as? [String: Any])?["payload"] as? String,
                                  let bytes = Data(base64Encoded: payload) else { continue }
                            recorder.media(Array(bytes), atMs: atMs)
                        case "mark":
                            guard let name = (json["mark"] as? [String: Any])?["name"] as? String else { continue }
                            recorder.mark(name, atMs: atMs)
                        case "clear":
                            recorder.clear(atMs: atMs)
                        default:
                            continue
                        }
                    }
                }
                group.addTask {
                    // Echo each mark once playback has reached it; 5 ms is finer than a frame.
                    while true {
                        try await Task.sleep(for: .milliseconds(5))
                        let nowMs = (ContinuousClock.now - start).fractionalMilliseconds
                        for name in recorder.marksPlayed(byMs: nowMs) {
                            // The relay may have ended the stream meanwhile; the reader sees that.
                            try? await outbound.write(.text(#"{"event":"mark","sequenceNumber":"0","streamSid":"\#(streamSid)","mark":{"name":"\#(name)"}}"#))
                        }
                    }
                }
                try await group.next()
                try await Task.sleep(for: .milliseconds(200))
                group.cancelAll()
            }
        }
        var result = recorder.result()
        result.closeReason = close?.reason
        result.callSid = callSid
        result.webhookRegion = parameters["region"]
        return result
    }

    private func webhook(callSid: String) async throws -> (String, [String: String]) {
        var request = HTTPClientRequest(url: relayURL.hasSuffix("/") ? relayURL + "twiml" : relayURL + "/twiml")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let to = calledNumber.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        request.body = .bytes(ByteBuffer(string: "CallSid=\(callSid)&AccountSid=ACsimulated&From=%2B15555550100&To=\(to)&CallStatus=ringing"))
        if let authToken {
            // The relay sits behind TLS in production and checks the https URL Twilio was given.
            let parameters = [("CallSid", callSid), ("AccountSid", "ACsimulated"), ("From", "+15555550100"), ("To", calledNumber),
                              ("CallStatus", "ringing")]
            let signedURL = "https://" + request.url.drop { $0 != ":" }.dropFirst(3)
            request.headers.add(name: "X-Twilio-Signature",
                                value: TwilioSignature(authToken: authToken).compute(url: signedURL, parameters: parameters.map { (name: $0.0, value: $0.1) }))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw SimulatorError(description: "webhook answered \(response.status.code)")
        }
        let xml = String(buffer: body)
        guard let streamURL = Self.attribute("url", of: "Stream", in: xml) else {
            throw SimulatorError(description: "the TwiML has no <Stream url>")
        }
        var parameters: [String: String] = [:]
        for element in xml.components(separatedBy: "<Parameter ").dropFirst() {
            if let name = Self.attribute("name", in: element), let value = Self.attribute("value", in: element) { parameters[name] = value }
        }
        return (streamURL, parameters)
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

    final class Recorder: Sendable {
        private struct State {
            var result = Result(agentAudio: [], agentFrameTimesMs: [], marksEchoed: 0, clearTimesMs: [], closeReason: nil)
            /// Marks not yet echoed, with when playback reaches them (ms on the call's timeline).
            var pendingMarks: [(name: String, playedAtMs: Double)] = []
            /// The agent's audio on the call's timeline, in samples, is also Twilio's playback
            /// queue: it ends where the last frame sent so far finishes playing.
            var playbackEndMs: Double { Double(result.agentAudio.count) / 8 }
        }
        private let state = Mutex(State())

        func media(_ codes: [UInt8], atMs: Double) {
            var linear = [Int16](repeating: 0, count: codes.count)
            codes.withUnsafeBufferPointer { input in linear.withUnsafeMutableBufferPointer { MuLaw.decode(input, into: $0) } }
            state.withLock { state in
                // Place the frame where the caller hears it: after what was already queued, or now.
                let arrivalSample = Int(atMs * 8)
                if state.result.agentAudio.count < arrivalSample {
                    state.result.agentAudio += [Int16](repeating: 0, count: arrivalSample - state.result.agentAudio.count)
                }
                state.result.agentAudio += linear
                state.result.agentFrameTimesMs.append(atMs)
            }
        }

        func mark(_ name: String, atMs: Double) {
            state.withLock { $0.pendingMarks.append((name, max(atMs, $0.playbackEndMs))) }
        }

        /// Takes the marks playback has reached by `byMs`, in order, counting them as echoed.
        func marksPlayed(byMs: Double) -> [String] {
            state.withLock { state in
                let count = state.pendingMarks.prefix { $0.playedAtMs <= byMs }.count
                guard count > 0 else { return [] }
                let names = state.pendingMarks.prefix(count).map(\.name)
                state.pendingMarks.removeFirst(count)
                state.result.marksEchoed += count
                return names
            }
        }

        /// Twilio drops the audio it still holds and echoes the pending marks at once.
        func clear(atMs: Double) {
            state.withLock { state in
                state.result.clearTimesMs.append(atMs)
                state.result.agentAudio.removeLast(max(0, state.result.agentAudio.count - Int(atMs * 8)))
                for index in state.pendingMarks.indices { state.pendingMarks[index].playedAtMs = atMs }
            }
        }

        func result() -> Result { state.withLock { $0.result } }

        /// Whether agent audio arrived in the last half second or is still queued to play.
        func agentIsSpeaking(atMs nowMs: Double) -> Bool {
            state.withLock { state in
                guard let last = state.result.agentFrameTimesMs.last else { return false }
                return nowMs - last < 500 || state.playbackEndMs > nowMs
            }
        }
    }
}
