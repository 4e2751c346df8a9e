import Codecs
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Simulators
import Logging
import NIOCore
import NIOWebSocket
import Server
import Testing

/// Whole calls over a real WebSocket on 127.0.0.1, the test acting as Twilio.
/// Serialized: each test runs whole calls in real time, and several at once on two cores starve each other.
@Suite(.serialized) struct MediaStreamCallTests {
    static let streamSid = "MZ00000000000000000000000000000001"

    static func server() -> RelayServer {
        RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test", region: "test"), model: LocalAgent())
    }

    struct Received {
        var media: [(atNs: UInt64, bytes: Int)] = []
        var marks: [String] = []
        var clears: [UInt64] = []
    }

    /// Plays `script` (true = voiced frame) in real time through the simulated Twilio caller and
    /// records what comes back. With `untilReplyEnds`, quiet frames follow the script until the
    /// reply has started and then paused for half a second (at most 10 s more), so a reply that a
    /// loaded machine delays is heard whole instead of cut off by the hang-up.
    static func call(port: Int, script: [Bool], echoMarks: Bool = true, untilReplyEnds: Bool = false) async throws -> Received {
        var steps: [CallerScript.Step] = []
        var rest = script[...]
        while let voiced = rest.first {
            let run = rest.prefix { $0 == voiced }.count
            steps.append(voiced ? .speak(frames: run) : .quiet(frames: run))
            rest = rest.dropFirst(run)
        }
        if untilReplyEnds { steps.append(.quietWhileAgentSpeaks(atMost: .seconds(10), waitingForReply: true)) }
        let recording = try await CallSimulator.stream(port: port, start: StreamStart(callSid: "CA1", streamSid: streamSid, accountSid: "AC1",
                                                                                            customParameters: ["tenant": "test"]),
                                                             script: CallerScript(steps), markEcho: echoMarks ? .atOnce : .never)
        #expect(recording.unexpectedMessages.isEmpty, "\(recording.unexpectedMessages)")
        var received = Received()
        received.media = zip(recording.agentFrameTimesMs, recording.agentFrameBytes).map { (UInt64($0 * 1e6), $1) }
        received.marks = recording.marksReceived
        received.clears = recording.clearTimesMs.map { UInt64($0 * 1e6) }
        return received
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
