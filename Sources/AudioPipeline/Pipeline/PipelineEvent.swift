/// The rare, control-plane happenings of a call's pipeline, delivered to its owner in order.
/// Audio never travels this way.
public enum PipelineEvent: Sendable, Equatable {
    /// The caller started speaking; `atNs` is when the deciding frame was processed.
    case speechStarted(atNs: UInt64)
    /// The caller stopped speaking `decidedAfterMs` before `atNs` (the VAD's hangover).
    case speechEnded(atNs: UInt64, decidedAfterMs: Int)
    /// Playback was flushed (barge-in): the caller heard `playedMs` of `item`.
    case flushed(item: UInt32, playedMs: UInt32, atNs: UInt64)
}
