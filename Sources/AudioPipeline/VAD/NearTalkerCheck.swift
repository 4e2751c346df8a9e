/// Decides whether speech the detector found is the caller's or the room's. In a room of other
/// talkers whose peaks lie well under the caller's speech, a stretch of speech counts only once
/// a frame of it stands out of the room: over the 95th percentile of the last 5 s of
/// levels outside the caller's speech, by 3 dB. Once it counts, a frame under the room's peaks
/// no longer keeps it going, so the caller's speech ends when the caller stops, not when the room
/// next falls quiet.
///
/// ``BackgroundGate`` keeps most of the room out, but babble's loudest moments still clear it;
/// they come and go at the room's level, while the near talker, nearer the phone, is louder
/// than the room's peaks. What the room is includes its stretches taken for speech and not
/// confirmed, so its percentile is the level of the room's own peaks. The check applies only
/// where it can tell the two apart: once half a second of room is known, when the background
/// moves like talkers do, and unless the caller, once heard, lies 10 dB or less over the room's
/// peaks (the running median of the caller's frames that stood out). When the caller is barely
/// louder than the room (babble 10 dB under them), the room's peaks and the caller's weaker words
/// look alike, and the check would drop the caller's words; there every stretch counts, as in
/// steady noise, where the level of speech over the noise says nothing about who speaks.
///
/// Designed with `scripts/measure/vad_babble_call.py`; scored by `scripts/measure/vad_accuracy.py`. Cost model:
/// one histogram window (``LevelWindow``) added to every frame, and one quantile read from the
/// top per frame of speech.
struct NearTalkerCheck: Sendable {
    private static let roomQuantile: Float = 0.95
    private static let marginDB: Float = 3
    /// How far the caller's median level must lie over the room's peaks for the check to apply.
    private static let separationDB: Float = 10
    /// How far the caller's median moves per frame that stood out (a running median: it steps
    /// towards each new level).
    private static let callerStepDB: Float = 0.25
    private var room: LevelWindow
    /// The caller's median level, once a frame of the caller's stood out.
    private var callerLevel: Float?
    private let warmUpFrames: Int
    /// The room's peaks as of this frame, once 0.5 s of room is known.
    private var peaks: Float?
    /// The check applies (see the type's comment).
    private var separable = false
    private var frameStandsOut = false
    /// The current stretch of speech has stood out of the room.
    private(set) var proven = false

    init(frameDurationMs: Int) {
        room = LevelWindow(capacity: 5000 / frameDurationMs)
        warmUpFrames = 500 / frameDurationMs
    }

    /// Reads the room for a frame of speech (or one that may start it), before the detector
    /// decides; `backgroundSwings`: the background is known to move like talkers (``BackgroundGate``).
    mutating func measure(_ levelDB: Float, backgroundSwings: Bool) {
        peaks = room.count > warmUpFrames ? room.quantile(Self.roomQuantile) : nil
        guard let peaks else {
            separable = false
            frameStandsOut = false
            return
        }
        frameStandsOut = levelDB > peaks + Self.marginDB
        separable = backgroundSwings && (callerLevel.map { $0 - peaks > Self.separationDB } ?? true)
    }

    /// A frame of the caller's speech that falls under the room's peaks, where they can be told apart.
    func isUnderTheRoom(_ levelDB: Float) -> Bool {
        guard separable, proven, let peaks else { return false }
        return levelDB <= peaks
    }

    /// A new stretch of speech begins.
    mutating func speechStarted() {
        proven = false
    }

    /// Takes this frame as one of a stretch of speech; returns whether the stretch counts as the
    /// caller's. A stretch that counts because the check did not apply is still watched, so
    /// its frames are told apart from the room's.
    mutating func counts() -> Bool {
        proven = proven || frameStandsOut
        return proven || !separable
    }

    /// After the decision: a frame outside the caller's speech belongs to the room; a frame of
    /// it that stood out tells the caller's level (the rest of it, quieter words or the room
    /// under the hangover, neither).
    mutating func observe(_ levelDB: Float, inSpeech: Bool) {
        if !(inSpeech && proven) {
            room.add(levelDB)
        } else if frameStandsOut {
            let level = callerLevel ?? levelDB
            callerLevel = level + (levelDB > level ? Self.callerStepDB : levelDB < level ? -Self.callerStepDB : 0)
        }
    }
}
