import Foundation
import AudioPipeline
import Codecs

/// What a simulated caller does, one 20 ms frame at a time: audio to say, quiet stretches that
/// may wait on the agent, key presses. A conversation test writes one with barge-ins early, late
/// or absent; `dial` turns a recording and its key presses into one.
public struct CallerScript: Sendable {
    public enum Step: Sendable {
        /// This audio (8 kHz), in 20 ms frames (the last one padded with silence).
        case say([Int16])
        /// The voice's voiced frames, this many.
        case speak(frames: Int)
        /// The voice's quiet frames, this many.
        case quiet(frames: Int)
        /// Quiet until the agent's next reply has been playing this long (gives up after 10 s).
        case quietUntilAgentHasSpoken(Duration)
        /// Quiet until the agent's reply has finished playing, and this long after (gives up after 15 s).
        case quietAfterAgentFinished(Duration)
        /// Quiet while the agent is speaking (audio in the last 500 ms, or still queued to play),
        /// at most this long; with `waitingForReply`, also until some agent audio has come at all.
        case quietWhileAgentSpeaks(atMost: Duration, waitingForReply: Bool = false)
        case pressKey(String)
    }

    public var steps: [Step]
    /// Frame `chunk` of the call (counted from 0) as the caller's voice or quiet: 160 samples in -1...1.
    public var voice: @Sendable (_ chunk: Int, _ voiced: Bool) -> [Float]
    /// Others talking behind the caller, mixed into every frame of `speak` and the quiet steps.
    public var room: CallerRoom?

    public init(_ steps: [Step], voice: @escaping @Sendable (_ chunk: Int, _ voiced: Bool) -> [Float] = SyntheticVoice.frame,
                room: CallerRoom? = nil) {
        self.steps = steps
        self.voice = voice
        self.room = room
    }

    /// `audio` as Twilio would carry it, with `keyPresses` (ms from the first frame) pressed where they fall.
    public static func recording(_ audio: [Int16], keyPresses: [(key: String, atMs: Int)]) -> [Step] {
        var steps: [Step] = []
        var frame = 0
        let totalFrames = (audio.count + 159) / 160
        for press in keyPresses.sorted(by: { $0.atMs < $1.atMs }) {
            // Pressed before the first frame that starts at or after its time.
            let target = (press.atMs + 19) / 20
            let sayEnd = min(target, totalFrames)
            if sayEnd > frame {
                steps.append(.say(Array(audio[frame * 160..<min(sayEnd * 160, audio.count)])))
                frame = sayEnd
            }
            if target > frame {
                steps.append(.quiet(frames: target - frame))
                frame = target
            }
            steps.append(.pressKey(press.key))
        }
        if frame < totalFrames { steps.append(.say(Array(audio[(frame * 160)...]))) }
        return steps
    }
}

/// Other people talking behind the caller (looped).
public struct CallerRoom: Sendable {
    public var samples: [Float]

    public init(samples: [Float]) { self.samples = samples }

    /// The room's share of frame `chunk` (20 ms).
    func frame(_ chunk: Int) -> [Float] {
        (0..<160).map { samples[(chunk * 160 + $0) % samples.count] }
    }
}

/// A caller with no recording: a vowel-like buzz (harmonics of 150 Hz) when voiced, near-silence when quiet.
public enum SyntheticVoice {
    @Sendable public static func frame(_ chunk: Int, voiced: Bool) -> [Float] {
        (0..<160).map { offset -> Float in
            let t = Double(chunk * 160 + offset) / 8000
            guard voiced else { return Float(0.001 * sin(t * 7000)) }
            var value = 0.0
            for harmonic in 1...6 {
                let h = Double(harmonic)
                value += 0.08 * sin(2 * Double.pi * 150 * h * t) / h
            }
            return Float(value)
        }
    }
}

/// Where a caller is in its script; asked for what to send each time a frame is due.
struct CallerScriptCursor {
    enum Action: Equatable {
        case frame(muLaw: [UInt8])
        case pressKey(String)
        case hangUp
    }

