import Codecs
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Server
import Synchronization
import Testing

/// Whole calls over a real WebSocket on 127.0.0.1, the test acting as Twilio.
/// Serialized: each test runs whole calls in real time, and several at once on two cores starve each other.
@Suite(.serialized) struct MediaStreamCallTests {
    static let streamSid = "MZ00000000000000000000000000000001"

    static func server() -> RelayServer {
        RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test", region: "test"), model: LocalAgent())
    }

    static func mediaMessage(chunk: Int, samples: [Float]) -> String {
        var codes = [UInt8](repeating: 0, count: 160)
        samples.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        return #"{"event":"media","sequenceNumber":"\#(chunk + 2)","media":{"track":"inbound","chunk":"\#(chunk)","timestamp":"\#(chunk * 20)","payload":"\#(Data(codes).base64EncodedString())"},"streamSid":"\#(streamSid)"}"#
    }

    static let startMessages = [
        #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#,
        #"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"\#(streamSid)","callSid":"CA1","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"tenant":"test"}},"streamSid":"\#(streamSid)"}"#,
    ]

    /// A 20 ms frame of a voiced sound (harmonics of 150 Hz) or of near-silence.
    static func frame(_ index: Int, voiced: Bool) -> [Float] {
        (0..<160).map { offset -> Float in
            let t = Double(index * 160 + offset) / 8000
            guard voiced else { return Float(0.001 * sin(t * 7000)) }
            var value = 0.0
            for harmonic in 1...6 {
                let h = Double(harmonic)
                value += 0.08 * sin(2 * Double.pi * 150 * h * t) / h
            }
            return Float(value)
        }
    }

    struct Received {
        var media: [(atNs: UInt64, bytes: Int)] = []
        var marks: [String] = []
        var clears: [UInt64] = []
    }

    final class Recorder: Sendable {
        let state = Mutex(Received())
    }

