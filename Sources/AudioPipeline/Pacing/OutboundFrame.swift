/// 20 ms of G.711 audio for the caller, tagged with where it sits in the model's response.
///
/// A fixed-size value (no heap storage), so frames move through ``SPSCRingBuffer`` by copy.
public struct OutboundFrame: BitwiseCopyable, Sendable {
    /// Bytes in one 20 ms frame of 8 kHz G.711.
    public static let payloadBytes = 160
    public static let durationMs = 20

    /// The call's small integer for the model response item this audio belongs to.
    public var item: UInt32
    /// Where this frame ends within its item, in ms (what `audio_end_ms` counts).
    public var endOffsetMs: UInt32
    /// On an item's first frame, when the item's first audio reached the relay (monotonic ns), so
    /// whoever sends the frame can tell how long the relay held it; 0 on every other frame.
    public var itemArrivalNs: UInt64
    public var payload: InlineArray<160, UInt8>

    public init(item: UInt32, endOffsetMs: UInt32, itemArrivalNs: UInt64 = 0, payload: InlineArray<160, UInt8>) {
        self.item = item
        self.endOffsetMs = endOffsetMs
        self.itemArrivalNs = itemArrivalNs
        self.payload = payload
    }
}
