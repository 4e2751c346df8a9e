/// Where caller audio goes once converted: the model session appends it to its socket.
/// Called on the thread that delivered the caller's frame, one frame at a time, never
/// concurrently. A class: the inbound path reads it from a stored optional per frame, and a class existential
/// is copied with one retain where any other goes through its value witness table.
public protocol ModelAudioSink: AnyObject, Sendable {
    func sendToModel(_ audio: UnsafeRawBufferPointer)
}

/// Where paced model audio goes: the carrier's stream writes it as media (and a mark when asked).
/// Called by the call's playout (on a pacing-clock tick, or at once on the model reader's thread
/// when the pacer's lead allows), never concurrently. `audio` is the frame's 20 ms in the caller's
/// encoding, valid for the call only.
public protocol CallerAudioSink: Sendable {
    func sendToCaller(_ frame: OutboundFrame, audio: UnsafeRawBufferPointer, mark: Bool)
}