    /// Plays `script` (true = voiced frame) in real time and records what comes back. With
    /// `untilReplyEnds`, quiet frames follow the script until the reply has started and then
    /// paused for half a second (at most 10 s more), so a reply that a loaded machine delays is
    /// heard whole instead of cut off by the hang-up.
    static func call(port: Int, script: [Bool], echoMarks: Bool = true, untilReplyEnds: Bool = false) async throws -> Received {
        let received = Recorder()
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/media-stream", logger: Logger(label: "test-twilio")) { inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for message in startMessages { try await outbound.write(.text(message)) }
                    let clock = ContinuousClock()
                    var deadline = clock.now
                    /// Frame `index`, then the wait until the next one is due.
                    func play(_ index: Int, voiced: Bool) async throws {
                        try await outbound.write(.text(mediaMessage(chunk: index + 1, samples: frame(index, voiced: voiced))))
                        deadline = deadline.advanced(by: .milliseconds(20))
                        try await Task.sleep(until: deadline, clock: clock)
                    }
                    for (index, voiced) in script.enumerated() { try await play(index, voiced: voiced) }
                    for index in script.count..<script.count + 500 where untilReplyEnds {
                        let lastMediaNs = received.state.withLock { $0.media.last?.atNs }
                        if let lastMediaNs, DispatchTime.now().uptimeNanoseconds - lastMediaNs > 500_000_000 { break }
                        try await play(index, voiced: false)
                    }
                    try await outbound.write(.text(#"{"event":"stop","sequenceNumber":"999","stop":{"accountSid":"AC1","callSid":"CA1"},"streamSid":"\#(streamSid)"}"#))
                }
                group.addTask {
                    var iterator = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                    while let message = try await iterator.next() {
                        guard case .text(let text) = message,
                              let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                              let event = json["event"] as? String else { continue }
                        #expect(json["streamSid"] as? String == streamSid)
                        let now = DispatchTime.now().uptimeNanoseconds
                        switch event {
                        case "media":
                            let payload = (json["media"] as? [String: Any])?["payload"] as? String ?? ""
                            let bytes = Data(base64Encoded: payload)?.count ?? -1
                            received.state.withLock { $0.media.append((now, bytes)) }
                        case "mark":
                            let name = (json["mark"] as? [String: Any])?["name"] as? String ?? ""
                            received.state.withLock { $0.marks.append(name) }
                            if echoMarks {
                                // As Twilio does; after `stop` the relay may already have closed.
                                try? await outbound.write(.text(#"{"event":"mark","sequenceNumber":"1","streamSid":"\#(streamSid)","mark":{"name":"\#(name)"}}"#))
                            }
                        case "clear":
                            received.state.withLock { $0.clears.append(now) }
                        default:
                            Issue.record("unexpected event \(event)")
                        }
                    }
                }
                try await group.next()
                // The relay closes the stream once it has handled `stop`, after everything it sent
                // before: wait for that (up to 10 s), not a fixed pause a loaded machine can outrun.
                group.addTask { try await Task.sleep(for: .seconds(10)) }
                try await group.next()
                group.cancelAll()
            }
        }
        return received.state.withLock { $0 }
    }

    @Test func theLocalAgentAnswersAfterTheCallerStopsTalking() async throws {
        // 0.6 s quiet, 1 s speech, then 2.6 s quiet: the agent replies with a chime and the echo.
        let script = Array(repeating: false, count: 30) + Array(repeating: true, count: 50) + Array(repeating: false, count: 130)
        try await Self.server().makeApplication().test(.live) { client in
            let received = try await Self.call(port: client.port!, script: script, untilReplyEnds: true)
            // 300 ms chime + ~1.5 s of recorded utterance (speech plus the end-of-turn silence).
            #expect(received.media.count >= 60, "got \(received.media.count) media messages")
            #expect(received.media.allSatisfy { $0.bytes == 160 })
            #expect(received.marks.count >= received.media.count / 5)
            #expect(received.marks.allSatisfy { $0.hasPrefix("1:") })
            #expect(received.clears.isEmpty)
            // Paced in real time: the reply spans about its own duration, not a burst.
            if let first = received.media.first, let last = received.media.last {
                let spanMs = Double(last.atNs - first.atNs) / 1e6
                #expect(spanMs >= Double(received.media.count - 4) * 20 - 100, "\(received.media.count) frames in \(spanMs) ms")
            }
        }
    }

    @Test func aReplyLongerThanThePlayoutBufferIsPlayedWhole() async throws {
        // 7 s of caller speech: the agent's echo (7.3 s with the chime and end-of-turn) is longer
        // than the 640 ms outbound ring, so the model side must be held back instead of dropping audio.
        // Syllables (240 ms voiced, 60 ms quiet), as speech has: a steady tone would become "noise".
        let speech = (0..<23).flatMap { _ in Array(repeating: true, count: 12) + Array(repeating: false, count: 3) }
        let script = Array(repeating: false, count: 30) + speech + Array(repeating: false, count: 420)
        try await Self.server().makeApplication().test(.live) { client in
            let received = try await Self.call(port: client.port!, script: script)
            // chime 15 frames + 345 of speech + 25 of end-of-turn silence, give or take the VAD edges.
            #expect(received.media.count >= 360, "got \(received.media.count) media messages")
            #expect(received.clears.isEmpty)
        }
    }

    @Test func bargeInClearsPlaybackQuickly() async throws {
        // Speak, let the agent start replying, then speak over it.
        let script = Array(repeating: false, count: 30) + Array(repeating: true, count: 75) + Array(repeating: false, count: 45)
            + Array(repeating: true, count: 40) + Array(repeating: false, count: 20)
        try await Self.server().makeApplication().test(.live) { client in
            let received = try await Self.call(port: client.port!, script: script)
            #expect(received.clears.count == 1, "clears: \(received.clears.count)")
        }
    }

    @Test(arguments: [
        (#"{"event":"media","media":{"chunk":"1","payload":"AAAA"}}"#, "media before start"),
        (#"{"event":"media""#, "malformed JSON"),
    ])
    func badInputClosesOnlyThatStreamWithAReason(first: String, reason: String) async throws {
        try await Self.server().makeApplication().test(.live) { client in
            let close = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(client.port!)/media-stream", logger: Logger(label: "test")) { inbound, outbound, _ in
                try await outbound.write(.text(first))
                for try await _ in inbound {}
            }
            #expect(close?.closeCode == .policyViolation)
            #expect(close?.reason?.contains(reason) == true, "\(String(describing: close?.reason))")
            // The server still serves.
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }

    @Test func binaryFramesAreRefused() async throws {
        try await Self.server().makeApplication().test(.live) { client in
            let close = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(client.port!)/media-stream", logger: Logger(label: "test")) { inbound, outbound, _ in
                try await outbound.write(.binary(ByteBuffer(bytes: [1, 2, 3])))
                for try await _ in inbound {}
            }
            #expect(close?.closeCode == .unacceptableData)
        }
    }
}
