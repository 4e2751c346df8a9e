/// Keeps talkers in the background from being taken for the caller: a frame can be speech-like
/// only when its whole-band level stands over the background's by a margin.
///
/// The background level is the 20th percentile of the last 5 s of levels: babble's own level,
/// even while the caller talks, since a talker's pauses and weak frames fall to it. The margin
/// grows with how much the background itself swings: over the last 3 s of frames that were not
/// speech-like, median minus 10th percentile, less 2 dB, times 1.5, within 0 to 8 dB (6 dB until
/// half a second of such frames is known). Frames of a hangover count as background: with a
/// long hangover, frames taken for speech would leave too few to learn the background from.
/// White and pink noise swing under 1 dB, so for them the gate is open; babble swings 5.5-8.5 dB,
/// and its loud moments stay under the gate, while the near talker, louder, clears it.
///
/// Designed in `scripts/measure/vad_model.py` (`BackgroundGate`, the `gated` rule, which still counts
/// only frames out of speech as background) and scored by `scripts/measure/vad_accuracy.py`. Cost
/// model: two histogram windows (``LevelWindow``), one quantile read per frame and two more per
/// background frame; 2.6 KB allocated once.
struct BackgroundGate: Sendable {
    private var levels: LevelWindow
    private var background: LevelWindow
    private let warmUpFrames: Int
    private let backgroundFramesNeeded: Int
    /// Set from the background's swing each time a background frame arrives (read every frame).
    private var margin: Float = 6

    init(frameDurationMs: Int) {
        levels = LevelWindow(capacity: 5000 / frameDurationMs)
        background = LevelWindow(capacity: 3000 / frameDurationMs)
        warmUpFrames = 500 / frameDurationMs
        backgroundFramesNeeded = 500 / frameDurationMs
    }

    /// Whether the background is known to move like talkers do (its margin is open): then speech
    /// must also stand out of the room (``NearTalkerCheck``). Not assumed before it is known: a
    /// caller who talks from the first moment would otherwise be learned as the room.
    private(set) var backgroundSwings = false

    /// Takes this frame's whole-band level; returns whether it clears the gate.
    mutating func admits(_ levelDB: Float) -> Bool {
        levels.add(levelDB)
        guard levels.count > warmUpFrames, let backgroundLevel = levels.quantile(0.2) else { return true }
        return levelDB > backgroundLevel + margin
    }

    /// After the decision: a frame that was not speech-like is background.
    mutating func observe(_ levelDB: Float, speechLike: Bool) {
        guard !speechLike else { return }
        background.add(levelDB)
        if background.count >= backgroundFramesNeeded, let median = background.quantile(0.5), let low = background.quantile(0.1) {
            margin = min(8, max(0, 1.5 * (median - low - 2)))
            backgroundSwings = margin > 0
        }
    }
}
