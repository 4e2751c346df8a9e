import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import Testing
import TestFixtures

/// Twilio's side of a conversation that reacts to the agent, for the multi-turn tests: it sends
/// a 20 ms frame every 20 ms, voiced or quiet as its plan says, where a step may wait for the
/// agent to start or finish speaking. It plays the agent's audio as Twilio would (each frame
/// after the previous one, `clear` drops the rest) and echoes each mark when playback reaches it.
struct ConversationCaller {
    enum Step {
        case speak(frames: Int)
        case quiet(frames: Int)
        /// Quiet until the agent's next reply has been playing this long.
        case quietUntilAgentHasSpoken(Duration)
        /// Quiet until the agent's reply has finished playing, and this long after.
        case quietAfterAgentFinished(Duration)
        case pressKey(String)
    }

    struct Heard: Sendable {
        var mediaFrames = 0
        var marksEchoed = 0
        /// When each `clear` arrived, and when each caller utterance began, in ms from the start.
        var clearsMs: [Double] = []
        var utteranceStartsMs: [Double] = []
        var stepTimedOut: String?
    }

    private final class Playback: Sendable {
        struct State {
            var heard = Heard()
            /// Where Twilio's playback queue ends (ms), and the marks waiting for it.
            var playbackEndMs = 0.0
            var lastMediaMs = -1.0
            var pendingMarks: [(name: String, dueMs: Double)] = []
        }
        let state = Mutex(State())
    }

    static let streamSid = MediaStreamCallTests.streamSid

    /// Other people talking behind the caller, mixed into every frame sent.
    struct Room: Sendable {
        var samples: [Float]

        /// The committed busy room (`Tests/Fixtures/babble`), scaled to lie `decibels` under the caller's voiced frames.
        static func babble(underVoiceBy decibels: Double) throws -> Room {
            let raw = try BusyRoom.samples()
            func rms(_ samples: [Float]) -> Double {
                (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
            }
            let voice = rms((0..<50).flatMap { MediaStreamCallTests.frame($0, voiced: true) })
            let gain = Float(voice / rms(raw) / pow(10, decibels / 20))
            return Room(samples: raw.map { $0 * gain })
        }

        /// The room's share of frame `chunk` (20 ms), looping.
        func frame(_ chunk: Int) -> [Float] {
            (0..<160).map { samples[(chunk * 160 + $0) % samples.count] }
        }
    }

    /// Plays `steps` against the relay at `port` as call `callSid`, then hangs up; `room`, if
    /// given, talks behind the caller all through the call.
    static func call(port: Int, callSid: String, steps: [Step], room: Room? = nil) async throws -> Heard {
        let playback = Playback()
        let start = ContinuousClock.now
        @Sendable func nowMs() -> Double { (ContinuousClock.now - start).fractionalMilliseconds }
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/media-stream", logger: Logger(label: "conversation-caller")) { inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await outbound.write(.text(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#))
                    try await outbound.write(.text(#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"\#(streamSid)","callSid":"\#(callSid)","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"tenant":"test"}},"streamSid":"\#(streamSid)"}"#))
                    var chunk = 0
                    var deadline = ContinuousClock.now
                    func send(voiced: Bool) async throws {
                        chunk += 1
                        var samples = MediaStreamCallTests.frame(chunk, voiced: voiced)
                        if let room { samples = zip(samples, room.frame(chunk)).map { $0 + $1 } }
                        try await outbound.write(.text(MediaStreamCallTests.mediaMessage(chunk: chunk, samples: samples)))
                        deadline = deadline.advanced(by: .milliseconds(20))
                        try await Task.sleep(until: deadline, clock: .continuous)
                    }
                    for step in steps {
                        let stepStartMs = nowMs()
                        let mediaAtStart = playback.state.withLock { $0.heard.mediaFrames }
                        switch step {
                        case .speak(let frames):
                            playback.state.withLock { $0.heard.utteranceStartsMs.append(nowMs()) }
                            for _ in 0..<frames { try await send(voiced: true) }
                        case .quiet(let frames):
                            for _ in 0..<frames { try await send(voiced: false) }
                        case .quietUntilAgentHasSpoken(let spoken):
                            var firstMs: Double?
                            while true {
                                let (frames, _) = playback.state.withLock { ($0.heard.mediaFrames, $0.lastMediaMs) }
                                if firstMs == nil, frames > mediaAtStart { firstMs = nowMs() }
                                if let firstMs, nowMs() - firstMs >= Double(spoken.wholeMilliseconds) { break }
                                if nowMs() - stepStartMs > 10_000 {
                                    playback.state.withLock { $0.heard.stepTimedOut = "\(step)" }
                                    break
                                }
                                try await send(voiced: false)
                            }
                        case .quietAfterAgentFinished(let after):
                            var finishedMs: Double?
                            while true {
                                let (frames, lastMs, endMs) = playback.state.withLock { ($0.heard.mediaFrames, $0.lastMediaMs, $0.playbackEndMs) }
                                let now = nowMs()
                                if finishedMs == nil, frames > mediaAtStart, now - lastMs > 300, now > endMs { finishedMs = now }
                                if let finishedMs, now - finishedMs >= Double(after.wholeMilliseconds) { break }
                                if now - stepStartMs > 15_000 {
                                    playback.state.withLock { $0.heard.stepTimedOut = "\(step)" }
                                    break
                                }
                                try await send(voiced: false)
                            }
                        case .pressKey(let key):
                            try await outbound.write(.text(#"{"event":"dtmf","streamSid":"\#(streamSid)","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"\#(key)"}}"#))
                        }
                    }
                    try await outbound.write(.text(#"{"event":"stop","sequenceNumber":"999","stop":{"accountSid":"AC1","callSid":"\#(callSid)"},"streamSid":"\#(streamSid)"}"#))
                }
                group.addTask {
                    var iterator = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                    while let message = try await iterator.next() {
                        guard case .text(let text) = message,
                              let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
                        let now = nowMs()
                        playback.state.withLock { state in
                            switch json["event"] as? String {
                            case "media":
                                state.heard.mediaFrames += 1
                                state.lastMediaMs = now
                                state.playbackEndMs = max(state.playbackEndMs, now) + 20
                            case "mark":
                                let name = (json["mark"] as? [String: Any])?["name"] as? String ?? ""
                                state.pendingMarks.append((name, max(state.playbackEndMs, now)))
                            case "clear":
                                state.heard.clearsMs.append(now)
                                state.playbackEndMs = now
                                for index in state.pendingMarks.indices { state.pendingMarks[index].dueMs = now }
                            default:
                                Issue.record("unexpected message \(text.prefix(80))")
                            }
                        }
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(5))
                        let now = nowMs()
                        let due = playback.state.withLock { state -> [String] in
                            let count = state.pendingMarks.prefix { $0.dueMs <= now }.count
                            defer { state.pendingMarks.removeFirst(count) }
                            state.heard.marksEchoed += count
                            return state.pendingMarks.prefix(count).map(\.name)
                        }
                        for name in due {
                            try? await outbound.write(.text(#"{"event":"mark","sequenceNumber":"1","streamSid":"\#(streamSid)","mark":{"name":"\#(name)"}}"#))
                        }
                    }
                }
                try await group.next()
                // The relay closes the stream once it has handled `stop`.
                group.addTask { try await Task.sleep(for: .seconds(10)) }
                try await group.next()
                group.cancelAll()
            }
        }
        return playback.state.withLock { $0.heard }
    }
}
