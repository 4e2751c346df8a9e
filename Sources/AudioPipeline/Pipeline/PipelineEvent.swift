/// The rare, control-plane happenings of a call's pipeline, delivered to its owner in order.
/// Audio never travels this way.
public enum PipelineEvent: Sendable, Equatable {
    /// The caller started speaking; `atNs` is when the deciding frame was processed.
    case speechStarted(atNs: UInt64)
    /// The caller stopped speaking `decidedAfterMs` before `atNs` (the VAD's hangover).
    case speechEnded(atNs: UInt64, decidedAfterMs: Int)
    /// A flush requested on the caller's speech was applied (see ``PlaybackFlush``).
    case flushed(PlaybackFlush)
}

/// What a flush found: whether agent audio was still ahead of the caller (then it is a barge-in
/// and that audio is gone), and what the caller heard of the last item played.
public struct PlaybackFlush: Sendable, Equatable {
    /// The last response item sent to the caller, if any since the previous flush.
    public var item: UInt32?
    /// Milliseconds of `item` the caller heard: `audio_end_ms` for a truncate.
    public var playedMs: UInt32
    /// Agent audio was queued, playing, or not yet confirmed played by a mark echo.
    public var audioWasAhead: Bool
    public var atNs: UInt64

    public init(item: UInt32?, playedMs: UInt32, audioWasAhead: Bool, atNs: UInt64) {
        self.item = item
        self.playedMs = playedMs
        self.audioWasAhead = audioWasAhead
        self.atNs = atNs
    }
}
