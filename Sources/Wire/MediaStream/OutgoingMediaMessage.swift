/// What the relay sends a carrier on a media stream, whatever the carrier calls it: agent audio,
/// a marker whose echo says the audio before it has played, and an order to drop what is queued.
public enum OutgoingMediaMessage {
    /// One frame of agent audio in the carrier's encoding (Twilio `media`, Plivo `playAudio`).
    case media(payload: UnsafeRawBufferPointer)
    /// A marker named ``MarkName`` `<item>:<offsetMs>` (Twilio `mark`, Plivo `checkpoint`).
    case mark(item: UInt32, offsetMs: UInt32)
    /// Drop everything buffered for playback (Twilio `clear`, Plivo `clearAudio`).
    case clear
}
