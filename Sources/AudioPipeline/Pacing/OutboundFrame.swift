/// 20 ms of agent audio for the caller, tagged with where it sits in the model's response. Its
/// audio, in the caller's encoding, waits beside it in the call's ``OutboundFrameRing``.
///
/// A fixed-size value (no heap storage), so frames move through ``SPSCRingBuffer`` by copy.
public struct OutboundFrame: BitwiseCopyable, Sendable {
    public static let durationMs = 20

    /// The call's small integer for the model response item this audio belongs to.
    public var item: UInt32
    /// Where this frame ends within its item, in ms (what `audio_end_ms` counts).
    public var endOffsetMs: UInt32
    /// On an item's first frame, when the item's first audio reached the relay (monotonic ns), so
    /// whoever sends the frame can tell how long the relay held it; 0 on every other frame.
    public var itemArrivalNs: UInt64
    /// Where its audio sits in the ring's slab (set by ``OutboundFrameRing/push(_:audio:)``).
    public var slot: UInt32 = 0
    /// Bytes of its audio: a frame of the caller's encoding, or an Opus packet's length.
    public var byteCount: UInt16 = 0

    public init(item: UInt32, endOffsetMs: UInt32, itemArrivalNs: UInt64 = 0) {
        self.item = item
        self.endOffsetMs = endOffsetMs
        self.itemArrivalNs = itemArrivalNs
    }
}
