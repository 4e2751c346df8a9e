import Codecs

/// What a simulated caller heard and did, for tests and `dial` to check.
public struct CallerRecording: Sendable {
    /// The agent's audio as the caller would hear it, 8 kHz, on the call's timeline (silence where
    /// nothing arrived, cut where a `clear` came).
    public var agentAudio: [Int16] = []
    /// When each agent frame arrived, ms from the first caller frame, and its size in bytes.
    public var agentFrameTimesMs: [Double] = []
    public var agentFrameBytes: [Int] = []
    /// The marks the relay sent, in order, and how many were echoed back.
    public var marksReceived: [String] = []
    public var marksEchoed = 0
    /// When each `clear` arrived, ms from the first caller frame.
    public var clearTimesMs: [Double] = []
    /// When each of the caller's utterances (a `say` or `speak` step) began.
    public var utteranceStartsMs: [Double] = []
    /// A step that waited on the agent and gave up.
    public var stepTimedOut: String?
    /// The reason in the relay's close frame, if it gave one.
    public var closeReason: String?
    /// Messages that are not Media Streams messages to this stream (the first 80 bytes of each).
    public var unexpectedMessages: [String] = []
    public var callSid = ""
    /// The region that answered the webhook (its TwiML's `region` parameter).
    public var webhookRegion: String?
}

/// When the caller echoes the relay's marks: as Twilio does, when playback reaches them (at once
/// when a `clear` drops them); at once; or never (a carrier that lost them).
public enum MarkEcho: Sendable {
    case whenPlayed, atOnce, never
}

/// Twilio's playback of the agent's audio, as the caller hears it: each frame plays after the
/// previous one, a `clear` drops what is still queued, and a mark is reached when the audio before
/// it has played. Confined to the caller's event loop.
struct CallerPlayback {
    var recording = CallerRecording()
    /// Marks not yet echoed, with when playback reaches them (ms on the call's timeline).
    private var pendingMarks: [(name: String, playedAtMs: Double)] = []

    var agentFrameCount: Int { recording.agentFrameTimesMs.count }
    var lastAgentFrameMs: Double { recording.agentFrameTimesMs.last ?? -.infinity }
    /// Where the playback queue ends: the agent's audio ends where its last frame finishes playing.
    var playbackEndMs: Double { Double(recording.agentAudio.count) / 8 }

    /// An agent frame of `byteCount` bytes on the wire, decoded to 8 kHz `linear`.
    mutating func media(_ linear: [Int16], byteCount: Int, atMs: Double) {
        // The frame plays after what was already queued, or now.
        let arrivalSample = Int(atMs * 8)
        if recording.agentAudio.count < arrivalSample {
            recording.agentAudio += [Int16](repeating: 0, count: arrivalSample - recording.agentAudio.count)
        }
        recording.agentAudio += linear
        recording.agentFrameTimesMs.append(atMs)
        recording.agentFrameBytes.append(byteCount)
    }

    mutating func mark(_ name: String, atMs: Double) {
        recording.marksReceived.append(name)
        pendingMarks.append((name, max(atMs, playbackEndMs)))
    }

    /// The marks playback has reached by `ms`, in order, counted as echoed.
    mutating func marksPlayed(byMs ms: Double) -> [String] {
        let count = pendingMarks.prefix { $0.playedAtMs <= ms }.count
        guard count > 0 else { return [] }
        let names = pendingMarks.prefix(count).map(\.name)
        pendingMarks.removeFirst(count)
        recording.marksEchoed += count
        return names
    }

    /// Twilio drops the audio it still holds and reaches the pending marks at once.
    mutating func clear(atMs: Double) {
        recording.clearTimesMs.append(atMs)
        recording.agentAudio.removeLast(max(0, recording.agentAudio.count - Int(atMs * 8)))
        for index in pendingMarks.indices { pendingMarks[index].playedAtMs = atMs }
    }

    /// Whether agent audio arrived in the last half second or is still queued to play.
    func agentIsSpeaking(atMs nowMs: Double) -> Bool {
        agentFrameCount > 0 && (nowMs - lastAgentFrameMs < 500 || playbackEndMs > nowMs)
    }
}