    private let script: CallerScript
    private var stepIndex = -1
    private var chunk = 0
    /// Progress within the current step.
    private var framesSent = 0
    private var stepStartMs = 0.0
    private var agentFramesAtStart = 0
    private var agentStartedMs: Double?
    private var agentFinishedMs: Double?

    init(_ script: CallerScript) { self.script = script }

    /// The next thing to send at `nowMs` (ms from the first frame); key presses do not take a frame.
    mutating func next(nowMs: Double, heard: inout CallerPlayback) -> Action {
        if stepIndex < 0 { advance(nowMs: nowMs, heard: &heard) }
        while stepIndex < script.steps.count {
            let step = script.steps[stepIndex]
            switch step {
            case .say(let audio):
                let start = framesSent * 160
                if start < audio.count {
                    framesSent += 1
                    var samples = [Int16](repeating: 0, count: 160)
                    for index in start..<min(start + 160, audio.count) { samples[index - start] = audio[index] }
                    return frame(samples)
                }
            case .speak(let frames):
                if framesSent < frames { return voiced(true) }
            case .quiet(let frames):
                if framesSent < frames { return voiced(false) }
            case .quietUntilAgentHasSpoken(let spoken):
                if agentStartedMs == nil, heard.agentFrameCount > agentFramesAtStart { agentStartedMs = nowMs }
                let done = agentStartedMs.map { nowMs - $0 >= spoken.fractionalMilliseconds } ?? false
                if !done, !timedOut(step, limitMs: 10_000, nowMs: nowMs, heard: &heard) { return voiced(false) }
            case .quietAfterAgentFinished(let after):
                if agentFinishedMs == nil, heard.agentFrameCount > agentFramesAtStart, nowMs - heard.lastAgentFrameMs > 300,
                   nowMs > heard.playbackEndMs {
                    agentFinishedMs = nowMs
                }
                let done = agentFinishedMs.map { nowMs - $0 >= after.fractionalMilliseconds } ?? false
                if !done, !timedOut(step, limitMs: 15_000, nowMs: nowMs, heard: &heard) { return voiced(false) }
            case .quietWhileAgentSpeaks(let atMost, let waitingForReply):
                let waiting = (waitingForReply && heard.agentFrameCount == 0) || heard.agentIsSpeaking(atMs: nowMs)
                if waiting, nowMs - stepStartMs < atMost.fractionalMilliseconds { return voiced(false) }
            case .pressKey(let key):
                if framesSent == 0 {
                    framesSent = 1
                    return .pressKey(key)
                }
            }
            advance(nowMs: nowMs, heard: &heard)
        }
        return .hangUp
    }

    private mutating func advance(nowMs: Double, heard: inout CallerPlayback) {
        stepIndex += 1
        framesSent = 0
        stepStartMs = nowMs
        agentFramesAtStart = heard.agentFrameCount
        agentStartedMs = nil
        agentFinishedMs = nil
        guard stepIndex < script.steps.count else { return }
        switch script.steps[stepIndex] {
        case .say, .speak: heard.recording.utteranceStartsMs.append(nowMs)
        default: break
        }
    }

    private func timedOut(_ step: CallerScript.Step, limitMs: Double, nowMs: Double, heard: inout CallerPlayback) -> Bool {
        guard nowMs - stepStartMs > limitMs else { return false }
        heard.recording.stepTimedOut = "\(step)"
        return true
    }

    private mutating func voiced(_ voiced: Bool) -> Action {
        framesSent += 1
        var samples = script.voice(chunk, voiced)
        if let room = script.room { samples = zip(samples, room.frame(chunk)).map { $0 + $1 } }
        chunk += 1
        var codes = [UInt8](repeating: 0xFF, count: 160)
        samples.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        return .frame(muLaw: codes)
    }

    private mutating func frame(_ samples: [Int16]) -> Action {
        chunk += 1
        var codes = [UInt8](repeating: 0xFF, count: 160)
        samples.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        return .frame(muLaw: codes)
    }
}
