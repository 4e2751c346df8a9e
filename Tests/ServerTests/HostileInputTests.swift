import CallRecords
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Server
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bad peers on real sockets while a good call runs: each gets a clear close code or HTTP status,
/// and the good call loses nothing.
@Suite(.serialized) struct HostileInputTests {
    /// The relay's handshake, start and idle timeouts. Short enough to keep the test quick, long
    /// enough that a debug build sharing two cores with every other suite (`swift test` in
    /// parallel) still gets each peer's messages in before they pass: at 1 s, every hostile peer
    /// there was closed for "no start" before its own fault was seen.
    static let timeout = Duration.seconds(3)

    static func relay(recorder: RecordWriter, maximumConnections: Int? = nil, handshakeTimeout: Duration = timeout) -> RelayServer {
        RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test", region: "test", maximumMessageBytes: 4096,
                                         maximumConnections: maximumConnections, handshakeTimeout: handshakeTimeout,
                                         startTimeout: timeout, idleTimeout: timeout),
                    model: LocalAgent(), recorder: recorder)
    }

    static func start(_ sid: String, call: String) -> String {
        #"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"\#(sid)","callSid":"\#(call)","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{}},"streamSid":"\#(sid)"}"#
    }

    static func media(_ sid: String, chunk: UInt64, payload: String = String(repeating: "/", count: 212) + "/w==") -> String {
        #"{"event":"media","sequenceNumber":"\#(chunk + 1)","media":{"track":"inbound","chunk":"\#(chunk)","timestamp":"\#(chunk % 1000 * 20)","payload":"\#(payload)"},"streamSid":"\#(sid)"}"#
    }

    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var messages: [WebSocketOutboundWriter.OutboundFrame]
        /// Expected close code, and a phrase of the reason (nil: any reason).
        var code: WebSocketErrorCode
        var reason: String?
        /// Where the peer connects: Twilio's stream path, or another carrier's.
        var path = "/media-stream"
    }

    static let cases: [Case] = {
        let sid = "MZ00000000000000000000000000000009"
        let stop = #"{"event":"stop","sequenceNumber":"9","streamSid":"\#(sid)","stop":{"accountSid":"AC1","callSid":"CAh"}}"#
        return [
            Case(description: "malformed JSON", messages: [.text(#"{"event":"media""#)], code: .policyViolation, reason: nil),
            Case(description: "media before start", messages: [.text(media(sid, chunk: 1))], code: .policyViolation, reason: "media before start"),
            Case(description: "invalid base64", messages: [.text(start(sid, call: "CAh1")), .text(media(sid, chunk: 1, payload: "!!!!"))],
                 code: .policyViolation, reason: "media payload"),
            Case(description: "wrong payload size", messages: [.text(start(sid, call: "CAh2")), .text(media(sid, chunk: 1, payload: "AAAA"))],
                 code: .policyViolation, reason: "expected 160"),
            Case(description: "wrong streamSid", messages: [.text(start(sid, call: "CAh3")), .text(media("MZ" + String(repeating: "7", count: 32), chunk: 1))],
                 code: .policyViolation, reason: "streamSid"),
            Case(description: "binary frame", messages: [.binary(ByteBuffer(bytes: [1, 2, 3]))], code: .unacceptableData, reason: "binary"),
            Case(description: "oversized frame", messages: [.text(String(repeating: " ", count: 8192))], code: .messageTooLarge, reason: nil),
            Case(description: "no start", messages: [.text(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)],
                 code: .policyViolation, reason: "no start within"),
            Case(description: "silence after start", messages: [.text(start(sid, call: "CAh4"))], code: .policyViolation, reason: "no message for"),
            // Tolerated: an unknown event is logged, and an absurd sequence jump resynchronises the
            // jitter buffer instead of concealing billions of frames; both streams end normally.
            Case(description: "unknown event", messages: [.text(start(sid, call: "CAh5")), .text(#"{"event":"bogus","streamSid":"\#(sid)"}"#),
                                                          .text(media(sid, chunk: 1)), .text(stop)], code: .normalClosure, reason: nil),
            Case(description: "sequence jump", messages: [.text(start(sid, call: "CAh6")), .text(media(sid, chunk: 1)),
                                                          .text(media(sid, chunk: 4_000_000_000)), .text(media(sid, chunk: 4_000_000_001)), .text(stop)],
                 code: .normalClosure, reason: nil),
        ] + carrierCases
    }()

    /// The same faults in Plivo's, Telnyx's and Vonage's terms, at their stream paths: one stream handler
    /// behind every carrier's reader, so each carrier's peer is closed as Twilio's is.
    static let carrierCases: [Case] = {
        let id = "87654321-4321-4321-4321-cba987654321"
        let silence = String(repeating: "/", count: 212) + "/w=="
        let plivoStart = #"{"event":"start","sequenceNumber":1,"start":{"callId":"00000000-0000-4000-8000-00000000h101","streamId":"\#(id)","accountId":"MA1","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000}},"extra_headers":""}"#
        func plivoMedia(_ streamId: String, _ payload: String) -> String {
            #"{"event":"media","sequenceNumber":2,"streamId":"\#(streamId)","media":{"track":"inbound","timestamp":"1705312200000","chunk":1,"payload":"\#(payload)"}}"#
        }
        let telnyxStart = #"{"event":"start","sequence_number":"1","stream_id":"\#(id)","start":{"user_id":"u","call_control_id":"v3:hostile7","media_format":{"encoding":"PCMU","sample_rate":8000,"channels":1}}}"#
        func vonageConnected(_ contentType: String) -> String {
            #"{"event":"websocket:connected","content-type":"\#(contentType)","callSid":"\#(id)"}"#
        }
        let telnyxStop = #"{"event":"stop","sequence_number":"9","stop":{"user_id":"u","call_control_id":"v3:hostile7"},"stream_id":"\#(id)"}"#
        return [
            Case(description: "Plivo: malformed JSON", messages: [.text(#"{"event":"#)], code: .policyViolation, reason: nil, path: "/plivo/media-stream"),
            Case(description: "Plivo: another stream's media", messages: [.text(plivoStart), .text(plivoMedia("00000000-0000-0000-0000-000000000000", silence))],
                 code: .policyViolation, reason: "streamSid", path: "/plivo/media-stream"),
            Case(description: "Plivo: wrong payload size", messages: [.text(plivoStart), .text(plivoMedia(id, "AAAA"))],
                 code: .policyViolation, reason: "expected 160", path: "/plivo/media-stream"),
            Case(description: "Telnyx: invalid base64", messages: [.text(telnyxStart), .text(#"{"event":"media","media":{"chunk":"1","payload":"!!!!"},"stream_id":"\#(id)"}"#)],
                 code: .policyViolation, reason: "media payload", path: "/telnyx/media-stream"),
            Case(description: "Telnyx: binary frame", messages: [.binary(ByteBuffer(bytes: [1, 2, 3]))], code: .unacceptableData, reason: "telnyx",
                 path: "/telnyx/media-stream"),
            // Tolerated: Telnyx reporting an error is a call event, and the call ends normally.
            Case(description: "Telnyx: error frame", messages: [.text(telnyxStart),
                                                               .text(#"{"event":"error","payload":{"code":100002,"title":"Unknown","detail":"bad frame"},"stream_id":"\#(id)"}"#),
                                                               .text(telnyxStop)], code: .normalClosure, reason: nil, path: "/telnyx/media-stream"),
            Case(description: "Vonage: audio before connected", messages: [.binary(ByteBuffer(repeating: 0, count: 640))],
                 code: .policyViolation, reason: "media before start", path: "/vonage/media-stream"),
            Case(description: "Vonage: wrong frame size", messages: [.text(vonageConnected("audio/l16;rate=16000")), .binary(ByteBuffer(repeating: 0, count: 100))],
                 code: .policyViolation, reason: "expected 640", path: "/vonage/media-stream"),
            Case(description: "Vonage: unsupported rate", messages: [.text(vonageConnected("audio/l16;rate=44100"))],
                 code: .policyViolation, reason: "unsupported media format", path: "/vonage/media-stream"),
            Case(description: "Vonage: no call named", messages: [.text(#"{"event":"websocket:connected","content-type":"audio/l16;rate=16000"}"#)],
                 code: .policyViolation, reason: "callSid", path: "/vonage/media-stream"),
        ]
    }()

    /// Sends a case's messages and waits for the server to close.
    static func play(_ hostile: Case, port: Int) async throws -> WebSocketCloseFrame? {
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)\(hostile.path)", logger: Logger(label: "hostile")) { inbound, outbound, _ in
            for message in hostile.messages {
                // The server may close before the last message is written: its close frame is what counts.
                do { try await outbound.write(message) } catch { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            for try await _ in inbound {}
        }
    }

    @Test func badPeersAreClosedWithAReasonWhileAGoodCallLosesNothing() async throws {
        let recorder = try ScratchRecorder()
        defer { recorder.remove() }
        // 3 s: quiet, a second of speech, quiet.
        let script = Array(repeating: false, count: 40) + Array(repeating: true, count: 50) + Array(repeating: false, count: 60)
        try await Self.relay(recorder: recorder.writer).makeApplication().test(.live) { client in
            let port = client.port!
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await MediaStreamCallTests.call(port: port, script: script) }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(300))
                    try await withThrowingTaskGroup(of: (Case, WebSocketCloseFrame?).self) { hostile in
                        for item in Self.cases {
                            hostile.addTask {
                                do { return (item, try await Self.play(item, port: port)) } catch {
                                    Issue.record("\(item): \(error)")
                                    return (item, nil)
                                }
                            }
                        }
                        for try await (item, close) in hostile {
                            #expect(close?.closeCode == item.code, "\(item): \(String(describing: close?.reason))")
                            if let reason = item.reason {
                                #expect(close?.reason?.contains(reason) == true, "\(item): \(String(describing: close?.reason))")
                            }
                        }
                    }
                }
                group.addTask {
                    // A peer that connects and never sends a request is closed after the handshake timeout.
                    try await Task.sleep(for: .milliseconds(300))
                    let closedAfter = try await Self.silentConnectionLifetime(port: port)
                    #expect(closedAfter >= 2.9 && closedAfter < 6, "closed after \(closedAfter) s")
                }
                try await group.waitForAll()
            }
            try await Task.sleep(for: .milliseconds(300))
            let store = try await recorder.flushed()
            let good = try #require(try await store.call(sid: "CA1"))
            #expect(good.call.endReason == "twilio stop")
            #expect(good.call.framesIn == script.count)
            #expect(good.call.framesLost == 0)
            #expect(good.call.framesConcealed == 0)
            let jumped = try #require(try await store.call(sid: "CAh6"))
            #expect(jumped.call.framesConcealed < 10, "concealed \(jumped.call.framesConcealed)")
            let reported = try #require(try await store.call(sid: "v3:hostile7"))
            #expect(reported.call.carrier == "telnyx")
            #expect(reported.events.contains { $0.kind == "carrier-error" && $0.detail == "bad frame" })
            let silent = try #require(try await store.call(sid: "CAh4"))
            #expect(silent.call.endReason?.contains("no message for") == true)
            // (Not through the test client: its idle keep-alive connection met the handshake timeout too.)
            let text = try await RawHTTP.exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: relay.test\r\nConnection: close\r\n\r\n").body
            for reason in ["handshake-timeout", "no-start-timeout", "idle-timeout"] {
                #expect(text.contains(#"reason="\#(reason)""#), "no \(reason) in the metrics")
            }
        }
    }

    @Test func connectionsBeyondTheLimitGetA503() async throws {
        let recorder = try ScratchRecorder()
        defer { recorder.remove() }
        // The held connections must outlast the test: on a loaded machine the handshake timeout
        // could close them before the fourth is refused.
        try await Self.relay(recorder: recorder.writer, maximumConnections: 3, handshakeTimeout: .seconds(60)).makeApplication().test(.live) { client in
            let port = client.port!
            let held = try (0..<3).map { _ in try RawHTTP.connectedSocket(port: port) }
            // One of them finishes a keep-alive request (its guard leaves the pipeline then): it
            // must still count until it closes.
            let request = Array("GET /healthz HTTP/1.1\r\nHost: relay.test\r\n\r\n".utf8)
            #expect(send(held[0], request, request.count, 0) == request.count)
            try await Task.sleep(for: .milliseconds(100))
            let refused = try await RawHTTP.exchange(port: port, "GET /healthz HTTP/1.1\r\nHost: relay.test\r\n\r\n")
            #expect(refused.status == 503)
            #expect(refused.body.contains("too many connections"))
            for socket in held { close(socket) }
            // Served again once the relay has seen the closes: asked every 100 ms, for up to 5 s.
            var served = 0
            for _ in 0..<50 where served != 200 {
                try await Task.sleep(for: .milliseconds(100))
                served = try await RawHTTP.exchange(port: port, "GET /healthz HTTP/1.1\r\nHost: relay.test\r\nConnection: close\r\n\r\n").status
            }
            #expect(served == 200)
        }
    }

    /// Seconds until the server closes a connection that sends nothing.
    static func silentConnectionLifetime(port: Int) async throws -> Double {
        try await RawHTTP.onOwnThread {
            let descriptor = try RawHTTP.connectedSocket(port: port)
            defer { close(descriptor) }
            let opened = ContinuousClock.now
            var byte: UInt8 = 0
            _ = recv(descriptor, &byte, 1, 0)
            let elapsed = ContinuousClock.now - opened
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }
}
